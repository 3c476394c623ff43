"""Every write service leaves its entry, with the values it wrote or changed, in the same
transaction as the change: a change that is refused or rolled back leaves no entry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from aid.models import AidProgramme, Disbursement
from aid.services import disbursement_mark_paid, disbursement_record, disbursement_reverse
from audit.context import audit_actor
from audit.models import AuditEntry
from audit.selectors import audit_entries, audit_entries_for_subject
from audit.services import redacted_fingerprint
from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from cases.services import (
    NewCaseHistory,
    NewEvent,
    case_histories_bulk_create,
    case_transition,
    case_update_identity,
)
from families.models import Handover, ReferenceSample, Relative
from families.services import (
    handover_record,
    reference_sample_record,
    relative_add,
    relative_record_consent,
)
from graves.models import GraveSite, Identification, Remains
from graves.services import (
    exhumation_start,
    grave_site_confirm,
    grave_site_report,
    identification_confirm,
    identification_propose,
    identification_withdraw,
    remains_record,
)

from .conftest import entries_after, last_sequence

pytestmark = pytest.mark.django_db


def only_entry(start, **expected):
    entries = entries_after(start)
    assert len(entries) == 1, [(e.action, e.subject_type, e.changes) for e in entries]
    entry = entries[0]
    for name, value in expected.items():
        assert getattr(entry, name) == value, (name, getattr(entry, name))
    return entry


# --- cases ------------------------------------------------------------------------------------


def test_registering_a_case_records_its_values_and_first_event(make_case, caseworker):
    start = last_sequence()
    with audit_actor(caseworker):
        case = make_case(given_name_latn="Nadia", health_notes="diabetic")
    entry = only_entry(start, action="create", subject_type="cases.case", subject_id=str(case.pk))
    assert entry.actor_id == caseworker.pk
    assert entry.changes["case_number"] == case.case_number
    assert entry.changes["given_name_latn"] == "Nadia"
    assert entry.changes["status"] == Status.MISSING
    assert entry.changes["health_notes"] == redacted_fingerprint("diabetic")
    assert "diabetic" not in str(entry.changes)
    event = CaseEvent.objects.get(case=case)
    assert entry.changes["event"] == {
        "event_id": str(event.pk),
        "event_type": EventType.REPORTED_MISSING,
        "sequence": 1,
        "from_status": "",
        "to_status": Status.MISSING,
        "date": "2014-09-01",
    }


def test_a_transition_records_the_event_and_who_recorded_it(make_case, caseworker):
    case = make_case()
    start = last_sequence()
    event = case_transition(
        case=case, event_type=EventType.RESCUED, on="2016-05-01", actor=caseworker, source="x"
    )
    entry = only_entry(start, action="transition", subject_id=str(case.pk))
    assert entry.changes == {
        "event_id": str(event.pk),
        "event_type": "rescued",
        "sequence": 2,
        "from_status": "missing",
        "to_status": "rescued",
        "date": "2016-05-01",
        "version": 2,
        "duplicate_of_id": None,
    }
    assert (entry.actor_id, entry.actor_username, entry.offices) == (
        caseworker.pk,
        "caseworker-duhok",
        "DHK",
    )


def test_a_refused_transition_leaves_no_entry(make_case):
    case = make_case()
    start = last_sequence()
    with pytest.raises(ValidationError):
        case_transition(
            case=case,
            event_type=EventType.REMAINS_RETURNED,
            on="2016-05-01",
            actor=None,
            source="x",
        )
    assert entries_after(start) == []


def test_a_transition_rolled_back_by_its_caller_leaves_no_entry_and_no_gap(make_case):
    case = make_case()
    start = last_sequence()

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        case_transition(
            case=case, event_type=EventType.RESCUED, on="2016-05-01", actor=None, source="x"
        )
        assert len(entries_after(start)) == 1  # written, inside the transaction
        raise Undo
    assert entries_after(start) == []
    # The next entry takes the number the rolled-back one had: the chain stays gapless.
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2016-05-01", actor=None, source="x"
    )
    assert [e.sequence for e in entries_after(start)] == [start + 1]


def test_an_identity_edit_records_before_and_after(make_case):
    case = make_case(given_name_latn="Testa", captivity_notes="old")
    start = last_sequence()
    case_update_identity(
        case=case,
        changes={"given_name_latn": "Tesa", "captivity_notes": "new"},
        actor=None,
        expected_version=case.version,
    )
    entry = only_entry(start, action="update", subject_id=str(case.pk))
    assert entry.changes["given_name_latn"] == ["Testa", "Tesa"]
    assert entry.changes["version"] == [1, 2]
    assert entry.changes["captivity_notes"] == [
        redacted_fingerprint("old"),
        redacted_fingerprint("new"),
    ]
    assert "sex" not in entry.changes  # unchanged fields are not repeated


def test_a_stale_identity_edit_leaves_no_entry(make_case):
    case = make_case()
    start = last_sequence()
    with pytest.raises(ValidationError):
        case_update_identity(
            case=case, changes={"given_name_latn": "X"}, actor=None, expected_version=99
        )
    assert entries_after(start) == []


def test_a_bulk_load_writes_one_summary_entry(gazetteer, offices):
    def history(number):
        case = Case(
            case_number=number,
            sex="male",
            age_at_abduction=30,
            origin=gazetteer["kocho"],
            office=offices["sinjar"],
            abducted_on="2014-08-03",
        )
        return NewCaseHistory(
            case=case,
            events=[
                NewEvent(type=EventType.REPORTED_MISSING, on="2014-09", source="list"),
                NewEvent(type=EventType.RESCUED, on="2016", source="list"),
            ],
        )

    start = last_sequence()
    count = case_histories_bulk_create(
        histories=[history(f"B-{n}") for n in range(1, 6)], batch_size=2
    )
    assert count == 5
    entry = only_entry(start, action="create", subject_type="cases.case", subject_id="")
    assert entry.changes == {
        "bulk": 5,
        "events": 10,
        "case_numbers_first_last": ["B-1", "B-5"],
    }


# --- graves -----------------------------------------------------------------------------------


def test_grave_and_identification_services_record_each_write(gazetteer, make_case, make_user):
    proposer, reviewer = make_user("proposer"), make_user("reviewer", office_codes=())
    start = last_sequence()
    site = grave_site_report(
        site=GraveSite(code="G-A1", name="Test site", place=gazetteer["kocho"]),
        reported_on=dt.date(2015, 3, 1),
        source="witness",
        estimated_victims=40,
    )
    entry = only_entry(start, action="create", subject_type="graves.gravesite")
    assert (entry.changes["code"], entry.changes["status"]) == ("G-A1", "suspected")
    assert entry.changes["estimated_victims"] == 40

    start = last_sequence()
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    entry = only_entry(start, action="update", subject_id=str(site.pk))
    assert entry.changes["status"] == ["suspected", "confirmed"]
    assert entry.changes["confirmed_on"] == [None, "2015-06-01"]

    start = last_sequence()
    exhumation = exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="Team A")
    site_entry, exhumation_entry = entries_after(start)
    assert (site_entry.action, site_entry.subject_id) == ("update", str(site.pk))
    assert site_entry.changes == {
        "status": ["confirmed", "exhumed"],
        "opened_on": [None, "2017-03-01"],
    }
    assert (exhumation_entry.action, exhumation_entry.subject_type) == (
        "create",
        "graves.exhumation",
    )
    assert exhumation_entry.changes["team"] == "Team A"

    start = last_sequence()
    remains = remains_record(
        remains=Remains(code="R-A1", site=site, recovered_on=dt.date(2017, 3, 10)),
        exhumation=exhumation,
    )
    entry = only_entry(start, action="create", subject_id=str(remains.pk))
    assert entry.changes["exhumation_id"] == str(exhumation.pk)

    case = make_case()
    start = last_sequence()
    identification = identification_propose(
        remains=remains,
        case=case,
        method=Identification.Method.DNA_KINSHIP,
        identified_on=dt.date(2019, 2, 1),
        match_statistic=Decimal("0.999900"),
        actor=proposer,
    )
    entry = only_entry(start, action="create", subject_id=str(identification.pk))
    assert (entry.actor_id, entry.changes["match_statistic"]) == (proposer.pk, "0.999900")

    start = last_sequence()
    identification_confirm(
        identification=identification, actor=reviewer, on=dt.date(2019, 2, 15), source="lab"
    )
    transition, update = entries_after(start)
    assert (transition.action, transition.subject_id) == ("transition", str(case.pk))
    assert transition.changes["to_status"] == Status.REMAINS_IDENTIFIED
    assert (update.action, update.subject_id, update.actor_id) == (
        "update",
        str(identification.pk),
        reviewer.pk,
    )
    assert update.changes == {
        "status": ["proposed", "confirmed"],
        "confirmed_by_id": [None, reviewer.pk],
        "confirmed_on": [None, "2019-02-15"],
    }

    start = last_sequence()
    identification_withdraw(
        identification=identification,
        actor=reviewer,
        on=dt.date(2019, 4, 1),
        source="lab",
        reason="sample mix-up",
    )
    transition, update = entries_after(start)
    assert transition.changes["event_type"] == EventType.IDENTIFICATION_WITHDRAWN
    assert update.changes == {"status": ["confirmed", "withdrawn"], "reason": "sample mix-up"}


def test_a_failure_after_the_transition_rolls_back_its_entry_too(
    gazetteer, make_case, make_user, monkeypatch
):
    """The same transaction: identification_confirm writes the case's transition entry, then
    fails saving the identification; neither the transition nor its entry remains."""
    proposer, reviewer = make_user("proposer"), make_user("reviewer", office_codes=())
    site = grave_site_report(
        site=GraveSite(code="G-B1", name="Site", place=gazetteer["kocho"]),
        reported_on=dt.date(2015, 3, 1),
        source="witness",
    )
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    exhumation = exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="Team A")
    remains = remains_record(
        remains=Remains(code="R-B1", site=site, recovered_on=dt.date(2017, 3, 10)),
        exhumation=exhumation,
    )
    case = make_case()
    identification = identification_propose(
        remains=remains,
        case=case,
        method=Identification.Method.DNA_KINSHIP,
        identified_on=dt.date(2019, 2, 1),
        match_statistic=None,
        actor=proposer,
    )
    start = last_sequence()

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Identification, "save", broken_save)
    with pytest.raises(RuntimeError):
        identification_confirm(
            identification=identification, actor=reviewer, on=dt.date(2019, 2, 15), source="lab"
        )
    assert entries_after(start) == []
    assert Case.objects.get(pk=case.pk).status == Status.MISSING


# --- families ---------------------------------------------------------------------------------


def test_family_services_record_each_write_without_contact_details(make_case, make_user):
    case = make_case()
    start = last_sequence()
    kinship = relative_add(
        case=case,
        relative=Relative(
            full_name_latn="Relative", sex="female", phone="+964 750 555 0000", address="Dohuk"
        ),
        relationship="mother",
    )
    relative_entry, kinship_entry = entries_after(start)
    assert (relative_entry.subject_type, relative_entry.subject_id) == (
        "families.relative",
        str(kinship.relative_id),
    )
    assert relative_entry.changes["full_name_latn"] == "Relative"
    # Contact details stay out of the trail; a fingerprint shows they were set.
    assert "+964" not in str(relative_entry.changes)
    assert "Dohuk" not in str(relative_entry.changes)
    assert relative_entry.changes["phone"]["redacted"] is True
    assert (kinship_entry.subject_type, kinship_entry.changes["relationship"]) == (
        "families.kinship",
        "mother",
    )

    relative = kinship.relative
    start = last_sequence()
    relative_record_consent(
        relative=relative,
        consent=Relative.Consent.GIVEN,
        on=dt.date(2016, 4, 1),
        dna_matching=True,
        share_with_partners=False,
    )
    entry = only_entry(start, action="update", subject_id=str(relative.pk))
    assert entry.changes["consent_dna_matching"] == [False, True]
    assert entry.changes["consent_recorded_on"] == [None, "2016-04-01"]

    relative.refresh_from_db()
    start = last_sequence()
    sample = reference_sample_record(
        relative=relative, collected_on=dt.date(2016, 5, 1), lab_reference="LAB-1"
    )
    entry = only_entry(start, action="create", subject_type="families.referencesample")
    # Lab references are sensitive (access.policy.SENSITIVE_FIELDS): fingerprinted in the trail.
    assert entry.changes["lab_reference"]["redacted"] is True
    assert "LAB-1" not in str(entry.changes)

    start = last_sequence()
    relative_record_consent(
        relative=relative,
        consent=Relative.Consent.WITHDRAWN,
        on=dt.date(2018, 1, 1),
        dna_matching=False,
        share_with_partners=False,
    )
    consent_entry, sample_entry = entries_after(start)
    assert consent_entry.changes["consent_dna_matching"] == [True, False]
    assert (sample_entry.subject_id, sample_entry.changes) == (
        str(sample.pk),
        {"status": [ReferenceSample.Status.COLLECTED, ReferenceSample.Status.DESTROYED]},
    )


def test_a_handover_records_the_transition_and_the_handover(gazetteer, make_case, make_user):
    proposer, reviewer = make_user("proposer"), make_user("reviewer", office_codes=())
    case = make_case()
    relative = relative_add(
        case=case, relative=Relative(full_name_latn="R", sex="male"), relationship="father"
    ).relative
    site = grave_site_report(
        site=GraveSite(code="G-C1", name="Site", place=gazetteer["kocho"]),
        reported_on=dt.date(2015, 3, 1),
        source="witness",
    )
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    exhumation = exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="T")
    remains = remains_record(
        remains=Remains(code="R-C1", site=site, recovered_on=dt.date(2017, 3, 10)),
        exhumation=exhumation,
    )
    identification = identification_propose(
        remains=remains,
        case=case,
        method=Identification.Method.DNA_KINSHIP,
        identified_on=dt.date(2019, 2, 1),
        match_statistic=None,
        actor=proposer,
    )
    identification = identification_confirm(
        identification=identification, actor=reviewer, on=dt.date(2019, 2, 15), source="lab"
    )
    case.refresh_from_db()
    start = last_sequence()
    handover = handover_record(
        case=case,
        identification=identification,
        handed_over_on=dt.date(2019, 6, 1),
        actor=reviewer,
        source="ceremony",
        receiving_relative=relative,
    )
    transition, created = entries_after(start)
    assert transition.changes["to_status"] == Status.REMAINS_RETURNED
    assert (created.subject_type, created.subject_id, created.actor_id) == (
        "families.handover",
        str(handover.pk),
        reviewer.pk,
    )
    assert created.changes["receiving_relative_id"] == str(relative.pk)
    assert Handover.objects.count() == 1


# --- aid --------------------------------------------------------------------------------------


def test_aid_services_record_each_write(make_case, make_user):
    officer = make_user("aid-officer", "aid_officer")
    programme = AidProgramme.objects.create(
        code="salary",
        name="Salary",
        administered_by="Directorate",
        frequency=AidProgramme.Frequency.MONTHLY,
        standard_amount=Decimal("800000.00"),
        starts_on=dt.date(2016, 1, 10),
    )
    case = make_case()
    case_transition(
        case=case, event_type=EventType.RESCUED, on=dt.date(2017, 3, 15), actor=None, source="x"
    )
    start = last_sequence()
    disbursement = disbursement_record(
        programme=programme,
        case=case,
        period=dt.date(2017, 5, 1),
        approved_on=dt.date(2017, 5, 2),
        actor=officer,
    )
    entry = only_entry(start, action="create", subject_type="aid.disbursement")
    assert (entry.actor_id, entry.changes["amount"], entry.changes["period"]) == (
        officer.pk,
        "800000.00",
        "2017-05-01",
    )

    start = last_sequence()
    with pytest.raises(ValidationError):  # the same month twice
        disbursement_record(
            programme=programme,
            case=case,
            period=dt.date(2017, 5, 1),
            approved_on=dt.date(2017, 5, 2),
            actor=officer,
        )
    assert entries_after(start) == []

    disbursement_mark_paid(disbursement=disbursement, on=dt.date(2017, 5, 20), reference="TX-1")
    paid = only_entry(start, action="update", subject_id=str(disbursement.pk))
    assert paid.changes == {
        "status": [Disbursement.Status.APPROVED, Disbursement.Status.PAID],
        "paid_on": [None, "2017-05-20"],
        "reference": ["", "TX-1"],
    }
    start = last_sequence()
    disbursement_reverse(disbursement=disbursement, on=dt.date(2017, 6, 1))
    reversed_ = only_entry(start, action="update")
    assert reversed_.changes["status"] == [Disbursement.Status.PAID, Disbursement.Status.REVERSED]


# --- selectors --------------------------------------------------------------------------------


def test_selectors_filter_in_chain_order(make_case, caseworker, supervisor):
    with audit_actor(caseworker):
        case = make_case()
        case_transition(
            case=case, event_type=EventType.RESCUED, on="2016-05-01", actor=None, source="x"
        )
    other = make_case()
    history = list(audit_entries_for_subject(subject=case))
    assert [e.action for e in history] == ["create", "transition"]
    assert [e.sequence for e in history] == sorted(e.sequence for e in history)
    assert all(e.subject_id == str(case.pk) for e in history)
    assert list(audit_entries(actor=caseworker, action="transition")) == history[1:]
    assert list(audit_entries(actor=caseworker.pk, subject_id=case.pk)) == history
    assert not audit_entries(actor=supervisor, subject_type="cases.case").exists()
    assert audit_entries(subject_type="cases.case", subject_id=other.pk).count() == 1
    since = history[1].occurred_at
    assert list(audit_entries(subject_id=case.pk, since=since)) == history[1:]
    assert list(audit_entries(subject_id=case.pk, until=since)) == history[:1]
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in history]).count() == 2
