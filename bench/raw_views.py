"""Raw-SQL comparison views: the physical limit that each of our API paths is measured against.

Each answers the same request as one of our paths with the same rows, the same fields and the
same filters, but as plainly as Django allows: a psycopg cursor, one statement for the records,
rows zipped into dicts and `json.dumps`. They are what the work costs without the framework, so
`ours / raw` is the overhead of DRF, the resource registry, the policy and the audit trail.

What they do NOT do, on purpose (it is what the comparison measures):
- no audit entry (ours writes one per page or record shown, under the chain's lock);
- no roles, matrix or per-record field decision: they answer as a caseworker of the offices of
  the token's account (the bench's user), with the caseworker's case fields;
- the change feed serves `resource=cases` only (the bench asks ours for the same).

Mounted only by config.bench_urls (config.settings.bench), never in production's URLs.
tests/test_bench.py checks that they return what our API returns for the same query.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib import parse

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from rest_framework.utils.urls import replace_query_param

from access.tokens import TOKEN_PREFIX, token_digest
from sync.feed import BadCursor, cursor_decode, cursor_encode

PAGE_SIZE, MAX_PAGE_SIZE = 50, 500  # sync.api.KeysetPagination
FEED_PAGE_SIZE, FEED_MAX_PAGE_SIZE = 500, 5000  # sync.api

# A caseworker's case fields (access.policy.CASE_FIELDS), in the order our API writes them
# (access.policy.case_record: the stored fields, then the four relations). Partial dates are
# text, "" meaning none.
_CASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "c.id"),
    ("case_number", "c.case_number"),
    ("given_name_ar", "c.given_name_ar"),
    ("father_name_ar", "c.father_name_ar"),
    ("grandfather_name_ar", "c.grandfather_name_ar"),
    ("family_name_ar", "c.family_name_ar"),
    ("given_name_latn", "c.given_name_latn"),
    ("father_name_latn", "c.father_name_latn"),
    ("grandfather_name_latn", "c.grandfather_name_latn"),
    ("family_name_latn", "c.family_name_latn"),
    ("sex", "c.sex"),
    ("birth_date", "NULLIF(c.birth_date, '')"),
    ("age_at_abduction", "c.age_at_abduction"),
    ("community", "c.community"),
    ("abducted_on", "NULLIF(c.abducted_on, '')"),
    ("captivity_notes", "c.captivity_notes"),
    ("health_notes", "c.health_notes"),
    ("status", "c.status"),
    ("rescued_on", "c.rescued_on"),
    ("reported_dead_on", "c.reported_dead_on"),
    ("remains_identified_on", "c.remains_identified_on"),
    ("remains_returned_on", "c.remains_returned_on"),
    ("closed_on", "c.closed_on"),
    ("version", "c.version"),
    ("is_synthetic", "c.is_synthetic"),
    ("created_at", "c.created_at"),
    ("updated_at", "c.updated_at"),
    ("office", "c.office_id"),
    ("origin", "c.origin_id"),
    ("abduction_place", "c.abduction_place_id"),
    ("duplicate_of", "c.duplicate_of_id"),
)
CASE_FIELDS = tuple(name for name, _sql in _CASE_COLUMNS)
_CASE_SELECT = ", ".join(sql for _name, sql in _CASE_COLUMNS)


# --- the statements (also what the bench EXPLAINs) ---------------------------------------------


def case_page_sql(*, offices: list[Any], after: str | None, limit: int) -> tuple[str, list]:
    keyset = "AND c.case_number > %s " if after is not None else ""
    sql = (
        f"SELECT {_CASE_SELECT} FROM cases_case c "  # noqa: S608 - constant text, values are parameters
        f"WHERE c.office_id = ANY(%s) {keyset}ORDER BY c.case_number LIMIT %s"
    )
    return sql, [offices, *([after] if after is not None else []), limit]


def case_detail_sql(*, offices: list[Any], pk: Any) -> tuple[str, list]:
    sql = (
        f"SELECT {_CASE_SELECT} FROM cases_case c "  # noqa: S608 - constant text, values are parameters
        "WHERE c.id = %s AND c.office_id = ANY(%s)"
    )
    return sql, [pk, offices]


def feed_page_sql(*, user_id: int, offices: list[Any], after: int, limit: int) -> tuple[str, list]:
    """The entries after `after` (cases only), each with the case when the caller may see it,
    or whether a tombstone is due (the case was once delivered to this client)."""
    sql = (
        "SELECT f.seq, f.record_id, f.op, f.version, f.changed_at, c.id IS NOT NULL, "  # noqa: S608 - constant text, values are parameters
        "c.id IS NULL AND EXISTS (SELECT 1 FROM sync_feeddelivered d WHERE d.client_id = %s "
        "AND d.resource = 'cases' AND d.record_id = f.record_id), "
        f"{_CASE_SELECT} "
        "FROM (SELECT seq, record_id, op, version, changed_at FROM sync_feedentry "
        # (The cases' own index range, as sync.feed reads it: see _RESOURCE_ENTRIES_SQL.)
        "WHERE resource = ANY('{cases}'::varchar[]) AND seq > %s ORDER BY resource, seq "
        "LIMIT %s) f "
        "LEFT JOIN cases_case c ON f.op = 'upsert' AND c.id = f.record_id "
        "AND c.office_id = ANY(%s) ORDER BY f.seq"
    )
    return sql, [user_id, after, limit, offices]


_CALLER_SQL = (
    "SELECT t.user_id, ARRAY(SELECT m.office_id FROM access_officemembership m "
    "WHERE m.user_id = t.user_id) FROM access_apitoken t JOIN auth_user u ON u.id = t.user_id "
    "WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > now() AND u.is_active"
)
_DELIVERED_SQL = (
    "INSERT INTO sync_feeddelivered (client_id, resource, record_id) "
    "SELECT %s, 'cases', unnest(%s::uuid[]) ON CONFLICT DO NOTHING"
)


# --- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    user_id: int
    offices: list[Any]


def _caller(request: HttpRequest) -> Caller | None:
    """The bearer token's account and its offices, in one statement."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_CALLER_SQL, [token_digest(raw)])
        row = cursor.fetchone()
    return Caller(user_id=row[0], offices=list(row[1])) if row else None


