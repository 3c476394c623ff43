"""The replica rows of the benchmark: the report paths served by a second gunicorn whose
settings name a read replica (DATABASE_REPLICA_URL, config.routers).

The "replica" is a second database on the same server, a copy of the bench database made with
`CREATE DATABASE <name>_replica TEMPLATE <name>` (PostgreSQL refuses to copy a database anyone
is connected to: the bench's own connection is closed and its server stopped first). That is
enough to show the routing: which database served a report is read from pg_stat_database
(transactions committed and rows read, per database) before and after each group of requests.
A copy that already exists is reused when it holds the same number of scale cases.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection

from .offline import admin_execute, database_url

STATS_FLUSH_SECONDS = 1.5  # PostgreSQL 15 backends publish their counters within 1 s of idling
COPY_ATTEMPTS = 10


def replica_name(primary: str) -> str:
    return f"{primary}_replica"[:63]


def replica_url(primary: str) -> str:
    return database_url(replica_name(primary))


def _scale_cases_in(name: str) -> int | None:
    """Scale cases in database `name`, None if it does not exist or has no cases table."""
    import psycopg

    from seeds.scale import PREFIX

    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k in {"host", "port", "user", "password"}}
    try:
        with psycopg.connect(dbname=name, autocommit=True, **params) as other:
            row = other.execute(
                "SELECT count(*) FROM cases_case WHERE case_number LIKE %s", [PREFIX + "%"]
            ).fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None
    return row[0] if row else None


def replica_prepare(*, scale_cases: int, log) -> tuple[str, bool]:
    """The replica database's name, copied from the bench database unless a copy with the same
    number of scale cases exists; and whether it was reused. Closes this process's connection:
    the caller must have stopped every other client of the bench database."""
    from psycopg import errors, sql

    primary = connection.settings_dict["NAME"]
    name = replica_name(primary)
    if _scale_cases_in(name) == scale_cases:
        log(f"- replica: reusing {name} ({scale_cases:,} scale cases)")
        return name, True
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        version = int(cursor.fetchone()[0])
    # FILE_COPY (PostgreSQL 15+) copies the files after a checkpoint; the default, WAL_LOG,
    # writes the whole database to the WAL, far slower for a large one.
    strategy = sql.SQL(" STRATEGY FILE_COPY") if version >= 150000 else sql.SQL("")
    admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    connection.close()
    started = time.perf_counter()
    for attempt in range(COPY_ATTEMPTS):
        try:
            admin_execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(primary)
                )
                + strategy
            )
            break
        except errors.ObjectInUse:
            # A stopped server's connections take a moment to go away.
            if attempt == COPY_ATTEMPTS - 1:
                raise
            time.sleep(1.0)
    log(f"- replica: copied {primary} to {name} in {time.perf_counter() - started:.1f}s")
    return name, False


@dataclass(frozen=True)
class DatabaseStats:
    transactions: int
    rows_read: int  # tuples returned by scans plus fetched by index

    def __sub__(self, other: DatabaseStats) -> DatabaseStats:
        return DatabaseStats(
            self.transactions - other.transactions, self.rows_read - other.rows_read
        )

    def as_json(self) -> dict[str, int]:
        return {"transactions": self.transactions, "rows_read": self.rows_read}


def database_stats(names: list[str]) -> dict[str, DatabaseStats]:
    """Counters of pg_stat_database for each of these databases, as published so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT datname, xact_commit + xact_rollback, tup_returned + tup_fetched "
            "FROM pg_stat_database WHERE datname = ANY(%s)",
            [names],
        )
        found = {name: DatabaseStats(int(x), int(r)) for name, x, r in cursor.fetchall()}
    return {name: found.get(name, DatabaseStats(0, 0)) for name in names}


def stats_settled() -> None:
    """Wait until the server's backends have published what the last requests did."""
    time.sleep(STATS_FLUSH_SECONDS)


def routing_note(deltas: dict[str, dict[str, DatabaseStats]], replica: str) -> str:
    """One line per group of requests: what the replica and the primary did for it."""
    parts = []
    for group, per_database in deltas.items():
        on_replica = per_database[replica]
        primary = next(stats for name, stats in per_database.items() if name != replica)
        parts.append(
            f"{group}: replica {on_replica.transactions:,} transactions, "
            f"{on_replica.rows_read:,} rows read; primary {primary.rows_read:,} rows read"
        )
    return "; ".join(parts)
