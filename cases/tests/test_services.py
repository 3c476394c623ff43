"""Case services: registration, single transitions, identity edits, bulk histories, and the
database constraints that back them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from cases.partial_dates import PartialDate
from cases.services import (
    NewCaseHistory,
    NewEvent,
    case_histories_bulk_create,
    case_register,
    case_transition,
    case_update_identity,
)


def transition(case, event_type, on, **kwargs):
    kwargs.setdefault("source", "test")
    return case_transition(case=case, event_type=event_type, on=on, actor=None, **kwargs)


def refusal(excinfo, field):
    """The messages a ValidationError gives for one field (and that it names that field)."""
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    return " ".join(excinfo.value.message_dict[field])


def types(case):
    return list(
        CaseEvent.objects.filter(case=case).order_by("sequence").values_list("sequence", "type")
    )


# --- case_register ----------------------------------------------------------------------------


def test_register_writes_reported_missing_as_event_one(make_case):
    case = make_case(reported_on="2014-09")
    event = CaseEvent.objects.get(case=case)
    assert (event.sequence, event.type, event.from_status, event.to_status) == (
        1,
        EventType.REPORTED_MISSING,
        "",
        Status.MISSING,
    )
    assert event.date == PartialDate(2014, 9)
    assert (event.date_lower, event.date_upper) == (dt.date(2014, 9, 1), dt.date(2014, 9, 30))
    assert event.source == "test report"


def test_register_sets_status_version_and_abduction_bound(make_case):
    case = Case.objects.get(pk=make_case(abducted_on="2014-08").pk)
    assert (case.status, case.version) == (Status.MISSING, 1)
    assert case.abducted_by == dt.date(2014, 8, 31)


# Dates given as text (as a form or the make_case fixture gives them) and as PartialDate.
AS_TEXT_AND_AS_PARTIAL_DATE = pytest.mark.parametrize(
    "parse", [str, PartialDate.parse], ids=["text", "partial_date"]
)


@AS_TEXT_AND_AS_PARTIAL_DATE
def test_register_derives_age_from_a_partial_birth_date(make_case, parse):
    # Born "1990" counts from 1990-07-01; abducted 2014-08-03: 24 years old.
    case = make_case(
        birth_date=parse("1990"), abducted_on=parse("2014-08-03"), age_at_abduction=None
    )
    assert Case.objects.get(pk=case.pk).age_at_abduction == 24


def test_register_keeps_a_reported_age(make_case):
    case = make_case(birth_date=PartialDate(1990), age_at_abduction=30)
    assert Case.objects.get(pk=case.pk).age_at_abduction == 30


@AS_TEXT_AND_AS_PARTIAL_DATE
def test_register_refuses_a_birth_date_after_the_abduction(make_case, parse):
    with pytest.raises(ValidationError) as excinfo:
        make_case(birth_date=parse("2015"), abducted_on=parse("2014-08-03"), age_at_abduction=None)
    assert "after the abduction" in refusal(excinfo, "birth_date")
    assert not Case.objects.exists()


def test_register_refuses_a_report_before_the_abduction(make_case):
    with pytest.raises(ValidationError) as excinfo:
        make_case(reported_on="2014-08-02")
    refusal(excinfo, "date")
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_register_refuses_a_missing_source(gazetteer, offices):
    case = Case(
        case_number="T-X",
        sex="female",
        age_at_abduction=20,
        origin=gazetteer["kocho"],
        office=offices["duhok"],
        abducted_on="2014-08-03",
    )
    with pytest.raises(ValidationError) as excinfo:
        case_register(case=case, reported_on="2014-09-01", actor=None, source="")
    refusal(excinfo, "source")
    assert not Case.objects.exists()


def test_register_refuses_an_implausible_age(make_case):
    with pytest.raises(ValidationError) as excinfo:
        make_case(age_at_abduction=121)
    assert excinfo.value.message_dict
    assert not Case.objects.exists()


def test_register_refuses_a_duplicate_case_number(make_case):
    make_case(case_number="T-DUP")
    with pytest.raises(ValidationError) as excinfo:
        make_case(case_number="T-DUP")
    refusal(excinfo, "case_number")
    assert Case.objects.count() == 1


# --- case_transition --------------------------------------------------------------------------


def test_rescue_sets_status_and_date(make_case):
    case = make_case()
    event = transition(case, EventType.RESCUED, "2016-05")
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == case.status == Status.RESCUED
    assert stored.rescued_on == case.rescued_on == dt.date(2016, 5, 31)
    assert (event.from_status, event.to_status) == (Status.MISSING, Status.RESCUED)


def test_rescued_twice_is_refused_with_a_clear_message(make_case):
    case = make_case()
    transition(case, EventType.RESCUED, "2016-05-10")
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.RESCUED, "2016-06-01")
    message = refusal(excinfo, "type")
    assert "Rescued is not possible for a case that is Rescued (alive)" in message
    assert Case.objects.get(pk=case.pk).rescued_on == dt.date(2016, 5, 10)
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_rescued_twice_is_refused_even_through_a_stale_instance(make_case):
    case = make_case()
    stale = Case.objects.get(pk=case.pk)
    transition(case, EventType.RESCUED, "2016-05-10")
    with pytest.raises(ValidationError):
        transition(stale, EventType.RESCUED, "2016-05-11")
    assert CaseEvent.objects.filter(case=case, type=EventType.RESCUED).count() == 1


def test_returned_before_identified_is_refused(make_case):
    case = make_case()
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.REMAINS_RETURNED, "2016-05-10")
    refusal(excinfo, "type")
    assert Case.objects.get(pk=case.pk).status == Status.MISSING


def test_event_before_the_abduction_is_refused(make_case):
    case = make_case(reported_on="2014-08-03")
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.CAPTIVITY_CONFIRMED, "2014-08-02")
    assert "before the abduction" in refusal(excinfo, "date")
    assert types(case) == [(1, EventType.REPORTED_MISSING)]


def test_event_before_the_previous_event_is_refused(make_case):
    case = make_case()
    transition(case, EventType.CAPTIVITY_CONFIRMED, "2015-06")
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.RESCUED, "2015-05-31")
    assert "latest event" in refusal(excinfo, "date")


def test_event_certainly_before_an_earlier_event_is_refused_after_a_vaguer_one(make_case):
    # Abducted some time in 2014, reported on 1 September 2014, then a vague "2014" note. A
    # rescue in March 2014 is certainly before the report and must be refused; the vague
    # event in between must not let it through.
    case = make_case(abducted_on="2014", reported_on="2014-09-01")
    transition(case, EventType.INFORMATION_RECEIVED, "2014")
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.RESCUED, "2014-03")
    refusal(excinfo, "date")
    assert Case.objects.get(pk=case.pk).status == Status.MISSING


def test_overlapping_partial_dates_are_accepted(make_case):
    case = make_case(reported_on="2014-08-03")
    transition(case, EventType.CAPTIVITY_CONFIRMED, "2014")
    transition(case, EventType.RESCUED, "2014-08")
    assert case.status == Status.RESCUED


def test_events_get_increasing_sequence_numbers_and_versions(make_case):
    case = make_case()
    versions = [case.version]
    for event_type, on in [
        (EventType.CAPTIVITY_CONFIRMED, "2015"),
        (EventType.INFORMATION_RECEIVED, "2015-06"),
        (EventType.RESCUED, "2016-01-02"),
    ]:
        transition(case, event_type, on)
        versions.append(case.version)
    assert versions == [1, 2, 3, 4]
    assert Case.objects.get(pk=case.pk).version == 4
    assert types(case) == [
        (1, EventType.REPORTED_MISSING),
        (2, EventType.CAPTIVITY_CONFIRMED),
        (3, EventType.INFORMATION_RECEIVED),
        (4, EventType.RESCUED),
    ]


def test_refused_transition_changes_nothing(make_case):
    case = make_case()
    with pytest.raises(ValidationError):
        transition(case, EventType.RESCUED, "2013")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.version, stored.rescued_on) == (Status.MISSING, 1, None)
    assert (case.status, case.version) == (Status.MISSING, 1)


def test_transition_refuses_a_missing_source(make_case):
    case = make_case()
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.RESCUED, "2016", source="")
    refusal(excinfo, "source")


def test_stale_expected_version_is_refused(make_case):
    case = make_case()
    opened_version = case.version
    transition(case, EventType.CAPTIVITY_CONFIRMED, "2015")
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.RESCUED, "2016", expected_version=opened_version)
    assert excinfo.value.code == "stale"
    assert Case.objects.get(pk=case.pk).status == Status.CAPTIVE


def test_current_expected_version_is_accepted(make_case):
    case = make_case()
    transition(case, EventType.RESCUED, "2016", expected_version=case.version)
    assert case.version == 2


def test_death_then_identification_then_return(make_case):
    case = make_case()
    transition(case, EventType.DEATH_REPORTED, "2015-01")
    transition(case, EventType.REMAINS_IDENTIFIED, "2019-02-01")
    transition(case, EventType.REMAINS_RETURNED, "2019-06-01")
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == Status.REMAINS_RETURNED
    assert (stored.reported_dead_on, stored.remains_identified_on, stored.remains_returned_on) == (
        dt.date(2015, 1, 31),
        dt.date(2019, 2, 1),
        dt.date(2019, 6, 1),
    )


def test_return_within_the_month_of_a_month_precision_identification(make_case):
    # "Identified in May 2019", "returned on 10 May 2019" overlap, so the lifecycle accepts them;
    # the service must then either record them or refuse with a ValidationError, never fail on
    # the database constraint case_returned_not_before_identified.
    case = make_case()
    transition(case, EventType.REMAINS_IDENTIFIED, "2019-05")
    try:
        transition(case, EventType.REMAINS_RETURNED, "2019-05-10")
    except ValidationError:
        assert Case.objects.get(pk=case.pk).status == Status.REMAINS_IDENTIFIED
    else:
        assert Case.objects.get(pk=case.pk).status == Status.REMAINS_RETURNED


def test_identification_withdrawn_returns_to_the_previous_status(make_case):
    case = make_case()
    transition(case, EventType.DEATH_REPORTED, "2015")
    transition(case, EventType.REMAINS_IDENTIFIED, "2019-02-01")
    event = transition(case, EventType.IDENTIFICATION_WITHDRAWN, "2019-03-01")
    stored = Case.objects.get(pk=case.pk)
    assert event.to_status == stored.status == Status.REPORTED_DEAD
    assert stored.remains_identified_on is None
    assert stored.reported_dead_on == dt.date(2015, 12, 31)


# --- duplicates -------------------------------------------------------------------------------


def test_closed_duplicate_names_the_original(make_case):
    original, duplicate = make_case(), make_case()
    transition(duplicate, EventType.CLOSED_DUPLICATE, "2016-01-05", duplicate_of=original)
    stored = Case.objects.get(pk=duplicate.pk)
    assert stored.status == Status.CLOSED_DUPLICATE
    assert stored.duplicate_of == original
    assert stored.closed_on == dt.date(2016, 1, 5)


def test_closed_duplicate_requires_duplicate_of(make_case):
    case = make_case()
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.CLOSED_DUPLICATE, "2016")
    refusal(excinfo, "duplicate_of")
    assert Case.objects.get(pk=case.pk).status == Status.MISSING


def test_closed_duplicate_of_itself_is_refused(make_case):
    case = make_case()
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.CLOSED_DUPLICATE, "2016", duplicate_of=case)
    assert "itself" in refusal(excinfo, "duplicate_of")


def test_closed_duplicate_of_a_closed_duplicate_is_refused(make_case):
    original, first, second = make_case(), make_case(), make_case()
    transition(first, EventType.CLOSED_DUPLICATE, "2016", duplicate_of=original)
    with pytest.raises(ValidationError) as excinfo:
        transition(second, EventType.CLOSED_DUPLICATE, "2016", duplicate_of=first)
    refusal(excinfo, "duplicate_of")


def test_duplicate_of_is_refused_for_other_events(make_case):
    original, case = make_case(), make_case()
    with pytest.raises(ValidationError) as excinfo:
        transition(case, EventType.RESCUED, "2016", duplicate_of=original)
    refusal(excinfo, "duplicate_of")


def test_reopened_clears_duplicate_of_and_returns_to_the_previous_status(make_case):
    original, case = make_case(), make_case()
    transition(case, EventType.CAPTIVITY_CONFIRMED, "2015")
    transition(case, EventType.CLOSED_DUPLICATE, "2016-01-05", duplicate_of=original)
    transition(case, EventType.REOPENED, "2016-02-01")
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == case.status == Status.CAPTIVE
    assert stored.duplicate_of is None and case.duplicate_of_id is None
    assert stored.closed_on is None


# --- case_update_identity ---------------------------------------------------------------------


def test_update_identity_changes_names_and_increments_the_version(make_case):
    case = make_case()
    updated = case_update_identity(
        case=case, changes={"father_name_latn": "Khalaf"}, actor=None, expected_version=1
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.father_name_latn == updated.father_name_latn == "Khalaf"
    assert stored.version == updated.version == 2


@pytest.mark.parametrize(
    "field",
    ["status", "rescued_on", "remains_identified_on", "closed_on", "duplicate_of", "version", "id"],
)
def test_update_identity_refuses_lifecycle_fields(make_case, field):
    case = make_case()
    with pytest.raises(ValidationError) as excinfo:
        case_update_identity(
            case=case, changes={field: None, "given_name_latn": "X"}, actor=None, expected_version=1
        )
    assert set(excinfo.value.message_dict) == {field}
    stored = Case.objects.get(pk=case.pk)
    assert (stored.given_name_latn, stored.version) == ("Testa", 1)


def test_update_identity_refuses_a_stale_version(make_case):
    case = make_case()
    transition(case, EventType.CAPTIVITY_CONFIRMED, "2015")
    with pytest.raises(ValidationError) as excinfo:
        case_update_identity(
            case=case, changes={"given_name_latn": "X"}, actor=None, expected_version=1
        )
    assert excinfo.value.code == "stale"
    assert Case.objects.get(pk=case.pk).given_name_latn == "Testa"


def test_update_identity_rederives_the_age_from_a_new_birth_date(make_case):
    case = make_case(age_at_abduction=40)
    updated = case_update_identity(
        case=case, changes={"birth_date": PartialDate(2000, 3)}, actor=None, expected_version=1
    )
    assert updated.age_at_abduction == 14
    assert Case.objects.get(pk=case.pk).birth_date == PartialDate(2000, 3)


def test_update_identity_refuses_an_invalid_value(make_case):
    case = make_case()
    with pytest.raises(ValidationError) as excinfo:
        case_update_identity(case=case, changes={"sex": "robot"}, actor=None, expected_version=1)
    refusal(excinfo, "sex")
    assert Case.objects.get(pk=case.pk).sex == "female"


# --- case_histories_bulk_create ---------------------------------------------------------------


def new_case(gazetteer, offices, number, **overrides):
    fields = {
        "case_number": number,
        "sex": "male",
        "age_at_abduction": 10,
        "origin": gazetteer["kocho"],
        "office": offices["sinjar"],
        "abducted_on": PartialDate(2014, 8, 3),
    }
    fields.update(overrides)
    return Case(**fields)


def test_bulk_create_writes_cases_and_their_events(gazetteer, offices):
    histories = [
        NewCaseHistory(
            new_case(gazetteer, offices, "B-1"),
            [
                NewEvent(EventType.REPORTED_MISSING, "2014-09", "import"),
                NewEvent(EventType.CAPTIVITY_CONFIRMED, "2015", "import"),
                NewEvent(EventType.RESCUED, "2017-03-02", "import"),
            ],
        ),
        NewCaseHistory(
            new_case(
                gazetteer, offices, "B-2", birth_date=PartialDate(1990), age_at_abduction=None
            ),
            [
                NewEvent(EventType.REPORTED_MISSING, "2014-09", "import"),
            ],
        ),
    ]
    assert case_histories_bulk_create(histories=histories, batch_size=1) == 2
    rescued = Case.objects.get(case_number="B-1")
    assert (rescued.status, rescued.rescued_on, rescued.version) == (
        Status.RESCUED,
        dt.date(2017, 3, 2),
        3,
    )
    assert rescued.abducted_by == dt.date(2014, 8, 3)
    assert types(rescued) == [
        (1, EventType.REPORTED_MISSING),
        (2, EventType.CAPTIVITY_CONFIRMED),
        (3, EventType.RESCUED),
    ]
    other = Case.objects.get(case_number="B-2")
    assert (other.status, other.age_at_abduction) == (Status.MISSING, 24)


def test_bulk_create_handles_previous_targets(gazetteer, offices):
    original = new_case(gazetteer, offices, "B-ORIG")
    case_histories_bulk_create(
        histories=[
            NewCaseHistory(original, [NewEvent(EventType.REPORTED_MISSING, "2014-09", "import")])
        ]
    )
    case_histories_bulk_create(
        histories=[
            NewCaseHistory(
                new_case(gazetteer, offices, "B-3"),
                [
                    NewEvent(EventType.REPORTED_MISSING, "2014-09", "import"),
                    NewEvent(EventType.DEATH_REPORTED, "2015", "import"),
                    NewEvent(EventType.CLOSED_DUPLICATE, "2016", "import", duplicate_of=original),
                    NewEvent(EventType.REOPENED, "2016", "import"),
                    NewEvent(EventType.REMAINS_IDENTIFIED, "2018-01-01", "import"),
                    NewEvent(EventType.IDENTIFICATION_WITHDRAWN, "2018-02-01", "import"),
                ],
            )
        ]
    )
    case = Case.objects.get(case_number="B-3")
    assert case.status == Status.REPORTED_DEAD
    assert (case.closed_on, case.remains_identified_on, case.version) == (None, None, 6)
    assert [e.to_status for e in case.events.order_by("sequence")] == [
        Status.MISSING,
        Status.REPORTED_DEAD,
        Status.CLOSED_DUPLICATE,
        Status.REPORTED_DEAD,
        Status.REMAINS_IDENTIFIED,
        Status.REPORTED_DEAD,
    ]


def test_bulk_create_refuses_an_invalid_history_and_writes_nothing(gazetteer, offices):
    histories = [
        NewCaseHistory(
            new_case(gazetteer, offices, "B-OK"),
            [
                NewEvent(EventType.REPORTED_MISSING, "2014-09", "import"),
            ],
        ),
        NewCaseHistory(
            new_case(gazetteer, offices, "B-BAD"),
            [
                NewEvent(EventType.REPORTED_MISSING, "2014-09", "import"),
                NewEvent(EventType.REMAINS_RETURNED, "2018", "import"),
            ],
        ),
    ]
    with pytest.raises(ValidationError) as excinfo, transaction.atomic():
        case_histories_bulk_create(histories=histories, batch_size=1)
    assert "B-BAD" in str(excinfo.value)
    assert "event 2" in str(excinfo.value)
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_bulk_create_refuses_a_history_that_does_not_start_with_a_report(gazetteer, offices):
    history = NewCaseHistory(
        new_case(gazetteer, offices, "B-4"), [NewEvent(EventType.RESCUED, "2016", "import")]
    )
    with pytest.raises(ValidationError, match="first event"), transaction.atomic():
        case_histories_bulk_create(histories=[history])
    assert not Case.objects.exists()


def test_bulk_create_refuses_a_history_without_events(gazetteer, offices):
    # "Each history must start with reported missing": a case without a timeline is invalid.
    history = NewCaseHistory(new_case(gazetteer, offices, "B-EMPTY"), [])
    with pytest.raises(ValidationError), transaction.atomic():
        case_histories_bulk_create(histories=[history])
    assert not Case.objects.exists()


def test_bulk_create_refuses_an_event_before_the_abduction(gazetteer, offices):
    history = NewCaseHistory(
        new_case(gazetteer, offices, "B-5"),
        [NewEvent(EventType.REPORTED_MISSING, "2014-07", "import")],
    )
    with pytest.raises(ValidationError, match="before the abduction"), transaction.atomic():
        case_histories_bulk_create(histories=[history])
    assert not Case.objects.exists()


# --- database constraints ---------------------------------------------------------------------

DAY = dt.date(2016, 5, 10)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": Status.RESCUED, "rescued_on": None}, "case_rescued_has_date"),
        ({"rescued_on": DAY, "remains_identified_on": DAY}, "case_not_both_rescued_and_identified"),
        (
            {"status": Status.REMAINS_IDENTIFIED, "remains_identified_on": None},
            "case_identified_has_date",
        ),
        (
            {
                "status": Status.REMAINS_RETURNED,
                "remains_returned_on": DAY,
                "remains_identified_on": None,
            },
            "case_returned_was_identified",
        ),
        (
            {
                "status": Status.REMAINS_RETURNED,
                "remains_returned_on": None,
                "remains_identified_on": DAY,
            },
            "case_returned_was_identified",
        ),
        (
            {"remains_identified_on": DAY, "remains_returned_on": DAY - dt.timedelta(days=1)},
            "case_returned_not_before_identified",
        ),
        (
            {"status": Status.CLOSED_DUPLICATE, "closed_on": DAY, "duplicate_of": None},
            "case_duplicate_names_original",
        ),
        ({"status": Status.CLOSED_DUPLICATE, "closed_on": None}, "case_duplicate_names_original"),
        ({"duplicate_of": F("id")}, "case_not_duplicate_of_itself"),
        ({"age_at_abduction": 121}, "case_age_plausible"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_case_check_constraint_is_enforced_by_the_database(make_case, changes, constraint):
    case = make_case()
    other = make_case()
    if changes.get("status") == Status.CLOSED_DUPLICATE and "duplicate_of" not in changes:
        changes = {**changes, "duplicate_of": other}
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**changes)
    assert constraint in str(excinfo.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"status": Status.RESCUED, "rescued_on": DAY},
        {
            "status": Status.REMAINS_RETURNED,
            "remains_identified_on": DAY,
            "remains_returned_on": DAY,
        },
        {"age_at_abduction": 120},
    ],
)
def test_consistent_rows_pass_the_case_constraints(make_case, changes):
    case = make_case()
    with transaction.atomic():
        assert Case.objects.filter(pk=case.pk).update(**changes) == 1


def test_event_sequence_is_unique_per_case(make_case):
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(
            case=case,
            sequence=1,
            type=EventType.INFORMATION_RECEIVED,
            from_status=Status.MISSING,
            to_status=Status.MISSING,
            date=PartialDate(2015),
            date_lower=dt.date(2015, 1, 1),
            date_upper=dt.date(2015, 12, 31),
            source="x",
        )
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_the_same_sequence_is_allowed_on_another_case(make_case):
    first, second = make_case(), make_case()
    assert CaseEvent.objects.filter(case=first, sequence=1).exists()
    assert CaseEvent.objects.filter(case=second, sequence=1).exists()


def test_event_date_bounds_are_ordered_by_the_database(make_case):
    case = make_case()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        CaseEvent.objects.filter(case=case).update(
            date_lower=dt.date(2015, 1, 2), date_upper=dt.date(2015, 1, 1)
        )
    assert "case_event_date_bounds" in str(excinfo.value)
