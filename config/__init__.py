# Load Celery with Django so that @shared_task binds to our app.
from .celery import app as celery_app

__all__ = ("celery_app",)

# psycopg's C loader for timestamps on PostgreSQL connections (why: the module's docstring).
from . import pg_timestamps  # noqa: E402,F401
