"""Timestamps read from PostgreSQL by psycopg's C loader rather than Django's Python one.

Why: Django 5.2 gives every psycopg 3 connection a timestamptz loader that subclasses psycopg's
pure-Python loader only to set the value's time zone (django.db.backends.postgresql.psycopg_any,
BaseTzLoader): 4.8 us a value on the bench machine, against 0.3 us for psycopg's own C loader.
A change-feed page of 5,000 cases holds 15,000 timestamps: 70 ms of the page went there
(docs/performance.md).

When Django wants UTC (USE_TZ with the database's TIME_ZONE unset, as here) and the session's
time zone is UTC (Django sets it when it connects), the C loader already gives the value
Django's would: the same instant, in datetime.timezone.utc. On those connections only, the C
loader takes the place of Django's; anything else keeps Django's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.backends.signals import connection_created


def fast_loader() -> type | None:
    """A loader doing its work by psycopg's C timestamptz loader and saying which time zone it
    gives (Django's cursors compare a loader's `timezone` with the connection's), or None
    without psycopg's C build."""
    try:
        import psycopg
        from psycopg.postgres import types
        from psycopg.pq import Format
    except ImportError:
        return None
    oid = types["timestamptz"].oid
    base = psycopg.adapters.get_loader(oid, Format.TEXT)
    if base is None or not base.__module__.startswith(("psycopg_binary", "psycopg_c")):
        return None
    from psycopg.adapt import Loader

    class UtcTimestamptzLoader(Loader):
        # The C class cannot be subclassed: each loader holds one and lends it its `load`,
        # which psycopg then calls directly for every value.
        timezone = dt.UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self.load = base(oid, context).load  # type: ignore[method-assign]

        def load(self, data: Any) -> dt.datetime:  # the instance's own, above, is used
            raise NotImplementedError

    return UtcTimestamptzLoader


_LOADER = fast_loader()


def use_fast_loader(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or _LOADER is None:
        return
    if connection.timezone is not dt.UTC:
        return
    raw = connection.connection
    if raw.info.parameter_status("TimeZone") != "UTC":
        return
    raw.adapters.register_loader("timestamptz", _LOADER)


connection_created.connect(use_fast_loader, dispatch_uid="config.pg_timestamps")
