"""Writing the audit trail. Every service that changes a record calls `audit_log` inside its own
transaction (Zulip's actions style): the change and its entry commit together or not at all, so
a refused or rolled-back change leaves no entry, and no change is committed without one.

Entries form a hash chain (audit.chain). Appends are serialised so the chain cannot fork: on
PostgreSQL with a transaction-level advisory lock taken before reading the last entry; SQLite
allows one writer at a time anyway (a second one gets "database is locked" rather than a fork),
and the unique sequence number is the last line of defence on both. The lock is held until the
caller's transaction ends, which is why services call audit_log last, after their other writes:
it keeps the time other writers wait short, and no row lock is taken while holding it (no
lock-order deadlock). On PostgreSQL the append itself is one call of a database function
(audit.append), which a read view, holding no transaction, makes on its own: one round trip.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from access.policy import SENSITIVE_FIELDS
from config.bulk_copy import copy_create

from .append import APPEND_SQL, APPEND_SQL_NOT_WAITING
from .chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    canonical_changes,
    canonical_parts,
    entry_hash,
)
from .context import current
from .models import AuditEntry, AuditMention

Action = AuditEntry.Action
# (Choices' .values builds a new list on every use: asked once per entry.)
_ACTIONS = frozenset(Action.values)

# What a read view appends (a page or record shown, a report run, an access refused). Outside a
# transaction, its entry commits without waiting for the WAL flush unless AUDIT_READS_DURABLE:
# waiting held the chain's lock through every flush and serialised every audited read behind
# the disk (docs/performance.md). The cost: if the PostgreSQL server itself crashes, the entries
# of the last moment before it (at most 3 x wal_writer_delay, 0.6 s by default) are lost, whole
# and from the end, so the chain stays intact. Writes always wait: they are in the service's
# transaction.
READ_ACTIONS = frozenset({Action.VIEW, Action.REPORT, Action.DENIED})

# Any fixed 64-bit number that no other code uses for pg_advisory_xact_lock ("audit" in ASCII).
CHAIN_LOCK_KEY = 0x6175646974

# Fields whose values never go into the trail, only a fingerprint of them. The trail can never be
# purged, so copying free-text narratives of captivity and health, or a family's phone number and
# address, into it would keep them for ever and show them to everyone who reads the trail. The
# fingerprint (redacted_fingerprint) still shows that the value changed.
REDACTION_KEY_SALT = "audit.redacted_fingerprint"
# The sensitive fields of the access policy: one list for every output, the trail included.
REDACTED_FIELDS: dict[str, frozenset[str]] = SENSITIVE_FIELDS


# Called with the database alias inside audit_log's transaction, once the chain's lock is held:
# the change feed (sync.feed) writes its pending entries there, so they take their place in the
# same commit order as the trail. Every write path ends with an audit entry, which is what makes
# this the one place that sees them all.
BEFORE_APPEND: list[Callable[[str], None]] = []


def subject_label(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


# --- JSON-safe values -------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """The value as plain JSON types, the same whichever way it is read back: what is hashed
    must be exactly what is stored. Dates, times, UUIDs, Decimals and partial dates become their
    text. Floats that a database's JSON type could rewrite (exponents, negative zero, NaN) become
    text too, so the trail survives a move to jsonb or another database."""
    if value is None or type(value) in (bool, int):
        return value
    if isinstance(value, str):
        # str() turns TextChoices into their plain value; PostgreSQL text cannot hold NUL.
        return str(value).replace("\x00", "\ufffd")
    if isinstance(value, int):
        return int(value)  # IntegerChoices and other int subclasses
    if isinstance(value, float):
        if value == 0:
            return 0.0
        text = repr(value)
        return value if math.isfinite(value) and "e" not in text else text
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time | uuid.UUID | Decimal):
        return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def redacted_fingerprint(value: Any) -> dict[str, Any] | None:
    """What the trail keeps of a redacted value: that it was set, and a keyed hash of it.

    Keyed (HMAC with the project's SECRET_KEY), because a plain hash of a phone number is
    reversed by trying every number. Whoever holds the key and the text can still show that
    this was the value, and a diff still sees that it changed. Rotating SECRET_KEY makes older
    fingerprints uncheckable, not the chain: the chain hashes what is stored.
    """
    if value in (None, ""):
        return None
    digest = salted_hmac(REDACTION_KEY_SALT, str(value), algorithm="sha256").hexdigest()
    return {"redacted": True, "hmac_sha256": digest}


def audit_snapshot(
    instance: models.Model, fields: list[str] | tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The record's stored values by attname (foreign keys as `office_id`...), JSON-safe, with
    the REDACTED_FIELDS of its model replaced by a fingerprint. `fields` (names or attnames)
    limits it to those."""
    redacted = REDACTED_FIELDS.get(subject_label(instance), frozenset())
    wanted = set(fields) if fields is not None else None
    snapshot: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        name, attname = model_field.name, model_field.attname
        if wanted is not None and name not in wanted and attname not in wanted:
            continue
        if attname not in instance.__dict__:
            continue  # deferred: not loaded, so nothing known to record (and no extra query)
        value = getattr(instance, attname)
        if isinstance(value, Combinable):
            continue  # e.g. F("version") + 1 before a refresh: not a value yet
        snapshot[attname] = redacted_fingerprint(value) if name in redacted else json_safe(value)
    return snapshot


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs (a field missing on one side is
    None there)."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    }


# --- Writing ----------------------------------------------------------------------------------


def actor_details_forget(user_pk: Any) -> None:
    """The user's roles or offices changed: look them up again for their next entry."""
    current().actor_details.pop(user_pk, None)


def actor_details_remember(user_pk: Any, *, roles: str, offices: str) -> None:
    """The user's roles and office codes (comma-separated, sorted), known from a look-up made
    anyway (access.policy.user_prime): kept for the request like _actor_details' own."""
    context = current()
    if context.request is not None or context.user is not None:
        context.actor_details[user_pk] = (roles, offices)


def _actor_details(user: Any) -> tuple[str, str]:
    """(roles, office codes) of the user, comma-separated, cached for the request."""
    context = current()
    cached = context.actor_details.get(user.pk)
    if cached is not None:
        return cached
    from access.models import OfficeMembership, Role

    roles = ",".join(
        sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    )
    offices = ",".join(
        sorted(
            OfficeMembership.objects.filter(user_id=user.pk).values_list("office__code", flat=True)
        )
    )
    details = (roles, offices)
    if context.request is not None or context.user is not None:
        # Only inside a request or an audit_actor block: a cache on the empty default context
        # would live for the whole process and go stale.
        context.actor_details[user.pk] = details
    return details


def _subject_of(
    subject: models.Model | None, subject_type: str, subject_id: Any
) -> tuple[str, str]:
    if subject is not None:
        if subject.pk is None:
            raise ValueError("audit_log needs a saved subject (it has no primary key yet)")
        return subject_label(subject), str(subject.pk)
    return subject_type, "" if subject_id is None else str(subject_id)


def chain_lock(using: str) -> None:
    """Take the chain's lock for the rest of the caller's transaction (PostgreSQL; SQLite has
    one writer at a time anyway). Writers that must follow commit order, like the change feed,
    take it too: one lock for both means no lock-order deadlock between them."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _entry_fields(
    *,
    action: str,
    subject: models.Model | None,
    subject_type: str,
    subject_id: Any,
    changes: dict[str, Any] | None,
    actor: Any,
    details: Callable[[Any], tuple[str, str]],
) -> dict[str, Any]:
    """An entry's stored values but for its place in the chain (sequence, time, hashes)."""
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    context = current()
    if actor is None:
        actor = context.current_user()
    elif not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser: nobody logged in
    subject_type, subject_id = _subject_of(subject, subject_type, subject_id)
    role, offices = details(actor) if actor is not None else ("", "")
    return {
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": actor.get_username() if actor is not None else "",
        "role": role,
        "offices": offices,
        "action": str(action),
        "subject_type": subject_type,
        "subject_id": subject_id,
        # Stored exactly as hashed: normalised first, so that what is read back is what was
        # hashed.
        "changes": json_safe(changes or {}),
        "request_id": context.request_id,
        "ip": context.ip,
    }


def _chain_head(using: str) -> tuple[int, str]:
    """The next sequence number and the previous hash (read under the chain's lock)."""
    last = AuditEntry.objects.using(using).order_by("-sequence").values_list("sequence", "hash")
    last = last.first()
    return (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)


def audit_log(
    *,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: Any = "",
    changes: dict[str, Any] | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Append one entry to the trail, in the caller's transaction.

    `subject` is the record concerned (its type and primary key are stored); without a record,
    give `subject_type` ("cases.case") and `subject_id`. `actor` defaults to the user of the
    current request or audit_actor block; the request id and IP always come from the context.
    """
    fields = _entry_fields(
        action=action,
        subject=subject,
        subject_type=subject_type,
        subject_id=subject_id,
        changes=changes,
        actor=actor,
        details=_actor_details,
    )
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    if connection.vendor == "postgresql":
        if not connection.in_atomic_block:
            # A read view's entry: nothing else to commit with it (outside a transaction the
            # change feed numbers its changes at once), so the append is its own transaction,
            # one statement (audit.append).
            durable = settings.AUDIT_READS_DURABLE or fields["action"] not in READ_ACTIONS
            return _append_postgresql(using, fields, durable=durable)
        with transaction.atomic(using=using):
            # Inside a service's transaction: the lock first, then the hooks (the change feed
            # numbers this transaction's changes under it), then the append, which takes the
            # same lock again (advisory locks nest) and holds it to the caller's commit.
            chain_lock(using)
            for hook in BEFORE_APPEND:
                hook(using)
            return _append_postgresql(using, fields)
    with transaction.atomic(using=using):
        # SQLite: one writer at a time, so reading the last entry and appending cannot race.
        for hook in BEFORE_APPEND:
            hook(using)
        sequence, prev_hash = _chain_head(using)
        fields.update(
            sequence=sequence,
            # Taken in the writer's transaction, so time never goes backwards along the chain
            # (barring the clock itself); microseconds are what both databases keep.
            occurred_at=timezone.now(),
            prev_hash=prev_hash,
        )
        entry = AuditEntry(**fields, hash=entry_hash(**fields))
        entry.save(using=using, force_insert=True)
        _mentions_add(entry, using)
    return entry


def _mention_ids(changes: Any) -> list[str]:
    """The records an entry about many names (changes["ids"]), for their access histories."""
    ids = changes.get("ids") if isinstance(changes, dict) else None
    if not ids or not isinstance(ids, list):
        return []
    return [str(pk)[:64] for pk in dict.fromkeys(ids)]


# The hashed fields the caller gives, in HASHED_FIELDS' order (that of canonical_parts and of
# audit_append's parameters); the sequence, the time and the previous hash are the appender's.
_APPENDED_FIELDS = tuple(
    name for name in HASHED_FIELDS if name not in {"sequence", "occurred_at", "prev_hash"}
)
_CHANGES_AT = _APPENDED_FIELDS.index("changes")


def _append_postgresql(using: str, fields: dict[str, Any], *, durable: bool = True) -> AuditEntry:
    """Append through the database function (audit.append): the lock, the last entry, the time,
    the hash, the entry and its mentions, in one call. Not `durable`: its own transaction commits
    without waiting for the WAL flush (READ_ACTIONS)."""
    # The entry's own values, in the order of canonical_parts and of audit_append's parameters.
    values = [fields[name] for name in _APPENDED_FIELDS]
    values[_CHANGES_AT] = canonical_changes(fields["changes"])
    mentions = _mention_ids(fields["changes"]) if fields["subject_type"] else []
    with connections[using].cursor() as cursor:
        cursor.execute(
            APPEND_SQL if durable else APPEND_SQL_NOT_WAITING,
            [
                CHAIN_LOCK_KEY,
                *values,
                *canonical_parts(*values),
                fields["subject_type"][:64],
                mentions,
            ],
        )
        pk, sequence, occurred_at, prev_hash, hash_ = cursor.fetchone()
    entry = AuditEntry(
        pk=pk, sequence=sequence, occurred_at=occurred_at, prev_hash=prev_hash, hash=hash_, **fields
    )
    entry._state.adding = False
    entry._state.db = using
    return entry


def _mentions_add(entry: AuditEntry, using: str) -> None:
    """Index the records an entry about many names (changes["ids"]) for their histories."""
    ids = _mention_ids(entry.changes)
    if not ids or not entry.subject_type:
        return
    AuditMention.objects.using(using).bulk_create(
        AuditMention(entry=entry, subject_type=entry.subject_type, subject_id=pk) for pk in ids
    )


def audited_update(
    instance: models.Model, changes: dict[str, Any], *, editable: frozenset[str], actor: Any = None
) -> models.Model:
    """Change plain fields of a record under a row lock, validate it, and log the difference.

    For the records whose edits carry no lifecycle meaning (a site's estimate, remains' age
    range, a sample's custody status); anything that moves a case goes through case_transition.
    `editable` names the fields a caller may change at all; others are refused by name.
    """
    refused = sorted(set(changes) - editable)
    if refused:
        raise ValidationError({name: _("This field cannot be changed here.") for name in refused})
    model = type(instance)
    with transaction.atomic():
        instance = model.objects.select_for_update().get(pk=instance.pk)
        before = audit_snapshot(instance)
        for name, value in changes.items():
            setattr(instance, name, value)
        instance.full_clean()
        diff = audit_diff(before, audit_snapshot(instance))
        if diff:
            instance.save(update_fields=sorted(changes))
            audit_log(action=Action.UPDATE, subject=instance, changes=diff, actor=actor)
    return instance


def audit_log_many(entries: list[dict[str, Any]]) -> list[AuditEntry]:
    """Append several entries to the trail under one acquisition of the chain's lock, in the
    caller's transaction; each dict takes audit_log's keyword arguments (action, subject or
    subject_type/subject_id, changes, actor).

    For batch writes (sync.bulk): one entry per record is still what the trail holds, but the
    lock, the BEFORE_APPEND hooks (the change feed) and reading the last entry happen once, and
    the entries go in with one INSERT. Each hash is computed here with audit.chain.entry_hash,
    the one definition audit_verify checks. On PostgreSQL the time is the database's clock read
    under the lock, as audit_append does, so time never goes backwards along the chain whichever
    node appends; all the entries of the batch carry that one time.
    """
    if not entries:
        return []
    known: dict[Any, tuple[str, str]] = {}  # _actor_details once per actor, not per entry

    def details(actor: Any) -> tuple[str, str]:
        if actor.pk not in known:
            known[actor.pk] = _actor_details(actor)
        return known[actor.pk]

    rows = [
        _entry_fields(
            action=entry["action"],
            subject=entry.get("subject"),
            subject_type=entry.get("subject_type", ""),
            subject_id=entry.get("subject_id", ""),
            changes=entry.get("changes"),
            actor=entry.get("actor"),
            details=details,
        )
        for entry in entries
    ]

    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    with transaction.atomic(using=using):
        # The same order as audit_log: the lock, then the hooks, then the last entry.
        chain_lock(using)
        for hook in BEFORE_APPEND:
            hook(using)
        sequence, prev_hash = _chain_head(using)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT clock_timestamp()")
                occurred_at = cursor.fetchone()[0]
        else:
            occurred_at = timezone.now()
        appended: list[AuditEntry] = []
        for fields in rows:
            fields.update(sequence=sequence, occurred_at=occurred_at, prev_hash=prev_hash)
            hash_ = entry_hash(**fields)
            appended.append(AuditEntry(**fields, hash=hash_))
            sequence, prev_hash = sequence + 1, hash_
        # By COPY on PostgreSQL (config.bulk_copy: the entries' JSON made bulk_create's arrays
        # the largest cost of a batch sync), which leaves the database's ids to be read back.
        copy_create(AuditEntry, appended, using=using)
        if appended[0].pk is None:
            _ids_read_back(using, appended)
        for appended_entry in appended:
            _mentions_add(appended_entry, using)
    return appended


def _ids_read_back(using: str, entries: list[AuditEntry]) -> None:
    """The ids the database gave the entries, found by their (unique) sequence numbers."""
    ids = dict(
        AuditEntry.objects.using(using)
        .filter(sequence__range=(entries[0].sequence, entries[-1].sequence))
        .values_list("sequence", "pk")
    )
    for entry in entries:
        entry.pk = ids[entry.sequence]
