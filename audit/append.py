"""Appending to the chain on PostgreSQL in one statement: `audit_append(...)`, a database function.

Why: every page of personal data shown writes an entry (issue 3), so the append is on the path
of every read. Done from Python it costs five round trips (BEGIN, the chain's lock, reading the
last entry, INSERT, COMMIT) plus the ORM's work, about half of a case's API read (profiled,
docs/performance.md). The function does the same under the same lock in one call, and a read
view, which holds no transaction, makes that call its own transaction: one round trip.

What it does is what audit.services does on SQLite, in the same order:
1. takes the chain's transaction-level advisory lock (audit.services.CHAIN_LOCK_KEY), so appends
   are serialised and the chain cannot fork;
2. only then reads the last entry (a VOLATILE function's statements take a new snapshot each,
   so it sees the entry of whoever held the lock before; a single SQL statement would not);
3. takes the time, under the lock, from the database's clock: time never goes backwards along
   the chain, whichever web node appends;
4. hashes with the one documented definition (audit.chain): the text is canonical_text, sent as
   the four pieces of audit.chain.canonical_parts with the time, the previous hash and the
   sequence number put in between here; sha256 over prev_hash + text, as UTF-8;
5. inserts the entry, and the records it names (AuditMention) for their access histories.

audit_verify checks these entries like any other: it recomputes every hash in Python.
"""

from __future__ import annotations

from typing import Any

ENTRY_TABLE = "audit_auditentry"
MENTION_TABLE = "audit_auditmention"

# The hashed form of occurred_at: what audit.chain.timestamp_text writes, and what audit_verify
# reads back with the same to_char (audit.chain._POSTGRES_TIMESTAMP_TEXT).
_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_timestamp_text(moment timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION audit_append(
        lock_key bigint,
        p_actor_id integer,
        p_actor_username text,
        p_role text,
        p_offices text,
        p_action text,
        p_subject_type text,
        p_subject_id text,
        p_changes text,
        p_request_id text,
        p_ip inet,
        text_head text,
        text_middle text,
        text_tail text,
        text_end text,
        mention_type text,
        mention_ids text[]
    ) RETURNS TABLE (id bigint, sequence bigint, occurred_at timestamptz, prev_hash text,
                     hash text)
    LANGUAGE plpgsql VOLATILE AS $$
    #variable_conflict use_column
    DECLARE
        head_sequence bigint;
        head_hash text;
        moment timestamptz;
        body text;
        new_hash text;
        new_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(lock_key);
        SELECT e.sequence, e.hash INTO head_sequence, head_hash
            FROM {ENTRY_TABLE} e ORDER BY e.sequence DESC LIMIT 1;
        IF NOT FOUND THEN
            head_sequence := 0;
            head_hash := repeat('0', 64);
        END IF;
        -- timestamptz keeps microseconds: what is hashed is what is stored.
        moment := clock_timestamp();
        body := text_head || audit_timestamp_text(moment) || text_middle || head_hash
            || text_tail || (head_sequence + 1)::text || text_end;
        new_hash := encode(sha256(convert_to(head_hash || body, 'UTF8')), 'hex');
        INSERT INTO {ENTRY_TABLE} (sequence, occurred_at, actor_id, actor_username, role,
                offices, action, subject_type, subject_id, changes, request_id, ip, prev_hash,
                hash)
            VALUES (head_sequence + 1, moment, p_actor_id, p_actor_username, p_role, p_offices,
                p_action, p_subject_type, p_subject_id, p_changes::json, p_request_id, p_ip,
                head_hash, new_hash)
            RETURNING {ENTRY_TABLE}.id INTO new_id;
        IF mention_ids IS NOT NULL AND cardinality(mention_ids) > 0 THEN
            INSERT INTO {MENTION_TABLE} (entry_id, subject_type, subject_id)
                SELECT new_id, mention_type, m FROM unnest(mention_ids) AS m;
        END IF;
        RETURN QUERY SELECT new_id, head_sequence + 1, moment, head_hash, new_hash;
    END
    $$
    """,  # noqa: S608 - constant table names; every value is a parameter of the function
]
_REMOVE = [
    "DROP FUNCTION IF EXISTS audit_append(bigint, integer, text, text, text, text, text, text, "
    "text, text, inet, text, text, text, text, text, text[])",
    "DROP FUNCTION IF EXISTS audit_timestamp_text(timestamptz)",
]

_CALL = (
    "audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::inet, %s, %s, %s, %s, %s, %s::text[])"
)
APPEND_SQL = f"SELECT id, sequence, occurred_at, prev_hash, hash FROM {_CALL}"  # noqa: S608
# The same call in a transaction of its own that commits without waiting for the WAL flush
# (audit.services.READ_ACTIONS); set_config(..., true) holds for that transaction only.
APPEND_SQL_NOT_WAITING = (
    "SELECT a.id, a.sequence, a.occurred_at, a.prev_hash, a.hash "  # noqa: S608 - constant
    f"FROM (SELECT set_config('synchronous_commit', 'off', true)) s, {_CALL} a"
)


def install(connection: Any) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite appends from Python (audit.services), one writer at a time anyway
    with connection.cursor() as cursor:
        for statement in _INSTALL:
            cursor.execute(statement)


def remove(connection: Any) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in _REMOVE:
            cursor.execute(statement)
