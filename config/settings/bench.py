"""Benchmark settings (`manage.py bench`, docs/performance.md): production's, served by gunicorn
over plain HTTP on localhost.

Everything that costs time in production stays on: DEBUG off, bearer-token authentication, the
access policy, the audit trail, persistent connections. Only what needs TLS is off (the HTTPS
redirect, HSTS, secure-only cookies), and the raw-SQL comparison views are mounted
(config.bench_urls). Secrets come from the environment as in production, with bench defaults so
that a fresh clone runs: the bench command passes a random DJANGO_SECRET_KEY to its server.
Never use these settings for real records.
"""

import os

# Before production.py reads them (it refuses to start without them).
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-insecure-key-never-for-real-records")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

from .production import *  # noqa: E402, F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

ROOT_URLCONF = "config.bench_urls"
