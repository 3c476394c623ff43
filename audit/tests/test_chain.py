"""The hash chain: what is stored is what was hashed, entries link up, and the documented formula
is the one used (recomputed here independently of audit.chain)."""

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils.crypto import salted_hmac
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.chain import (
    GENESIS_HASH,
    canonical_changes,
    canonical_parts,
    canonical_text,
    timestamp_text,
    verify_chain,
)
from audit.context import audit_context
from audit.models import AuditEntry
from audit.services import REDACTION_KEY_SALT, audit_diff, audit_log, audit_snapshot
from cases.partial_dates import PartialDate

from .conftest import entries_after, last_sequence, run_verify

pytestmark = pytest.mark.django_db


def documented_hash(entry: AuditEntry) -> str:
    """The formula as the module docstring states it, written out again."""
    canonical = {
        "sequence": entry.sequence,
        "occurred_at": entry.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "role": entry.role,
        "offices": entry.offices,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "changes": entry.changes,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    body = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(entry.prev_hash.encode() + body.encode("utf-8")).hexdigest()


def test_a_chain_of_several_entries_links_up_and_verifies(caseworker):
    start = last_sequence()
    with audit_context(request_id="req-1", ip="192.0.2.7", user=caseworker):
        for number in range(5):
            audit_log(action="view", subject_type="cases.case", subject_id=f"c{number}")
    written = entries_after(start)
    assert [e.sequence for e in written] == list(range(start + 1, start + 6))
    previous = (
        AuditEntry.objects.get(sequence=start).hash if start else GENESIS_HASH
    )  # earlier tests' entries may have been kept by a flush
    for entry in written:
        assert entry.prev_hash == previous
        assert entry.hash == documented_hash(entry)
        previous = entry.hash
    assert (written[0].actor_username, written[0].role, written[0].offices) == (
        "caseworker-duhok",
        "caseworker",
        "DHK",
    )
    assert (written[0].request_id, written[0].ip) == ("req-1", "192.0.2.7")
    code, out, _ = run_verify()
    assert code == 0
    assert f"audit chain intact: {start + 5} entries" in out


def test_the_first_entry_follows_64_zeros():
    audit_log(action="report", subject_type="reports.figure")  # so that there is a first one
    first = AuditEntry.objects.get(sequence=1)
    assert first.prev_hash == "0" * 64
    assert first.hash == documented_hash(first)


def test_values_read_back_hash_the_same_as_written():
    """Dates, Decimals, UUIDs, partial dates, non-ASCII text, floats and nesting survive the
    database (jsonb on PostgreSQL, text on SQLite) exactly, so the hash still matches."""
    start = last_sequence()
    changes = {
        "date": dt.date(2014, 8, 3),
        "at": dt.datetime(2014, 8, 3, 4, 5, 6, 789, tzinfo=dt.UTC),
        "amount": Decimal("150000.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "partial": PartialDate.parse("2014-08"),
        "name": "تيستا Testa — ܫܠܡܐ",
        "ratio": 0.1 + 0.2,
        "huge": 1e300,
        "negative_zero": -0.0,
        "nested": {"b": [1, None, True], "a": {"z": "x"}},
        "tags": {"y", "x"},
    }
    entry = audit_log(action="update", subject_type="test.thing", subject_id=7, changes=changes)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.changes == entry.changes
    assert stored.changes["date"] == "2014-08-03"
    assert stored.changes["amount"] == "150000.50"
    assert stored.changes["partial"] == "2014-08"
    assert stored.changes["tags"] == ["x", "y"]
    assert stored.hash == entry.hash == documented_hash(stored)
    assert stored.subject_id == "7"
    assert [e.pk for e in entries_after(start)] == [entry.pk]
    assert verify_chain().intact


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_log(action="deleted_everything")


def test_snapshot_and_diff(make_case):
    case = make_case(captivity_notes="held in a house", given_name_latn="Testa")
    snapshot = audit_snapshot(case)
    assert snapshot["office_id"] == str(case.office_id)
    assert snapshot["abducted_on"] == "2014-08-03"
    assert snapshot["given_name_latn"] == "Testa"
    # Narratives of captivity never enter the trail, only a fingerprint.
    assert snapshot["captivity_notes"] == {
        "redacted": True,
        "hmac_sha256": salted_hmac(
            REDACTION_KEY_SALT, "held in a house", algorithm="sha256"
        ).hexdigest(),
    }
    # Keyed: a plain hash of a short value (a phone number) could be reversed by trying them all.
    assert (
        snapshot["captivity_notes"]["hmac_sha256"] != hashlib.sha256(b"held in a house").hexdigest()
    )
    assert snapshot["health_notes"] is None
    assert audit_snapshot(case, ["sex", "office"]) == {
        "sex": "female",
        "office_id": snapshot["office_id"],
    }
    assert audit_diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}
    assert audit_diff({"a": 1}, {"c": 4}) == {"a": [1, None], "c": [None, 4]}


text = st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    sequence=st.integers(min_value=1, max_value=2**62),
    actor_id=st.none() | st.integers(min_value=1, max_value=2**62),
    strings=st.lists(text, min_size=9, max_size=9),
    ip=st.none() | text,
    changes=st.dictionaries(
        text, st.none() | st.booleans() | st.integers() | text | st.lists(text), max_size=4
    ),
)
def test_the_fast_canonical_text_is_exactly_the_sorted_json(
    sequence, actor_id, strings, ip, changes
):
    """canonical_text builds the JSON by hand for speed; for any values (quotes, backslashes,
    control characters, any script) it must equal what a JSON encoder makes of the dict."""
    names = [
        "occurred_at",
        "actor_username",
        "role",
        "offices",
        "action",
        "subject_type",
        "subject_id",
        "request_id",
        "prev_hash",
    ]
    values = dict(zip(names, strings, strict=True))
    fields = {**values, "sequence": sequence, "actor_id": actor_id, "ip": ip, "changes": changes}
    expected = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert (
        canonical_text(
            sequence,
            values["occurred_at"],
            actor_id,
            values["actor_username"],
            values["role"],
            values["offices"],
            values["action"],
            values["subject_type"],
            values["subject_id"],
            canonical_changes(changes),
            values["request_id"],
            ip,
            values["prev_hash"],
        )
        == expected
    )


