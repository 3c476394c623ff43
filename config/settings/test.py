"""Tests: the same database selection as everywhere (DATABASE_URL, SQLite when unset)."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105 - not a real secret
# Fast hashing keeps the suite quick; production uses the strong default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Webhooks: the local test receiver is plain http on 127.0.0.1, and retries are due at once.
WEBHOOKS_ALLOW_HTTP = True
WEBHOOKS_RETRY_BASE_SECONDS = 0.0
WEBHOOKS_MAX_ATTEMPTS = 4
# The replica's alias as a mirror of the test database, so that tests can check which alias a
# read goes to (tests/test_replica.py). Reads are routed to it only where a test sets
# DATABASE_READ_REPLICA = "replica"; every other test reads and writes "default" alone.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_READ_REPLICA = None
