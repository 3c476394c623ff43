"""Reads for reports and exports from a read replica, everything else from the primary.

When `DATABASE_REPLICA_URL` is set, settings define a second alias, "replica", and name it in
`DATABASE_READ_REPLICA`. Only code that asks for it reads there:

    with reading_from_replica():            # reports.registry wraps every report's compute
        table = report.compute(user, as_of)

    queryset = queryset.using(replica_alias())  # a lazy, chunked read (exports.datasets)

Why opt-in rather than "every read goes to the replica": a replica lags behind the primary, and
most reads are followed by a write that depends on them (a case page, a transition, a login).
Reports and exports only read, over many rows, and are the heavy reads worth moving.

Even inside `reading_from_replica()`, only the record apps are read from the replica. Accounts,
roles, tokens, agreements (access, auth), the audit trail, the change feed (sync) and the export
jobs stay on the primary: a role withdrawn a second ago must not still be honoured because the
replica has not caught up, and the chain's last entry must be the real last one. Writes always
go to the primary; migrations run only there (a physical replica follows the primary's schema).
A queryset bound with `.using(replica_alias())` is one SQL statement: its subqueries (a family's
consent, a partner agreement's offices) are read on the replica with it, up to the replication
lag behind (docs/deployment.md); the user's roles and offices are read first, on the primary.

The context is a ContextVar, so it is per thread and per async task, and ends with the block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

# The apps whose records reports and exports aggregate: safe to read a little stale.
REPLICA_APPS = frozenset({"cases", "graves", "families", "aid", "gazetteer", "reports"})

_on_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_alias() -> str:
    """The alias that reports and exports read from: the replica when one is configured."""
    alias = getattr(settings, "DATABASE_READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES else DEFAULT_DB_ALIAS


@contextmanager
def reading_from_replica() -> Iterator[str]:
    """Within the block, reads of the record apps go to the replica (when configured).
    Yields the alias they go to."""
    token = _on_replica.set(True)
    try:
        yield replica_alias()
    finally:
        _on_replica.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS entry: see the module docstring."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _on_replica.get() and model._meta.app_label in REPLICA_APPS:
            return replica_alias()
        return None  # Django's default: the instance's own database, else "default"

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary: a case read from one and an office
        # read from the other are related as usual.
        both = {obj1._state.db, obj2._state.db}
        if both <= {DEFAULT_DB_ALIAS, replica_alias()}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if db != DEFAULT_DB_ALIAS and db == replica_alias():
            return False
        return None
