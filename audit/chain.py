"""The hash chain: how an entry is hashed, and how the whole chain is checked.

    hash = sha256(prev_hash + canonical(entry))

where canonical(entry) is the UTF-8 JSON object of exactly the stored fields (HASHED_FIELDS,
prev_hash included) with sorted keys, no spaces and non-ASCII kept as is; occurred_at is ISO 8601
in UTC with microseconds ("2024-12-03T10:00:00.000000+00:00"), actor_id and ip are null when
absent. The first entry's prev_hash is 64 zeros. Anyone with the rows and this description can
recompute every hash; nothing else (no secret) goes in.

What a chain cannot show by itself is its newest entries removed (or the whole chain rewritten
from some entry on, hashes and all): audit_verify prints the last hash so that it can be kept
somewhere else (a signed report, another system) and compared later.

The writer (audit.services, through `entry_hash`) and the checker (`verify_rows`) build the
text with the same `canonical_text`, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, Func, TextField
from django.db.models.functions import Cast

GENESIS_HASH = "0" * 64

# The stored fields that are hashed, in the order verify_chain reads them.
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "role",
    "offices",
    "action",
    "subject_type",
    "subject_id",
    "changes",
    "request_id",
    "ip",
    "prev_hash",
)


class CanonicalJSONEncoder(json.JSONEncoder):
    """JSON as hashed: sorted keys, no spaces, non-ASCII kept, no NaN. Also how
    AuditEntry.changes is stored, so audit_verify hashes it as read, without parsing it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        super().__init__(**kwargs)


_canonical_json = CanonicalJSONEncoder().encode
# JSON string literal without ASCII escaping: what the encoder above writes for a str.
_quote = json.encoder.encode_basestring
_int_text = int.__repr__
_sha256 = hashlib.sha256
_UTC = dt.UTC


def canonical_changes(changes: Any) -> str:
    return _canonical_json(changes)


def timestamp_text(moment: dt.datetime) -> str:
    """occurred_at as hashed: ISO 8601 in UTC, always with microseconds."""
    return moment.astimezone(_UTC).isoformat(timespec="microseconds")


def canonical_text(
    sequence: int,
    occurred_at_text: str,
    actor_id: int | None,
    actor_username: str,
    role: str,
    offices: str,
    action: str,
    subject_type: str,
    subject_id: str,
    changes_text: str,
    request_id: str,
    ip: str | None,
    prev_hash: str,
) -> str:
    """The canonical JSON object of an entry, written out key by key in sorted order.

    Byte for byte what CanonicalJSONEncoder makes of the dict of these fields (a test checks
    it), built directly because this runs once per entry when verifying hundreds of thousands:
    every string is still JSON-quoted, so no value can spill into the next field.
    """
    return (
        f'{{"action":{_quote(action)}'
        f',"actor_id":{"null" if actor_id is None else _int_text(actor_id)}'
        f',"actor_username":{_quote(actor_username)}'
        f',"changes":{changes_text}'
        f',"ip":{"null" if ip is None else _quote(ip)}'
        f',"occurred_at":{_quote(occurred_at_text)}'
        f',"offices":{_quote(offices)}'
        f',"prev_hash":{_quote(prev_hash)}'
        f',"request_id":{_quote(request_id)}'
        f',"role":{_quote(role)}'
        f',"sequence":{_int_text(sequence)}'
        f',"subject_id":{_quote(subject_id)}'
        f',"subject_type":{_quote(subject_type)}}}'
    )


def canonical_parts(
    actor_id: int | None,
    actor_username: str,
    role: str,
    offices: str,
    action: str,
    subject_type: str,
    subject_id: str,
    changes_text: str,
    request_id: str,
    ip: str | None,
) -> tuple[str, str, str, str]:
    """canonical_text cut where the three values go that only the appender knows, under the
    chain's lock (audit.append, which appends on PostgreSQL in one statement):

        text = head + occurred_at_text + middle + prev_hash + tail + str(sequence) + end

    occurred_at_text and prev_hash are plain ASCII (an ISO time, hex digits), which JSON-quoting
    leaves as they are, so the quotes around them are part of the pieces. A test checks that the
    pieces put together are canonical_text for any values.
    """
    return (
        f'{{"action":{_quote(action)}'
        f',"actor_id":{"null" if actor_id is None else _int_text(actor_id)}'
        f',"actor_username":{_quote(actor_username)}'
        f',"changes":{changes_text}'
        f',"ip":{"null" if ip is None else _quote(ip)}'
        ',"occurred_at":"',
        f'","offices":{_quote(offices)},"prev_hash":"',
        f'","request_id":{_quote(request_id)},"role":{_quote(role)},"sequence":',
        f',"subject_id":{_quote(subject_id)},"subject_type":{_quote(subject_type)}}}',
    )


def chained_hash(prev_hash: str, text: str) -> str:
    """sha256(prev_hash + canonical text), as hex: the one step that links an entry to the one
    before it (the writer, the checker and the scale loader all use it)."""
    return _sha256((prev_hash + text).encode()).hexdigest()


def entry_hash(
    *,
    sequence: int,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor_username: str,
    role: str,
    offices: str,
    action: str,
    subject_type: str,
    subject_id: str,
    changes: Any,
    request_id: str,
    ip: str | None,
    prev_hash: str,
) -> str:
    """The hash of an entry with these stored values (the writer's side)."""
    text = canonical_text(
        sequence,
        timestamp_text(occurred_at),
        actor_id,
        actor_username,
        role,
        offices,
        action,
        subject_type,
        subject_id,
        _canonical_json(changes),
        request_id,
        ip,
        prev_hash,
    )
    return chained_hash(prev_hash, text)


