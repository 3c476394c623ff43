"""The change feed: writing it (`feed_touch`, and the signals in sync.signals) and reading it
(`feed_page`).

Writing. Each record has one FeedEntry; a change moves it to the end of the feed with a new
`seq` from FeedCounter. Numbers are handed out under the audit chain's lock, which is held until
the transaction ends, so a transaction that took number N has committed before anyone takes
N+1: `seq` order is commit order, and a reader can never see N+1 while N is still to come. That is
what lets a client keep a cursor without missing a change made by a concurrent transaction.

Saves seen by the signals are not numbered at once: taking the lock in the middle of a service
could deadlock against a writer that holds it and waits for a row this service has locked. They
wait in a per-thread list until the transaction writes its audit entry, which every write path
does last (audit.services.BEFORE_APPEND). A write that ends without an audit entry is numbered
right after its commit (`_late_flush`): later than it could have been, but never missed, since
its number is still higher than any a reader has seen.

A needless entry is harmless, a missing one is not: the feed always sends the record's current
state (or a tombstone), so when in doubt, touch.

Reading. For each entry after the client's cursor, the record as the client may see it now, or
a tombstone when it was deleted or has left the client's scope (consent withdrawn, an agreement
narrowed). Tombstones go only to a client the record was once sent to (FeedDelivered): a
tombstone for a record the client never had would tell it that such a record exists.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, router, transaction
from django.db.models import F, Max
from django.db.models.expressions import RawSQL
from django.utils import timezone

from audit.services import chain_lock

from .models import FeedCounter, FeedDelivered, FeedEntry

logger = logging.getLogger(__name__)

UPSERT, DELETE = FeedEntry.Op.UPSERT.value, FeedEntry.Op.DELETE.value

_pending = threading.local()


# --- writing ---------------------------------------------------------------------------------


def _pending_for(using: str) -> dict[tuple[str, str], str]:
    by_alias = getattr(_pending, "by_alias", None)
    if by_alias is None:
        by_alias = _pending.by_alias = defaultdict(dict)
    return by_alias[using]


def feed_pending_add(*, resource: str, record_ids: Iterable[Any], op: str = UPSERT) -> None:
    """Note records changed by the current transaction; numbered when it writes its audit entry
    (or right after it commits). Outside a transaction, numbered now."""
    using = router.db_for_write(FeedEntry)
    pending = _pending_for(using)
    was_empty = not pending
    for record_id in record_ids:
        pending[(resource, str(record_id))] = op
    if not pending:
        return
    if not connections[using].in_atomic_block:
        feed_flush_pending(using)
    elif was_empty:
        transaction.on_commit(lambda: _late_flush(using), using=using)


def feed_flush_pending(using: str) -> None:
    """Number the pending changes in the current transaction (audit.services.BEFORE_APPEND)."""
    pending = _pending_for(using)
    if not pending:
        return
    changes = list(pending.items())
    pending.clear()
    by_op: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (resource, record_id), op in changes:
        by_op[op].append((resource, record_id))
    with transaction.atomic(using=using):
        for op, keys in by_op.items():
            _write(using, keys, op)


def _late_flush(using: str) -> None:
    pending = _pending_for(using)
    if pending:
        from .resources import RESOURCES

        # Personal records are written only by audited services, so a late one is a service
        # that forgot its audit entry: worth a warning. Reference data (places, offices,
        # programmes loaded by the seed or the admin) is not audited and is expected here.
        personal = any(
            getattr(RESOURCES.get(resource), "personal", True) for resource, _id in pending
        )
        logger.log(
            logging.WARNING if personal else logging.DEBUG,
            "change feed: changes committed without an audit entry, numbered late",
        )
        with transaction.atomic(using=using):
            feed_flush_pending(using)


def feed_touch(*, resource: str, record_ids: Iterable[Any], op: str = UPSERT) -> int:
    """Number changes now, in the caller's transaction (bulk loads, scope changes). Call it after
    the transaction's row locks are taken: it holds the chain's lock until the end."""
    using = router.db_for_write(FeedEntry)
    keys = [(resource, str(record_id)) for record_id in dict.fromkeys(record_ids)]
    if not keys:
        return 0
    with transaction.atomic(using=using):
        _write(using, keys, op)
    return len(keys)


def _reserve(using: str, count: int) -> int:
    """The first of `count` consecutive new numbers. The caller holds the chain's lock."""
    counter = FeedCounter.objects.using(using)
    if not counter.filter(id=1).update(value=F("value") + count):
        # The row goes with a flush (tests); start again after the highest number in use.
        highest = FeedEntry.objects.using(using).aggregate(top=Max("seq"))["top"] or 0
        counter.create(id=1, value=highest + count)
    return counter.values_list("value", flat=True).get(id=1) - count + 1


