"""The bulk path of batch sync for cases (sync.bulk, cases.services.case_register_many,
audit.services.audit_log_many) against the per-record path it replaces: the same answers, rows,
events, feed entries, outbox rows and audit entries, and a chain that still verifies."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from access.models import Role
from audit.chain import verify_chain
from audit.models import AuditEntry, AuditMention
from audit.services import audit_log, audit_log_many
from cases.models import Case, CaseEvent
from sync import batch
from sync.models import ExternalRef, FeedEntry
from webhooks.models import FanoutPending, Subscription

from .test_batch import case_record


@pytest.fixture
def caseworker(api_user):
    user, _auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    return user


def mixed_batch(gazetteer, make_case):
    """Every way a new case is answered: created, and refused by each kind of rule."""
    taken = make_case(case_number="P-taken")
    return [
        case_record("ok1", gazetteer, given_name_ar="نادية", birth_date="1990"),
        case_record("ok2", gazetteer, abduction_place=str(gazetteer["kocho"].pk)),
        case_record("bad-fields", gazetteer, sex="robot", abducted_on="soon"),
        case_record("unknown-place", gazetteer, origin="5b0c9d1e-0000-4000-8000-000000000000"),
        case_record("not-a-place", gazetteer, origin="kocho"),
        case_record("unknown-office", gazetteer, office="XXX"),
        case_record("other-office", gazetteer, office="SNJ"),
        case_record("no-number", gazetteer, case_number=None),
        case_record("no-source", gazetteer, source=""),
        case_record("taken-number", gazetteer, case_number=taken.case_number),
        case_record("same-number", gazetteer, case_number="P-ok1"),
        case_record("too-old", gazetteer, birth_date="1800", abducted_on="2014"),
        case_record("before-abduction", gazetteer, reported_on="2013-01-01"),
        case_record("future", gazetteer, reported_on="2999-01-01"),
        case_record("unknown-field", gazetteer, colour="red"),
        case_record("ok1", gazetteer, given_name_ar="نادية", birth_date="1990"),  # a replay
        case_record("ok2", gazetteer, given_name_latn="Renamed"),  # a second copy, changed
        {"given_name_latn": "no external id"},
        "not an object",
    ]


def snapshot(results):
    """What a batch did, with the ids it made up replaced by the partner's external ids."""
    names = {str(r.id): r.external_id for r in results if r.id is not None}
    ids = list(names)
    events = CaseEvent.objects.filter(case_id__in=ids)
    names.update({str(event.pk): f"event of {names[str(event.case_id)]}" for event in events})

    def named(value):
        return names.get(str(value), value)

    def audited(changes):
        changes = {k: v for k, v in changes.items() if k not in {"id", "created_at", "updated_at"}}
        if "event" in changes:
            changes["event"] = {**changes["event"], "event_id": named(changes["event"]["event_id"])}
        return changes

    skip = {"id", "created_at", "updated_at"}
    return {
        "results": [(r.external_id, r.result, named(r.id), r.errors) for r in results],
        "cases": sorted(
            [
                {k: v for k, v in row.items() if k not in skip}
                for row in Case.objects.filter(pk__in=ids).values()
            ],
            key=lambda row: row["case_number"],
        ),
        "events": sorted(
            (named(e.case_id), e.sequence, e.type, e.from_status, e.to_status, str(e.date))
            + (e.date_lower, e.date_upper, e.recorded_by_id, e.source, e.note)
            for e in events
        ),
        "feed": sorted(
            (entry.resource, named(entry.record_id), entry.op)
            for entry in FeedEntry.objects.filter(record_id__in=names)
        ),
        "outbox": sorted(
            named(row.event_id)
            for row in FanoutPending.objects.filter(event_id__in=[e.pk for e in events])
        ),
        "refs": sorted(
            (ref.external_id, named(ref.record_id), ref.body_sha256)
            for ref in ExternalRef.objects.filter(resource="cases")
        ),
        "audit": sorted(
            (
                (e.action, e.subject_type, named(e.subject_id), e.actor_username, e.role)
                + (e.offices, audited(e.changes))
                for e in AuditEntry.objects.filter(subject_id__in=ids)
            ),
            key=repr,
        ),
    }


class _Undo(Exception):
    pass


def applied_then_undone(apply):
    """What `apply` answered and wrote, then rolled back so the other path starts the same."""
    taken = {}
    try:
        with transaction.atomic():
            results = apply()
            taken = snapshot(results)
            assert verify_chain().intact
            raise _Undo
    except _Undo:
        pass
    return taken