def test_a_timestamp_on_a_whole_second_verifies(monkeypatch):
    """SQLite stores such a time without its fraction; the check must still read it right.
    (On PostgreSQL the time is the database's, taken by audit_append: its text is checked in
    test_the_database_writes_times_as_the_chain_does.)"""
    whole_second = dt.datetime(2024, 12, 3, 10, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("audit.services.timezone.now", lambda: whole_second)
    entry = audit_log(action="report", subject_type="reports.figure")
    if connection.vendor != "postgresql":
        assert AuditEntry.objects.get(pk=entry.pk).occurred_at == whole_second
    assert entry.hash == documented_hash(AuditEntry.objects.get(pk=entry.pk))
    report = verify_chain()
    assert report.intact, report.problem


@pytest.mark.postgres
@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 12, 3, 10, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 12, 3, 10, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2014, 8, 3, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=3))),
    ],
)
def test_the_database_writes_times_as_the_chain_does(moment):
    """audit_append hashes the time as the database formats it: the documented text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_timestamp_text(%s)", [moment])
        assert cursor.fetchone()[0] == timestamp_text(moment)


@given(
    actor_id=st.none() | st.integers(min_value=1, max_value=2**31 - 1),
    texts=st.lists(st.text(), min_size=7, max_size=7),
    ip=st.none() | st.ip_addresses().map(str),
    changes=st.dictionaries(st.text(), st.text() | st.integers() | st.none(), max_size=3),
    sequence=st.integers(min_value=1, max_value=2**62),
    moment=st.datetimes(timezones=st.just(dt.UTC)),
)
def test_the_pieces_put_together_are_the_canonical_text(
    actor_id, texts, ip, changes, sequence, moment
):
    """audit_append puts the time, the previous hash and the sequence number between the pieces
    of canonical_parts: together they must be canonical_text, for any values."""
    username, role, offices, action, subject_type, subject_id, request_id = texts
    changes_text = canonical_changes(changes)
    prev_hash = hashlib.sha256(username.encode()).hexdigest()
    occurred_at = timestamp_text(moment)
    head, middle, tail, end = canonical_parts(
        actor_id, username, role, offices, action, subject_type, subject_id, changes_text,
        request_id, ip,
    )  # fmt: skip
    assembled = head + occurred_at + middle + prev_hash + tail + str(sequence) + end
    assert assembled == canonical_text(
        sequence, occurred_at, actor_id, username, role, offices, action, subject_type,
        subject_id, changes_text, request_id, ip, prev_hash,
    )  # fmt: skip
