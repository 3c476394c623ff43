"""Append-only in the database itself: triggers that refuse UPDATE, DELETE (and on PostgreSQL
TRUNCATE) of audit entries, whoever sends them: the ORM, a shell, a raw SQL console.

They do not stop the table's owner, who can disable or drop them; the hash chain (audit.chain)
is what shows that happened. Both databases report the refusal as an integrity error.

Installed by migration 0002 and again after every `migrate` (audit.apps): on SQLite a later
migration that alters this table rebuilds it, and the rebuilt table would have no triggers.
Installing is idempotent.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditentry"
MESSAGE = "audit entries are append-only"

_POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    f"""
    CREATE OR REPLACE TRIGGER audit_entry_no_update_or_delete
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
    """,
    f"""
    CREATE OR REPLACE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
    """,
]
_POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_entry_no_update_or_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
]
# RAISE(ABORT) is reported as a constraint failure (sqlite3.IntegrityError) and undoes the
# statement. SQLite has no TRUNCATE: "DELETE FROM" without WHERE fires the DELETE trigger.
_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END
    """,
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
]


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "postgresql":
        return _POSTGRES_INSTALL if install else _POSTGRES_REMOVE
    if vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_REMOVE
    # Refuse rather than leave the trail silently unprotected on a database nobody planned for.
    raise NotImplementedError(f"no append-only triggers for the {vendor} backend")


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: Any) -> None:
    _run(connection, _statements(connection.vendor, install=True))


def remove(connection: Any) -> None:
    _run(connection, _statements(connection.vendor, install=False))


def installed(connection: Any) -> bool:
    """Whether every trigger is in place (for tests and checks)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
            return cursor.fetchone()[0] == 2
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [TABLE],
        )
        return cursor.fetchone()[0] == 2