def _json_default(value: Any) -> Any:
    # What DRF's JSONEncoder writes for these types, so that both answers are the same text.
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json(body: Any, status: int = 200) -> HttpResponse:
    text = json.dumps(body, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(text, status=status, content_type="application/json")


def _unauthorised() -> HttpResponse:
    response = _json({"detail": "Invalid, expired or revoked token."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def _bounded(text: str | None, default: int, maximum: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(text)
    return min(int(text), maximum)


def _cursor_position(cursor: str | None) -> str | None:
    """A forward cursor of DRF's CursorPagination (base64 of `p=<case_number>`)."""
    if cursor is None:
        return None
    tokens = parse.parse_qs(base64.b64decode(cursor.encode("ascii")).decode("ascii"))
    if tokens.get("r", ["0"])[0] != "0" or tokens.get("o", ["0"])[0] != "0":
        raise ValueError("the raw view follows forward cursors only")
    return tokens.get("p", [None])[0]


def _page_link(base_url: str, *, position: str, reverse: bool = False) -> str:
    # DRF's CursorPagination.encode_cursor, for a unique ordering.
    tokens = {"r": "1", "p": position} if reverse else {"p": position}
    encoded = base64.b64encode(parse.urlencode(tokens).encode("ascii")).decode("ascii")
    return replace_query_param(base_url, "cursor", encoded)


# --- the views ----------------------------------------------------------------------------------


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """/api/v1/cases/?cursor=&page_size=: a keyset page of the caller's cases."""
    caller = _caller(request)
    if caller is None:
        return _unauthorised()
    try:
        page_size = _bounded(request.GET.get("page_size"), PAGE_SIZE, MAX_PAGE_SIZE)
        after = _cursor_position(request.GET.get("cursor"))
    except (ValueError, UnicodeDecodeError):
        return _json({"detail": "Invalid cursor or page size."}, status=400)
    sql, params = case_page_sql(offices=caller.offices, after=after, limit=page_size + 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    results = [dict(zip(CASE_FIELDS, row, strict=True)) for row in rows[:page_size]]
    base_url = request.build_absolute_uri()
    following = None
    if len(rows) > page_size:
        following = _page_link(base_url, position=results[-1]["case_number"])
    previous = None
    if after is not None:
        first = results[0]["case_number"] if results else after
        previous = _page_link(base_url, position=first, reverse=True)
    return _json({"next": following, "previous": previous, "results": results})


@require_GET
def case_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """/api/v1/cases/{id}/: one case, with its version as the ETag."""
    caller = _caller(request)
    if caller is None:
        return _unauthorised()
    sql, params = case_detail_sql(offices=caller.offices, pk=pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return _json({"detail": "Not found."}, status=404)
    record = dict(zip(CASE_FIELDS, row, strict=True))
    response = _json(record)
    response["ETag"] = f'"{record["version"]}"'
    return response


@require_GET
def change_feed(request: HttpRequest) -> HttpResponse:
    """/api/v1/changes/?resource=cases&since=&limit=: the feed of the caller's cases."""
    caller = _caller(request)
    if caller is None:
        return _unauthorised()
    try:
        after = cursor_decode(request.GET.get("since"))
        limit = _bounded(request.GET.get("limit"), FEED_PAGE_SIZE, FEED_MAX_PAGE_SIZE)
    except (BadCursor, ValueError):
        return _json({"detail": "Invalid cursor or limit."}, status=400)
    sql, params = feed_page_sql(
        user_id=caller.user_id, offices=caller.offices, after=after, limit=limit + 1
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    results: list[dict[str, Any]] = []
    sent: list[uuid.UUID] = []
    for seq, record_id, _op, version, changed_at, visible, tombstone, *case in rows:
        item = {"cursor": cursor_encode(seq), "resource": "cases", "id": record_id}
        item["changed_at"] = changed_at
        if visible:
            record = dict(zip(CASE_FIELDS, case, strict=True))
            item.update(op="upsert", version=record["version"], data=record)
            sent.append(record_id)
        elif tombstone:
            item.update(op="delete", version=version, data=None)
        else:
            continue
        results.append(item)
    if sent:
        # As ours does: tombstones later go only to clients that were sent the record.
        with connection.cursor() as cursor:
            cursor.execute(_DELIVERED_SQL, [caller.user_id, sent])
    next_cursor = cursor_encode(rows[-1][0] if rows else after)
    return _json({"results": results, "next_cursor": next_cursor, "has_more": has_more})
