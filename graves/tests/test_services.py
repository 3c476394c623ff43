"""Grave sites, exhumations, remains and identifications, and how an identification moves the
case along its timeline."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from cases.services import case_transition
from graves.models import GraveReport, GraveSite, Identification, Remains
from graves.services import (
    exhumation_start,
    grave_site_confirm,
    grave_site_report,
    identification_confirm,
    identification_propose,
    identification_withdraw,
    remains_record,
)

_codes = itertools.count(1)


@pytest.fixture
def users(db):
    model = get_user_model()
    return {
        name: model.objects.create_user(username=name, password="not-a-real-password-1")
        for name in ("proposer", "reviewer")
    }


def report_site(place, reported_on=dt.date(2015, 3, 1)):
    site = GraveSite(code=f"G-{next(_codes)}", name="Test site", place=place)
    return grave_site_report(
        site=site, reported_on=reported_on, source="witness", estimated_victims=40
    )


@pytest.fixture
def exhumation(gazetteer):
    site = report_site(gazetteer["kocho"])
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    return exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="Team A")


@pytest.fixture
def make_remains(exhumation):
    def make(recovered_on=dt.date(2017, 3, 10)):
        remains = Remains(code=f"R-{next(_codes)}", site=exhumation.site, recovered_on=recovered_on)
        return remains_record(remains=remains, exhumation=exhumation)

    return make


def propose(remains, case, actor, identified_on=dt.date(2019, 2, 1)):
    return identification_propose(
        remains=remains,
        case=case,
        method=Identification.Method.DNA_KINSHIP,
        identified_on=identified_on,
        match_statistic=Decimal("0.999900"),
        actor=actor,
    )


def confirm(identification, actor, on=dt.date(2019, 2, 15)):
    return identification_confirm(
        identification=identification, actor=actor, on=on, source="lab report"
    )


def withdraw(identification, actor, on=dt.date(2019, 4, 1)):
    return identification_withdraw(
        identification=identification, actor=actor, on=on, source="lab", reason="sample mix-up"
    )


def refusal(excinfo, field):
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    return " ".join(excinfo.value.message_dict[field])


# --- sites and exhumations --------------------------------------------------------------------


def test_site_report_confirm_and_exhumation_open_the_site(gazetteer):
    site = report_site(gazetteer["kocho"])
    assert (site.status, site.confirmed_on, site.opened_on) == (
        GraveSite.Status.SUSPECTED,
        None,
        None,
    )
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    exhumation = exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="Team A")
    stored = GraveSite.objects.get(pk=site.pk)
    assert (stored.status, stored.confirmed_on, stored.opened_on) == (
        GraveSite.Status.EXHUMED,
        dt.date(2015, 6, 1),
        dt.date(2017, 3, 1),
    )
    assert exhumation.site_id == site.pk
    assert GraveReport.objects.filter(site=site).count() == 2


def test_a_second_exhumation_keeps_the_opening_date(exhumation):
    exhumation_start(site=exhumation.site, started_on=dt.date(2018, 4, 1), team="Team B")
    stored = GraveSite.objects.get(pk=exhumation.site_id)
    assert (stored.status, stored.opened_on) == (GraveSite.Status.EXHUMED, dt.date(2017, 3, 1))
    assert stored.exhumations.count() == 2


def test_exhumation_before_confirmation_is_refused(gazetteer):
    site = report_site(gazetteer["kocho"])
    with pytest.raises(ValidationError) as excinfo:
        exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="Team A")
    refusal(excinfo, "site")
    assert GraveSite.objects.get(pk=site.pk).status == GraveSite.Status.SUSPECTED
    assert not site.exhumations.exists()


def test_exhumation_dated_before_the_confirmation_is_refused(gazetteer):
    site = report_site(gazetteer["kocho"])
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    with pytest.raises(ValidationError) as excinfo:
        exhumation_start(site=site, started_on=dt.date(2015, 5, 31), team="Team A")
    refusal(excinfo, "started_on")
    assert GraveSite.objects.get(pk=site.pk).status == GraveSite.Status.CONFIRMED


def test_confirmation_before_the_first_report_is_refused(gazetteer):
    site = report_site(gazetteer["kocho"])
    with pytest.raises(ValidationError) as excinfo:
        grave_site_confirm(site=site, on=dt.date(2015, 2, 28), source="survey")
    refusal(excinfo, "confirmed_on")


def test_a_site_is_confirmed_only_once(gazetteer):
    site = report_site(gazetteer["kocho"])
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    with pytest.raises(ValidationError) as excinfo:
        grave_site_confirm(site=site, on=dt.date(2015, 7, 1), source="survey")
    refusal(excinfo, "status")
    assert GraveSite.objects.get(pk=site.pk).confirmed_on == dt.date(2015, 6, 1)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": "exhumed"}, "grave_site_status_dates"),  # exhumed without dates
        ({"status": "confirmed"}, "grave_site_status_dates"),  # confirmed without a date
        ({"confirmed_on": dt.date(2015, 6, 1)}, "grave_site_status_dates"),  # suspected, dated
        (
            {"status": "confirmed", "confirmed_on": dt.date(2015, 2, 1)},
            "grave_site_confirmed_after_reported",
        ),
        (
            {
                "status": "exhumed",
                "confirmed_on": dt.date(2015, 6, 1),
                "opened_on": dt.date(2015, 5, 1),
            },
            "grave_site_opened_after_confirmed",
        ),
    ],
)
def test_site_constraints_are_enforced_by_the_database(gazetteer, changes, constraint):
    site = report_site(gazetteer["kocho"])
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        GraveSite.objects.filter(pk=site.pk).update(**changes)
    assert constraint in str(excinfo.value)


def test_a_consistent_exhumed_site_passes_the_constraints(gazetteer):
    site = report_site(gazetteer["kocho"])
    with transaction.atomic():
        assert (
            GraveSite.objects.filter(pk=site.pk).update(
                status="exhumed", confirmed_on=dt.date(2015, 6, 1), opened_on=dt.date(2015, 6, 1)
            )
            == 1
        )


# --- remains ----------------------------------------------------------------------------------


def test_remains_are_recorded_at_the_exhumation_site(make_remains, exhumation):
    remains = make_remains()
    stored = Remains.objects.get(pk=remains.pk)
    assert (stored.site_id, stored.exhumation_id) == (exhumation.site_id, exhumation.pk)


def test_remains_recovered_before_the_exhumation_are_refused(exhumation):
    remains = Remains(code="R-EARLY", site=exhumation.site, recovered_on=dt.date(2017, 2, 28))
    with pytest.raises(ValidationError) as excinfo:
        remains_record(remains=remains, exhumation=exhumation)
    refusal(excinfo, "recovered_on")
    assert not Remains.objects.filter(code="R-EARLY").exists()


# --- identifications --------------------------------------------------------------------------


def test_proposal_does_not_change_the_case(make_case, make_remains, users):
    case = make_case()
    identification = propose(make_remains(), case, users["proposer"])
    assert identification.status == Identification.Status.PROPOSED
    assert Case.objects.get(pk=case.pk).status == Status.MISSING
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_confirmation_identifies_the_case_through_its_timeline(make_case, make_remains, users):
    case = make_case()
    identification = propose(make_remains(), case, users["proposer"])
    confirmed = confirm(identification, users["reviewer"])
    assert (confirmed.status, confirmed.confirmed_by, confirmed.confirmed_on) == (
        Identification.Status.CONFIRMED,
        users["reviewer"],
        dt.date(2019, 2, 15),
    )
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.remains_identified_on, stored.version) == (
        Status.REMAINS_IDENTIFIED,
        dt.date(2019, 2, 1),
        2,
    )
    event = CaseEvent.objects.get(case=case, sequence=2)
    assert (event.type, event.recorded_by, event.source) == (
        EventType.REMAINS_IDENTIFIED,
        users["reviewer"],
        "lab report",
    )
    assert identification.remains.code in event.note


def test_confirmation_by_the_proposer_is_refused(make_case, make_remains, users):
    case = make_case()
    identification = propose(make_remains(), case, users["proposer"])
    with pytest.raises(ValidationError) as excinfo:
        confirm(identification, users["proposer"])
    refusal(excinfo, "confirmed_by")
    assert Identification.objects.get(pk=identification.pk).status == "proposed"
    assert Case.objects.get(pk=case.pk).status == Status.MISSING


def test_only_a_proposed_identification_is_confirmed(make_case, make_remains, users):
    identification = propose(make_remains(), make_case(), users["proposer"])
    confirm(identification, users["reviewer"])
    with pytest.raises(ValidationError) as excinfo:
        confirm(identification, users["reviewer"])
    refusal(excinfo, "status")


def test_second_remains_of_an_identified_case_add_information(make_case, make_remains, users):
    case = make_case()
    confirm(propose(make_remains(), case, users["proposer"]), users["reviewer"])
    confirm(
        propose(make_remains(), case, users["proposer"], dt.date(2019, 3, 1)),
        users["reviewer"],
        on=dt.date(2019, 3, 5),
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == Status.REMAINS_IDENTIFIED
    assert stored.remains_identified_on == dt.date(2019, 2, 1)
    assert CaseEvent.objects.get(case=case, sequence=3).type == EventType.INFORMATION_RECEIVED


def test_identification_before_recovery_is_refused(make_case, make_remains, users):
    with pytest.raises(ValidationError) as excinfo:
        propose(make_remains(), make_case(), users["proposer"], identified_on=dt.date(2017, 3, 9))
    refusal(excinfo, "identified_on")
    assert not Identification.objects.exists()


def test_remains_identify_at_most_one_case(make_case, make_remains, users):
    remains = make_remains()
    propose(remains, make_case(), users["proposer"])
    other = make_case()
    with pytest.raises(ValidationError) as excinfo:
        propose(remains, other, users["proposer"])
    refusal(excinfo, "remains")
    assert not Identification.objects.filter(case=other).exists()


def test_database_allows_one_live_identification_per_remains(make_case, make_remains, users):
    remains = make_remains()
    first = propose(remains, make_case(), users["proposer"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Identification.objects.create(
            remains=remains,
            case=make_case(),
            method=Identification.Method.DENTAL,
            identified_on=dt.date(2019, 2, 1),
        )
    assert list(Identification.objects.filter(remains=remains)) == [first]


def test_database_refuses_a_bulk_insert_of_two_identifications(make_case, make_remains):
    remains = make_remains()
    rows = [
        Identification(
            remains=remains, case=make_case(), method="dental", identified_on=dt.date(2019, 2, 1)
        )
        for _ in range(2)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Identification.objects.bulk_create(rows)
    assert not Identification.objects.exists()


def test_withdrawn_identifications_do_not_block_a_new_one(make_case, make_remains, users):
    remains = make_remains()
    withdraw(propose(remains, make_case(), users["proposer"]), users["reviewer"])
    Identification.objects.create(
        remains=remains,
        case=make_case(),
        method="dental",
        identified_on=dt.date(2019, 2, 1),
        status="withdrawn",
    )
    replacement = propose(remains, make_case(), users["proposer"])
    assert Identification.objects.filter(remains=remains).count() == 3
    assert replacement.status == Identification.Status.PROPOSED


def test_database_requires_a_confirmation_date(make_case, make_remains, users):
    identification = propose(make_remains(), make_case(), users["proposer"])
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Identification.objects.filter(pk=identification.pk).update(status="confirmed")
    assert "identification_confirmed_has_date" in str(excinfo.value)


def test_withdrawing_a_proposal_leaves_the_case_alone(make_case, make_remains, users):
    case = make_case()
    identification = withdraw(propose(make_remains(), case, users["proposer"]), users["reviewer"])
    assert identification.status == Identification.Status.WITHDRAWN
    assert CaseEvent.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    ("event_before", "expected"),
    [
        (None, Status.MISSING),
        (EventType.CAPTIVITY_CONFIRMED, Status.CAPTIVE),
        (EventType.DEATH_REPORTED, Status.REPORTED_DEAD),
    ],
)
def test_withdrawing_a_confirmed_identification_returns_the_case_to_its_previous_status(
    make_case, make_remains, users, event_before, expected
):
    case = make_case()
    if event_before:
        case_transition(case=case, event_type=event_before, on="2016", actor=None, source="x")
    identification = confirm(propose(make_remains(), case, users["proposer"]), users["reviewer"])
    withdraw(identification, users["reviewer"])
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.remains_identified_on) == (expected, None)
    last = CaseEvent.objects.filter(case=case).order_by("-sequence").first()
    assert (last.type, last.note) == (EventType.IDENTIFICATION_WITHDRAWN, "sample mix-up")


def test_withdrawing_one_of_two_confirmed_identifications_keeps_the_case_identified(
    make_case, make_remains, users
):
    case = make_case()
    first = confirm(propose(make_remains(), case, users["proposer"]), users["reviewer"])
    confirm(propose(make_remains(), case, users["proposer"]), users["reviewer"])
    withdraw(first, users["reviewer"])
    assert Case.objects.get(pk=case.pk).status == Status.REMAINS_IDENTIFIED


def test_withdrawal_needs_a_reason_and_happens_once(make_case, make_remains, users):
    identification = propose(make_remains(), make_case(), users["proposer"])
    with pytest.raises(ValidationError) as excinfo:
        identification_withdraw(
            identification=identification,
            actor=None,
            on=dt.date(2019, 4, 1),
            source="lab",
            reason="",
        )
    refusal(excinfo, "reason")
    withdraw(identification, users["reviewer"])
    with pytest.raises(ValidationError) as excinfo:
        withdraw(identification, users["reviewer"])
    refusal(excinfo, "status")


def test_identifying_a_rescued_case_is_refused(make_case, make_remains, users):
    case = make_case()
    case_transition(case=case, event_type=EventType.RESCUED, on="2016", actor=None, source="x")
    with pytest.raises(ValidationError) as excinfo:
        propose(make_remains(), case, users["proposer"])
    assert "Rescued (alive)" in refusal(excinfo, "case")
    assert not Identification.objects.exists()


def test_confirming_after_the_case_was_rescued_is_refused(make_case, make_remains, users):
    case = make_case()
    identification = propose(make_remains(), case, users["proposer"])
    case_transition(case=case, event_type=EventType.RESCUED, on="2018", actor=None, source="x")
    with pytest.raises(ValidationError) as excinfo:
        confirm(identification, users["reviewer"])
    refusal(excinfo, "case")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.remains_identified_on) == (Status.RESCUED, None)
    assert Identification.objects.get(pk=identification.pk).status == "proposed"


def test_confirmation_names_the_person_confirming(make_case, make_remains, users):
    identification = propose(make_remains(), make_case(), users["proposer"])
    with pytest.raises(ValidationError) as excinfo:
        confirm(identification, None)
    assert "person confirming" in refusal(excinfo, "confirmed_by")


@pytest.mark.parametrize("on", [dt.date(2019, 1, 31), dt.date.today() + dt.timedelta(days=1)])
def test_confirmation_is_dated_between_identification_and_today(make_case, make_remains, users, on):
    identification = propose(make_remains(), make_case(), users["proposer"])
    with pytest.raises(ValidationError) as excinfo:
        confirm(identification, users["reviewer"], on=on)
    refusal(excinfo, "confirmed_on")
    identification.refresh_from_db()
    assert identification.status == Identification.Status.PROPOSED