@pytest.mark.django_db
@pytest.mark.parametrize("subscribed", [False, True])
def test_the_bulk_path_answers_and_writes_what_the_per_record_path_does(
    caseworker, gazetteer, make_case, subscribed
):
    if subscribed:
        Subscription.objects.create(owner=caseworker, url="https://partner.example/hook")
    records = mixed_batch(gazetteer, make_case)

    def per_record():
        return [batch._one(caseworker, "cases", batch._case_upsert, r) for r in records]

    def bulk():
        return batch._cases(caseworker, records)

    one_by_one = applied_then_undone(per_record)
    together = applied_then_undone(bulk)

    assert together == one_by_one
    answers = [row[1] for row in together["results"]]
    assert answers[:3] == ["created", "created", "rejected"]
    assert set(answers[2:15]) == {"rejected"}
    too_old = together["results"][11]
    assert too_old[0] == "too-old" and too_old[3] == {
        "__all__": ["Constraint “case_age_plausible” is violated."]
    }
    assert answers[-4:] == [
        "unchanged",
        "updated",
        "rejected",
        "rejected",
    ]
    assert len(together["outbox"]) == (2 if subscribed else 0)
    assert {row[0] for row in together["feed"]} == {"cases", "events"}


@pytest.mark.django_db
def test_a_failed_bulk_insert_falls_back_to_one_savepoint_per_case(
    caseworker, gazetteer, monkeypatch
):
    real = QuerySet.bulk_create

    def refuse_cases(self, objs, *args, **kwargs):
        if self.model is Case:
            raise IntegrityError("as if a concurrent registration took a case number")
        return real(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", refuse_cases)
    records = [case_record("x1", gazetteer), case_record("bad", gazetteer, sex="robot")]
    outcome = batch.batch_upsert(user=caseworker, resource="cases", records=records)

    assert [r.result for r in outcome.results] == ["created", "rejected"]
    assert Case.objects.filter(case_number="P-x1").count() == 1
    assert CaseEvent.objects.filter(case__case_number="P-x1", sequence=1).exists()
    assert verify_chain().intact


@pytest.mark.django_db
def test_atomic_bulk_batch_with_a_bad_record_leaves_nothing(caseworker, gazetteer):
    entries = AuditEntry.objects.count()
    records = [case_record(f"x{n}", gazetteer) for n in range(5)]
    records.append(case_record("bad", gazetteer, sex="robot"))
    outcome = batch.batch_upsert(user=caseworker, resource="cases", records=records, atomic=True)
    assert outcome.applied is False
    assert not Case.objects.exists() and not ExternalRef.objects.exists()
    assert not FeedEntry.objects.filter(resource="cases").exists()
    assert AuditEntry.objects.count() == entries


# --- audit_log_many ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_log_many_appends_a_chain_that_verifies(caseworker, make_case):
    case = make_case()
    audit_log(action="view", subject_type="cases.case", actor=caseworker)
    before = AuditEntry.objects.order_by("-sequence").first()

    appended = audit_log_many(
        [
            {"action": "create", "subject": case, "changes": {"n": 1}, "actor": caseworker},
            {"action": "view", "subject_type": "cases.case", "changes": {"ids": [case.pk]}},
            {"action": "update", "subject_type": "x", "subject_id": 7, "actor": caseworker},
        ]
    )

    assert [e.sequence for e in appended] == [before.sequence + n for n in (1, 2, 3)]
    assert appended[0].prev_hash == before.hash
    assert [e.prev_hash for e in appended[1:]] == [e.hash for e in appended[:-1]]
    stored = list(AuditEntry.objects.filter(sequence__gt=before.sequence).order_by("sequence"))
    assert [e.hash for e in stored] == [e.hash for e in appended]
    assert stored[0].subject_id == str(case.pk) and stored[0].actor_username == caseworker.username
    assert stored[0].role == "caseworker" and stored[0].offices == "DHK"
    assert stored[2].subject_id == "7"
    assert AuditMention.objects.filter(entry=stored[1], subject_id=str(case.pk)).exists()
    # The chain goes on from them with the one-entry path, and all of it verifies.
    audit_log(action="view", subject_type="cases.case", actor=caseworker)
    report = verify_chain()
    assert report.intact, report.as_dict()
    assert report.entries == AuditEntry.objects.count()


@pytest.mark.django_db
def test_audit_log_many_refuses_an_unknown_action_and_appends_nothing(caseworker):
    count = AuditEntry.objects.count()
    with pytest.raises(ValueError):
        audit_log_many([{"action": "create", "subject_type": "x"}, {"action": "nonsense"}])
    assert AuditEntry.objects.count() == count
    assert audit_log_many([]) == []