_UPSERT_SQL = (
    "INSERT INTO {table} (seq, resource, record_id, op, version, changed_at) "
    "VALUES (%s, %s, %s, %s, 1, %s) "
    "ON CONFLICT (resource, record_id) DO UPDATE SET seq = excluded.seq, op = excluded.op, "
    "changed_at = excluded.changed_at, version = {table}.version + 1"
)


_UPSERT_ARRAYS_SQL = (
    "INSERT INTO {table} (seq, resource, record_id, op, version, changed_at) "
    "SELECT seq, resource, record_id, %s, 1, %s "
    "FROM unnest(%s::bigint[], %s::text[], %s::uuid[]) AS t(seq, resource, record_id) "
    "ON CONFLICT (resource, record_id) DO UPDATE SET seq = excluded.seq, op = excluded.op, "
    "changed_at = excluded.changed_at, version = {table}.version + 1"
)


def _write(using: str, keys: list[tuple[str, str]], op: str) -> None:
    connection = connections[using]
    chain_lock(using)
    first = _reserve(using, len(keys))
    now = timezone.now()
    record_field = FeedEntry._meta.get_field("record_id")
    time_field = FeedEntry._meta.get_field("changed_at")
    stamp = time_field.get_db_prep_value(now, connection)
    rows = [
        (
            first + offset,
            resource,
            record_field.get_db_prep_value(record_id, connection),
            op,
            stamp,
        )
        for offset, (resource, record_id) in enumerate(keys)
    ]
    table = connection.ops.quote_name(FeedEntry._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for the whole set, its columns as arrays: a batch of 1,000 records
            # was 1,000 statements (docs/performance.md).
            cursor.execute(
                _UPSERT_ARRAYS_SQL.format(table=table),
                [
                    op,
                    stamp,
                    [row[0] for row in rows],
                    [row[1] for row in rows],
                    [row[2] for row in rows],
                ],
            )
            return
        sql = _UPSERT_SQL.format(table=table)
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


# --- reading ---------------------------------------------------------------------------------


class BadCursor(ValueError):
    pass


def cursor_encode(seq: int) -> str:
    return base64.urlsafe_b64encode(f"feed:{seq}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str | None) -> int:
    """The position a cursor stands for; "" or None is the beginning."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "feed" or not number.isdigit():
            raise ValueError
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor("not a cursor this feed gave out") from error


@dataclass
class FeedPage:
    results: list[dict[str, Any]]
    next_cursor: str
    has_more: bool


# A page's ids go to PostgreSQL as one text, split and cast by the database: psycopg dumps a
# list of UUIDs one by one in Python, and checks each for quoting with a regular expression
# (19 ms for 5,000 ids, against 2 ms for joining their text; docs/performance.md).
_UUIDS_SQL = "string_to_array(%s, ',')::uuid[]"


def _uuids_text(ids: list[Any]) -> str:
    return ",".join(map(str, ids))


def _ids_in(ids: list[Any]) -> Any:
    """What `pk__in` takes for a page's ids: on PostgreSQL one parameter (unnested by the
    database) instead of thousands of parameters, each handled by the ORM and the driver."""
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest({_UUIDS_SQL})", (_uuids_text(ids),))  # noqa: S611
    return ids


_DELIVERED_SQL = (
    "INSERT INTO {table} (client_id, resource, record_id) "
    f"SELECT %s, %s, unnest({_UUIDS_SQL}) ON CONFLICT DO NOTHING"
)


def _delivered_add(user: Any, sent: dict[str, list[Any]]) -> None:
    """Note what the client was sent (tombstones go only there), one statement per resource."""
    using = router.db_for_write(FeedDelivered)
    connection = connections[using]
    if connection.vendor != "postgresql":
        FeedDelivered.objects.using(using).bulk_create(
            [
                FeedDelivered(client=user, resource=resource, record_id=record_id)
                for resource, ids in sent.items()
                for record_id in ids
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        return
    sql = _DELIVERED_SQL.format(table=connection.ops.quote_name(FeedDelivered._meta.db_table))
    with connection.cursor() as cursor:
        for resource, ids in sent.items():
            cursor.execute(sql, [user.pk, resource, _uuids_text(ids)])


_ENTRY_COLUMNS = ("seq", "resource", "record_id", "op", "version", "changed_at")

# One resource's entries after a position, through the (resource, seq) index. The resource is
# given as a one-element array and the order as (resource, seq) on purpose: written as
# `resource = 'cases' ORDER BY seq`, the planner takes the `seq` index and filters, reckoning
# the resources evenly spread, and at a million cases read past 600,000 entries of other
# resources for one page of 5,000 (100-200 ms against 2 ms; docs/performance.md).
_RESOURCE_ENTRIES_SQL = (
    "(SELECT {columns} FROM {table} WHERE resource = ANY(%s::varchar[]) AND seq > %s "
    "ORDER BY resource, seq LIMIT %s)"
)


def _entries_after(after: int, count: int, wanted: list[str], *, every: bool) -> list[tuple]:
    """The first `count` entries after `after` of the `wanted` resources, in feed order."""
    if every or connection.vendor != "postgresql":
        return list(
            FeedEntry.objects.filter(seq__gt=after, resource__in=wanted)
            .order_by("seq")
            .values_list(*_ENTRY_COLUMNS)[:count]
        )
    if not wanted:
        return []
    # Some resources: each one's next entries through its own index range, merged by seq.
    branch = _RESOURCE_ENTRIES_SQL.format(
        columns=", ".join(_ENTRY_COLUMNS),
        table=connection.ops.quote_name(FeedEntry._meta.db_table),
    )
    sql = " UNION ALL ".join([branch] * len(wanted))
    params: list[Any] = []
    for name in wanted:
        params += [[name], after, count]
    if len(wanted) > 1:
        sql = f"SELECT * FROM ({sql}) AS entries ORDER BY seq LIMIT %s"  # noqa: S608 - constant SQL
        params.append(count)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def feed_page(*, user: Any, after: int, limit: int, resources: Iterable[str] | None = None):
    """The changes after position `after` that `user` may see, at most `limit` of them."""
    from .resources import RESOURCES

    # Once each, in the order given (a resource asked for twice would come twice).
    wanted = list(dict.fromkeys(name for name in (resources or RESOURCES) if name in RESOURCES))
    readable = {name for name in wanted if RESOURCES[name].may_read(user)}
    entries = _entries_after(after, limit + 1, wanted, every=len(wanted) == len(RESOURCES))
    has_more = len(entries) > limit
    entries = entries[:limit]

    ids_by_resource: dict[str, list[Any]] = defaultdict(list)
    for _seq, resource, record_id, op, _version, _at in entries:
        if op == UPSERT and resource in readable:
            ids_by_resource[resource].append(record_id)
    visible: dict[tuple[str, Any], dict[str, Any]] = {}
    versions: dict[tuple[str, Any], int] = {}
    for name, ids in ids_by_resource.items():
        resource = RESOURCES[name]
        # No order: the page is put in feed order below.
        records = resource.queryset_for(user).filter(pk__in=_ids_in(ids)).order_by()
        if resource.rows is not None:
            seen = resource.rows_seen_by(user)
            names = resource.rows.names
            id_at = names.index("id")
            version_at = names.index("version") if "version" in names else None
            for row in resource.rows.values(records):
                visible[(name, row[id_at])] = seen(row)
                if version_at is not None:
                    versions[(name, row[id_at])] = row[version_at]
            continue
        for instance in records:
            visible[(name, instance.pk)] = resource.as_seen_by(user, instance)
            if hasattr(instance, "version"):
                versions[(name, instance.pk)] = instance.version
    # Records not visible now: a tombstone only where the client was once sent the record.
    hidden = {(r, i) for _s, r, i, _o, _v, _a in entries if (r, i) not in visible}
    hidden_ids: dict[str, list[Any]] = defaultdict(list)
    for resource, record_id in hidden:
        hidden_ids[resource].append(record_id)
    delivered = {
        (name, record_id)
        for name, ids in hidden_ids.items()
        for record_id in FeedDelivered.objects.filter(
            client=user, resource=name, record_id__in=_ids_in(ids)
        ).values_list("record_id", flat=True)
    }

    results: list[dict[str, Any]] = []
    sent: dict[str, list[Any]] = defaultdict(list)
    for seq, resource, record_id, _op, version, changed_at in entries:
        key = (resource, record_id)
        item = {
            "cursor": cursor_encode(seq),
            "resource": resource,
            "id": record_id,
            "changed_at": changed_at,
        }
        if key in visible:
            item.update(op=UPSERT, version=versions.get(key, version), data=visible[key])
            sent[resource].append(record_id)
        elif key in delivered:
            item.update(op=DELETE, version=version, data=None)
        else:
            continue
        results.append(item)
    if sent:
        _delivered_add(user, sent)
    last = entries[-1][0] if entries else after
    return FeedPage(results=results, next_cursor=cursor_encode(last), has_more=has_more)