@dataclass(frozen=True)
class ChainReport:
    entries: int  # verified entries (before the first fault, if any)
    first_broken_sequence: int | None = None
    problem: str = ""
    last_hash: str = GENESIS_HASH

    @property
    def intact(self) -> bool:
        return self.first_broken_sequence is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "first_broken_sequence": self.first_broken_sequence,
            "problem": self.problem,
            "last_hash": self.last_hash,
        }


def _sqlite_timestamp_text(stored: str) -> str:
    """occurred_at as SQLite holds it (Django writes aware datetimes there as naive UTC text,
    "YYYY-MM-DD HH:MM:SS.ffffff", without the fraction when it is zero) to the hashed form,
    with string operations: parsing and formatting a datetime per entry costs more than the
    rest of the check."""
    if len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}+00:00"
    if len(stored) == 19 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}.000000+00:00"
    moment = dt.datetime.fromisoformat(stored)
    return timestamp_text(moment if moment.tzinfo else moment.replace(tzinfo=_UTC))


def _as_stored(stored: str) -> str:
    # Text that is already in the hashed form: changes (stored as CanonicalJSONEncoder wrote it,
    # audit.models.CanonicalJSONField) and PostgreSQL's occurred_at (formatted by the query).
    # Any other text, even the same value laid out differently, is not what was written, and
    # fails the hash.
    return stored


# PostgreSQL formats occurred_at in the hashed form itself (in C, per row, far cheaper than
# Python's astimezone().isoformat()).
_POSTGRES_TIMESTAMP_TEXT = (
    "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
)


def verify_rows(
    rows: Iterable[tuple],
    *,
    occurred_at_text: Callable[[Any], str] = timestamp_text,
    changes_text: Callable[[Any], str] = canonical_changes,
) -> ChainReport:
    """Check rows of (HASHED_FIELDS..., hash) given in sequence order; stop at the first fault.

    `occurred_at_text` and `changes_text` turn the row's occurred_at and changes, as the
    database returned them, into their hashed text.

    The faults, each reported at the first sequence number where the chain stops being what was
    written:
    - a gap (an entry was removed, or its sequence number changed);
    - a prev_hash that is not the hash of the entry before (removed, inserted or reordered);
    - a hash that does not match the entry's content (a field was changed).
    """
    expected_sequence = 1
    prev_hash = GENESIS_HASH
    count = 0
    text_of = canonical_text
    link = chained_hash
    # The loop is audit_verify's hot path: locals only, no per-row objects beyond the text.
    for (
        sequence,
        occurred_at,
        actor_id,
        actor_username,
        role,
        offices,
        action,
        subject_type,
        subject_id,
        changes,
        request_id,
        ip,
        stored_prev_hash,
        stored_hash,
    ) in rows:
        if sequence != expected_sequence:
            if sequence < expected_sequence:
                problem = f"entry {sequence} appears again after entry {expected_sequence - 1}"
            elif sequence == expected_sequence + 1:
                problem = f"entry {expected_sequence} is missing (next is {sequence})"
            else:
                problem = (
                    f"entries {expected_sequence} to {sequence - 1} are missing "
                    f"(next is {sequence})"
                )
            return ChainReport(count, expected_sequence, problem, prev_hash)
        if stored_prev_hash != prev_hash:
            return ChainReport(
                count,
                sequence,
                f"entry {sequence} does not follow entry {sequence - 1}: its prev_hash is not "
                "that entry's hash (an entry was removed, inserted or reordered here)",
                prev_hash,
            )
        try:
            text = text_of(
                sequence,
                occurred_at_text(occurred_at),
                actor_id,
                actor_username,
                role,
                offices,
                action,
                subject_type,
                subject_id,
                changes_text(changes),
                request_id,
                ip,
                stored_prev_hash,
            )
        except (TypeError, ValueError, AttributeError) as error:
            # A value no writer produces (unparsable JSON or date, a wrong type): changed.
            return ChainReport(
                count, sequence, f"entry {sequence} was changed: unreadable ({error})", prev_hash
            )
        if link(stored_prev_hash, text) != stored_hash:
            return ChainReport(
                count,
                sequence,
                f"entry {sequence} was changed: its content no longer matches its hash",
                prev_hash,
            )
        prev_hash = stored_hash
        expected_sequence += 1
        count += 1
    return ChainReport(count, None, "", prev_hash)


def verify_chain(*, chunk_size: int = 5000, using: str = DEFAULT_DB_ALIAS) -> ChainReport:
    """Verify the whole chain, streamed in sequence order as plain tuples (no model instances).

    occurred_at and changes are read as text, so that no Django converter runs per row and
    nothing is parsed: changes are stored in the hashed layout; PostgreSQL formats the
    timestamp in the query, SQLite's stored text needs only a few string operations.
    """
    from .models import AuditEntry

    vendor = connections[using].vendor
    as_text = Cast("changes", output_field=TextField())
    if vendor == "postgresql":
        occurred_at = Func(
            F("occurred_at"), template=_POSTGRES_TIMESTAMP_TEXT, output_field=TextField()
        )
        adapters = {"occurred_at_text": _as_stored, "changes_text": _as_stored}
    else:
        occurred_at = Cast("occurred_at", output_field=TextField())
        adapters = {"occurred_at_text": _sqlite_timestamp_text, "changes_text": _as_stored}
    fields = [
        occurred_at if name == "occurred_at" else as_text if name == "changes" else name
        for name in HASHED_FIELDS
    ]
    rows = (
        AuditEntry.objects.using(using)
        .order_by("sequence")
        .values_list(*fields, "hash")
        .iterator(chunk_size=chunk_size)
    )
    return verify_rows(rows, **adapters)
