"""Settings shared by every environment.

Everything that differs between machines comes from the environment (django-environ), with
zero-setup defaults: SQLite in the project folder and Celery running tasks eagerly, so that a
fresh checkout runs with no services at all. Production overrides live in production.py.
"""

from pathlib import Path

import django.conf.locale
import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is convenient for development; production sets real environment variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "access",
    "audit",
    "gazetteer",
    "cases",
    "graves",
    "families",
    "aid",
    "reports",
    "seeds",
    "sync",
    "pfif",
    "webhooks",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "access.middleware.SessionTimeoutMiddleware",
    "access.middleware.SecondFactorRequiredMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns lockouts raised during login into responses.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failures and refuses locked-out logins before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies older hashes, then upgraded
]

# Accounts (access app): one login page for the site and the admin, with the TOTP code on the
# same form for the roles that need it.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "root"  # the home page of the role (cases.views.root)
LOGOUT_REDIRECT_URL = "login"
OTP_TOTP_ISSUER = "Missing-persons tracker"

# Sessions end after 30 idle minutes or 12 hours after login, whichever comes first
# (access.middleware.SessionTimeoutMiddleware); the cookie never outlives the absolute limit.
ACCESS_SESSION_IDLE_SECONDS = 30 * 60
ACCESS_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_AGE = ACCESS_SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# The API: bearer tokens first (so an unauthenticated call gets 401 with
# `WWW-Authenticate: Bearer`), the browser session second; nothing is open unless a view says so.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "sync.renderers.ApiJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "sync.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "sync.parsers.api_exception_handler",
}
# Largest API request body (bytes); Django's own limit for bodies read whole matches it.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)

SPECTACULAR_SETTINGS = {
    "TITLE": "Missing-persons case tracker API",
    "DESCRIPTION": (
        "Partner API: every response goes through the access policy (records out of scope do "
        "not exist, fields a role may not see are absent). Authenticate with "
        "`Authorization: Bearer <token>` (`manage.py issue_token`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and the docs page are for any authenticated account (token or session), as
    # the rest of the API: deny unless allowed. The schema holds no records, but there is no
    # reason to describe the API to the whole internet.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # One name for the lifecycle's event types wherever they appear (events, webhooks).
    "ENUM_NAME_OVERRIDES": {"CaseEventTypeEnum": "cases.lifecycle.EventType"},
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.context_processors.navigation",
            ],
        },
    },
]

# DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/tracker; SQLite when unset.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
# A read replica (docs/deployment.md): reports and exports read from it, everything else from
# the primary (config.routers). Unset: one database for everything.
DATABASE_READ_REPLICA = None
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASE_READ_REPLICA = "replica"
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
# Parameters bound by the server (psycopg's extended protocol) rather than quoted into the SQL
# text by the driver: quoting costs the web process ~0.1 ms a statement, and much more for the
# arrays of a bulk insert (docs/performance.md). Raw SQL must then not put a parameter where
# PostgreSQL takes none (`SET x TO %s`: use set_config), and a statement takes at most 65,535
# parameters (a long list goes as one array, as sync.feed._ids_in does).
# DATABASE_SERVER_SIDE_BINDING=false turns it off, e.g. behind a pooler that cannot forward the
# extended protocol.
#
# With it, a statement a connection has run DATABASE_PREPARE_THRESHOLD times (5) is prepared
# on the server (psycopg's automatic prepared statements), and later runs skip PostgreSQL's
# parsing and, once it settles on a generic plan, its planning: most of the database's CPU for
# an API read, whose statements are the same every time (docs/performance.md). Django leaves this
# off by default; 0 turns it off here too. Run migrations before starting (or restart) the web and
# worker processes: a connection's prepared statement fails once if a migration changes the
# columns it reads ("cached plan must not change result type").
if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
    _prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5) or None
    for _database in DATABASES.values():
        if _database.get("ENGINE", "").endswith("postgresql"):
            _options = _database.setdefault("OPTIONS", {})
            _options.setdefault("server_side_binding", True)
            _options.setdefault("prepare_threshold", _prepare_threshold)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Each language named in its own script, as the language switcher shows it (LANG_INFO's
# name_local; tests/test_i18n.py keeps the two equal). Catalogues and the glossary: locale/,
# docs/translations.md.
LANGUAGES = [
    ("en", "English"),
    ("ar", "العربيّة"),
    ("ckb", "کوردی"),
    ("kmr", "Kurmancî"),
]
# Northern Kurdish (Kurmanji, Latin script) is the language of most Yazidis, but Django knows
# only Central Kurdish (ckb): without an entry in LANG_INFO, get_language_info("kmr") fails and
# the {% get_language_info %} tag breaks. Our strings are in locale/kmr; Django's own, which it
# does not translate to kmr, in config/formats/django_strings. Updated in place because
# django.utils.translation reads the dict at each call.
EXTRA_LANG_INFO = {
    "kmr": {
        "bidi": False,
        "code": "kmr",
        "name": "Northern Kurdish (Kurmanji)",
        "name_local": "Kurmancî",
    },
}
django.conf.locale.LANG_INFO.update(EXTRA_LANG_INFO)
LOCALE_PATHS = [
    BASE_DIR / "locale",
    # Django's own strings (month names, form errors, the login form) in kmr, which Django lacks.
    BASE_DIR / "config" / "formats" / "django_strings",
]
# Date and number formats Django lacks or gets wrong for us (config/formats/<lang>/formats.py):
# kmr has none in Django; ar gets the separators Iraq uses with Latin digits; ar and ckb group
# thousands where a page asks for it (the reports).
FORMAT_MODULE_PATH = ["config.formats"]
# No thousand separator: years, case numbers, ids and form values are numbers too, and "2,014"
# in a year or a value="" attribute breaks reading them. Large counts group where shown.
USE_THOUSAND_SEPARATOR = False
# The language chosen with the switcher is kept for a year (Django's default cookie ends with the
# browser session): a shared office computer opens in the language last used, logout included.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Baghdad"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Celery: Redis broker from CELERY_BROKER_URL. Without one, tasks run eagerly in-process so the
# app works on a machine with no broker; production always sets a broker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"

# Logs carry record ids, never names or contact details.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # httpx logs every webhook delivery's URL at INFO; the delivery log in the database is the
    # record of those, so the application log keeps only its warnings.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# The audit entry of a read (a page or record shown, a report, a refusal) commits without waiting
# for PostgreSQL's WAL flush unless this is true: a crash of the database server can then lose
# the last fraction of a second of such entries (never a change's, and never from the middle of
# the chain). True makes every audited read wait for the disk, under the chain's lock
# (audit.services.READ_ACTIONS, docs/deployment.md).
AUDIT_READS_DURABLE = env.bool("AUDIT_READS_DURABLE", default=False)

# Python's cyclic garbage collector in web and Celery worker processes: the application frozen
# once loaded, and the youngest generation collected after this many new container objects
# instead of 700 (0: Python's defaults). Why: config/gc_tuning.py.
PYTHON_GC_THRESHOLD = env.int("PYTHON_GC_THRESHOLD", default=50_000)

# django-axes: lock an account+IP out after repeated failures; the audit trail records them too.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 429  # Too Many Requests: the account is fine, the attempts are not
AXES_LOCKOUT_TEMPLATE = "access/lockout.html"

# Outbound webhooks (webhooks app, docs/webhooks.md). Deliveries are retried with exponential
# back-off: WEBHOOKS_RETRY_BASE_SECONDS * 2**(attempt - 1), at most WEBHOOKS_RETRY_MAX_SECONDS,
# for WEBHOOKS_MAX_ATTEMPTS attempts in all; then the delivery is dead (the dead letter).
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=30.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=6 * 60 * 60.0)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
# Plain http:// destinations, and only on the loopback interface: None follows DEBUG.
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=None)
# https:// destinations in private, loopback or link-local networks (a partner on a VPN).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
WEBHOOKS_MAX_SUBSCRIPTIONS_PER_OWNER = env.int("WEBHOOKS_MAX_SUBSCRIPTIONS_PER_OWNER", default=20)

# PFIF interchange (pfif app, docs/pfif.md): the domain of our own PFIF record ids
# ("<PFIF_DOMAIN>/person.<case uuid>"). Other repositories treat records of this domain as clones
# of ours, so it must stay the same for the life of the installation.
PFIF_DOMAIN = env("PFIF_DOMAIN", default="tracker.example.org")

# Exports (exports app, docs/exports.md): files are written under EXPORTS_ROOT, a private
# directory that is never served as static or media; downloads go through the app (owner only,
# audited). A finished export is kept EXPORTS_TTL_HOURS, then deleted by the nightly sweep; a
# download link is valid for EXPORTS_LINK_MAX_AGE_SECONDS after the page that shows it.
EXPORTS_ROOT = env.path("EXPORTS_ROOT", default=BASE_DIR / "var" / "exports")
EXPORTS_TTL_HOURS = env.int("EXPORTS_TTL_HOURS", default=24)
EXPORTS_LINK_MAX_AGE_SECONDS = env.int("EXPORTS_LINK_MAX_AGE_SECONDS", default=15 * 60)
# A running export that has not reported progress for this long is taken over by the next
# delivery of its task (a worker that died mid-export), or failed by the nightly sweep.
EXPORTS_STALE_SECONDS = env.int("EXPORTS_STALE_SECONDS", default=5 * 60)
