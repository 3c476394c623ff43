"""The transition table and the date rules of `plan_transition` (no database needed)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.lifecycle import (
    MILESTONE_FIELD,
    PREVIOUS,
    TRANSITIONS,
    UNCHANGED,
    CaseState,
    EventType,
    Status,
    allowed_event_types,
    plan_transition,
)
from cases.partial_dates import PartialDate

TODAY = dt.date(2020, 6, 30)
ABDUCTED = PartialDate(2014, 8, 3)
ON = "2016-05-10"

ALL_STATUSES = [None, *Status.values]
PAIRS = [(status, event) for status in ALL_STATUSES for event in TRANSITIONS]
ALLOWED = [(s, e) for s, e in PAIRS if s in TRANSITIONS[e].sources]
FORBIDDEN = [(s, e) for s, e in PAIRS if s not in TRANSITIONS[e].sources]


def state(status, **kwargs):
    kwargs.setdefault("abducted_on", ABDUCTED)
    return CaseState(status=status, **kwargs)


def plan(status, event, on=ON, **kwargs):
    return plan_transition(state(status, **kwargs), event, on, today=TODAY)


# Recorded only by an approved correction (cases.corrections), never as a transition.
NOT_TRANSITIONS = {EventType.EVENT_CORRECTED}


def test_every_status_and_event_type_is_covered():
    # A new status or event type shows up in both lists; nothing silently falls out.
    transitions = len(EventType.values) - len(NOT_TRANSITIONS)
    assert len(ALLOWED) + len(FORBIDDEN) == len(ALL_STATUSES) * transitions
    assert set(TRANSITIONS) == set(EventType.values) - NOT_TRANSITIONS
    assert ALLOWED and FORBIDDEN


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_a_correction_is_never_a_transition(status):
    with pytest.raises(ValidationError) as refused:
        plan(status, EventType.EVENT_CORRECTED)
    assert refused.value.error_dict["type"][0].code == "unknown_type"


@pytest.mark.parametrize(("status", "event"), ALLOWED)
def test_allowed_transition_is_planned(status, event):
    rule = TRANSITIONS[event]
    status_before = {rule.undoes: Status.CAPTIVE} if rule.undoes else {}
    planned = plan(status, event, status_before=status_before)
    assert planned.event_type == event
    assert planned.from_status == status
    if rule.target == UNCHANGED:
        assert planned.to_status == status
    elif rule.target == PREVIOUS:
        assert planned.to_status == Status.CAPTIVE
    else:
        assert planned.to_status == rule.target
    assert planned.on == PartialDate.parse(ON)


@pytest.mark.parametrize(("status", "event"), FORBIDDEN)
def test_forbidden_transition_is_refused_on_the_type(status, event):
    with pytest.raises(ValidationError) as excinfo:
        plan(status, event)
    assert set(excinfo.value.message_dict) == {"type"}


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_allowed_event_types_agrees_with_the_table(status):
    assert set(allowed_event_types(status)) == {e for s, e in ALLOWED if s == status}


def test_only_reported_missing_can_open_a_case():
    assert allowed_event_types(None) == [EventType.REPORTED_MISSING]
    with pytest.raises(ValidationError, match="cannot be the first event"):
        plan(None, EventType.RESCUED)


def test_refusal_names_the_current_status_and_what_is_possible():
    with pytest.raises(ValidationError) as excinfo:
        plan(Status.RESCUED, EventType.RESCUED)
    message = excinfo.value.message_dict["type"][0]
    assert "Rescued (alive)" in message
    assert "Possible now: Information received" in message


def test_unknown_event_type_is_refused_on_the_type():
    with pytest.raises(ValidationError) as excinfo:
        plan(Status.MISSING, "teleported")
    assert set(excinfo.value.message_dict) == {"type"}


@pytest.mark.parametrize("on", ["2016-13", "16", "2016-5", "yesterday"])
def test_malformed_date_is_refused_on_the_date(on):
    with pytest.raises(ValidationError) as excinfo:
        plan(Status.MISSING, EventType.RESCUED, on=on)
    assert set(excinfo.value.message_dict) == {"date"}


# --- date rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("on", ["2014-08-02", "2014-07", "2013"])
def test_event_before_the_abduction_is_refused(on):
    with pytest.raises(ValidationError) as excinfo:
        plan(Status.MISSING, EventType.RESCUED, on=on)
    assert set(excinfo.value.message_dict) == {"date"}
    assert "before the abduction" in excinfo.value.message_dict["date"][0]


def test_event_on_the_day_of_the_abduction_is_accepted():
    assert plan(Status.MISSING, EventType.RESCUED, on="2014-08-03").to_status == Status.RESCUED


@pytest.mark.parametrize(
    ("on", "abducted"),
    [("2014", "2014-08-03"), ("2014-08", "2014-08-03"), ("2014-08-03", "2014"), ("2014", "2014")],
)
def test_overlapping_partial_dates_are_accepted(on, abducted):
    planned = plan(
        Status.MISSING, EventType.RESCUED, on=on, abducted_on=PartialDate.parse(abducted)
    )
    assert planned.to_status == Status.RESCUED


@pytest.mark.parametrize("on", ["2020-07-01", "2020-07", "2021"])
def test_future_date_is_refused(on):
    with pytest.raises(ValidationError) as excinfo:
        plan(Status.MISSING, EventType.RESCUED, on=on)
    assert set(excinfo.value.message_dict) == {"date"}
    assert "future" in excinfo.value.message_dict["date"][0]


@pytest.mark.parametrize("on", ["2020-06-30", "2020-06", "2020"])
def test_a_date_that_may_be_today_is_accepted(on):
    assert plan(Status.MISSING, EventType.RESCUED, on=on).to_status == Status.RESCUED


def test_today_defaults_to_the_real_today():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        plan_transition(state(Status.MISSING), EventType.RESCUED, tomorrow)
    assert plan_transition(state(Status.MISSING), EventType.RESCUED, dt.date.today())


def test_event_before_the_previous_event_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        plan(
            Status.CAPTIVE, EventType.RESCUED, on="2015-03", last_event_date=PartialDate(2015, 4, 1)
        )
    assert set(excinfo.value.message_dict) == {"date"}
    assert "before the case's latest event" in excinfo.value.message_dict["date"][0]


def test_event_overlapping_the_previous_event_is_accepted():
    planned = plan(
        Status.CAPTIVE, EventType.RESCUED, on="2015", last_event_date=PartialDate(2015, 4, 1)
    )
    assert planned.to_status == Status.RESCUED


def test_event_on_the_day_of_the_previous_event_is_accepted():
    planned = plan(
        Status.CAPTIVE, EventType.RESCUED, on="2015-04-01", last_event_date=PartialDate(2015, 4, 1)
    )
    assert planned.to_status == Status.RESCUED


def test_type_is_checked_before_the_date():
    with pytest.raises(ValidationError) as excinfo:
        plan(Status.RESCUED, EventType.RESCUED, on="2013")
    assert set(excinfo.value.message_dict) == {"type"}


@pytest.mark.parametrize(
    ("status", "event", "kwargs", "field", "code"),
    [
        (Status.RESCUED, EventType.RESCUED, {}, "type", "transition_not_allowed"),
        (Status.MISSING, EventType.RESCUED, {"on": "2013"}, "date", "before_abduction"),
        (
            Status.CAPTIVE,
            EventType.RESCUED,
            {"on": "2015-03", "last_event_date": PartialDate(2015, 4, 1)},
            "date",
            "before_previous_event",
        ),
    ],
)
def test_refusal_carries_its_error_code(status, event, kwargs, field, code):
    # The codes let the UI, the API and imports tell the refusals apart without parsing text.
    with pytest.raises(ValidationError) as excinfo:
        plan(status, event, **kwargs)
    assert [error.code for error in excinfo.value.error_dict[field]] == [code]


# --- PREVIOUS and UNCHANGED targets -----------------------------------------------------------


@pytest.mark.parametrize("before", [Status.MISSING, Status.CAPTIVE, Status.REPORTED_DEAD])
def test_identification_withdrawn_returns_to_the_status_before_identification(before):
    planned = plan(
        Status.REMAINS_IDENTIFIED,
        EventType.IDENTIFICATION_WITHDRAWN,
        status_before={EventType.REMAINS_IDENTIFIED: before},
    )
    assert planned.to_status == before


@pytest.mark.parametrize("before", [Status.MISSING, Status.CAPTIVE, Status.REPORTED_DEAD])
def test_reopened_returns_to_the_status_before_closure(before):
    planned = plan(
        Status.CLOSED_DUPLICATE,
        EventType.REOPENED,
        status_before={
            EventType.CLOSED_DUPLICATE: before,
            EventType.REMAINS_IDENTIFIED: Status.CAPTIVE,
        },
    )
    assert planned.to_status == before


def test_previous_target_ignores_the_status_before_other_event_types():
    planned = plan(
        Status.REMAINS_IDENTIFIED,
        EventType.IDENTIFICATION_WITHDRAWN,
        status_before={
            EventType.CLOSED_DUPLICATE: Status.CAPTIVE,
            EventType.REMAINS_IDENTIFIED: Status.REPORTED_DEAD,
        },
    )
    assert planned.to_status == Status.REPORTED_DEAD


@pytest.mark.parametrize("status", Status.values)
def test_information_received_keeps_the_status(status):
    planned = plan(status, EventType.INFORMATION_RECEIVED)
    assert planned.to_status == status
    assert planned.milestone_updates == {}


# --- milestones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2016", dt.date(2016, 12, 31)),
        ("2016-02", dt.date(2016, 2, 29)),
        ("2015-02", dt.date(2015, 2, 28)),
        ("2016-05-10", dt.date(2016, 5, 10)),
    ],
)
def test_milestone_is_the_upper_bound_of_the_partial_date(on, expected):
    planned = plan(Status.MISSING, EventType.RESCUED, on=on)
    assert planned.milestone_updates == {"rescued_on": expected}


@pytest.mark.parametrize(
    ("status", "event"),
    [(s, e) for s, e in ALLOWED if e in MILESTONE_FIELD],
)
def test_each_milestone_event_sets_its_field(status, event):
    planned = plan(status, event, on="2016-05")
    assert planned.milestone_updates[MILESTONE_FIELD[event]] == dt.date(2016, 5, 31)


def test_identification_withdrawn_clears_the_identification_date():
    planned = plan(
        Status.REMAINS_IDENTIFIED,
        EventType.IDENTIFICATION_WITHDRAWN,
        status_before={EventType.REMAINS_IDENTIFIED: Status.MISSING},
    )
    assert planned.milestone_updates == {"remains_identified_on": None}


def test_reopened_clears_the_closure_date():
    planned = plan(
        Status.CLOSED_DUPLICATE,
        EventType.REOPENED,
        status_before={EventType.CLOSED_DUPLICATE: Status.MISSING},
    )
    assert planned.milestone_updates == {"closed_on": None}


@pytest.mark.parametrize(
    "event",
    [EventType.REPORTED_MISSING, EventType.CAPTIVITY_CONFIRMED, EventType.INFORMATION_RECEIVED],
)
def test_events_without_a_milestone_set_none(event):
    status = None if event == EventType.REPORTED_MISSING else Status.MISSING
    assert plan(status, event).milestone_updates == {}
