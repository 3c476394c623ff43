"""The case lifecycle: statuses, event types and the one transition table.

Every status change in the system is an event of one of these types, validated against
TRANSITIONS by `cases.services` (single transitions and the bulk loader share `plan_transition`).
Nothing else writes `Case.status`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .partial_dates import PartialDate


class Status(models.TextChoices):
    MISSING = "missing", _("Reported missing")
    CAPTIVE = "captive", _("Known to be in captivity")
    RESCUED = "rescued", _("Rescued (alive)")
    REPORTED_DEAD = "reported_dead", _("Reported dead, remains not identified")
    REMAINS_IDENTIFIED = "remains_identified", _("Remains identified")
    REMAINS_RETURNED = "remains_returned", _("Remains returned to the family")
    CLOSED_DUPLICATE = "closed_duplicate", _("Closed as a duplicate")


class EventType(models.TextChoices):
    REPORTED_MISSING = "reported_missing", _("Reported missing")
    CAPTIVITY_CONFIRMED = "captivity_confirmed", _("Reported alive in captivity")
    RESCUED = "rescued", _("Rescued")
    DEATH_REPORTED = "death_reported", _("Death reported (no remains)")
    REMAINS_IDENTIFIED = "remains_identified", _("Remains identified")
    IDENTIFICATION_WITHDRAWN = "identification_withdrawn", _("Identification withdrawn")
    REMAINS_RETURNED = "remains_returned", _("Remains returned to the family")
    CLOSED_DUPLICATE = "closed_duplicate", _("Closed as a duplicate")
    REOPENED = "reopened", _("Reopened")
    INFORMATION_RECEIVED = "information_received", _("Information received")
    # Not a transition: recorded only by cases.corrections once a supervisor approves a
    # correction of an earlier event (which itself is never edited).
    EVENT_CORRECTED = "event_corrected", _("Event corrected")


# Steps that follow from a record, not from a statement: an identification confirmed (graves),
# withdrawn, or remains handed over (families). Only those services record them, so that a
# case is never "identified" without the identification that says by whom and how.
RECORD_EVENTS = frozenset(
    {EventType.REMAINS_IDENTIFIED, EventType.IDENTIFICATION_WITHDRAWN, EventType.REMAINS_RETURNED}
)

# The statuses in which a person's fate is still unknown to the family.
OPEN_STATUSES = frozenset({Status.MISSING, Status.CAPTIVE, Status.REPORTED_DEAD})

# A sentinel target: return to the status the case had before the event being undone.
PREVIOUS = "previous"
# A sentinel target: the status does not change (information-only events).
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str | None]
    target: str
    # Which status the undo-style events go back from: REOPENED undoes CLOSED_DUPLICATE, etc.
    undoes: str | None = None


TRANSITIONS: dict[str, Transition] = {
    EventType.REPORTED_MISSING: Transition(frozenset({None}), Status.MISSING),
    EventType.CAPTIVITY_CONFIRMED: Transition(frozenset({Status.MISSING}), Status.CAPTIVE),
    EventType.RESCUED: Transition(frozenset({Status.MISSING, Status.CAPTIVE}), Status.RESCUED),
    EventType.DEATH_REPORTED: Transition(
        frozenset({Status.MISSING, Status.CAPTIVE}), Status.REPORTED_DEAD
    ),
    EventType.REMAINS_IDENTIFIED: Transition(frozenset(OPEN_STATUSES), Status.REMAINS_IDENTIFIED),
    EventType.IDENTIFICATION_WITHDRAWN: Transition(
        frozenset({Status.REMAINS_IDENTIFIED}), PREVIOUS, undoes=EventType.REMAINS_IDENTIFIED
    ),
    EventType.REMAINS_RETURNED: Transition(
        frozenset({Status.REMAINS_IDENTIFIED}), Status.REMAINS_RETURNED
    ),
    EventType.CLOSED_DUPLICATE: Transition(frozenset(OPEN_STATUSES), Status.CLOSED_DUPLICATE),
    EventType.REOPENED: Transition(
        frozenset({Status.CLOSED_DUPLICATE}), PREVIOUS, undoes=EventType.CLOSED_DUPLICATE
    ),
    EventType.INFORMATION_RECEIVED: Transition(frozenset(Status.values), UNCHANGED),
}

# The dated milestone each event sets on the case (cleared by the event that undoes it). Figures
# "as of" a day are computed from these columns, so they are indexed.
MILESTONE_FIELD: dict[str, str] = {
    EventType.RESCUED: "rescued_on",
    EventType.DEATH_REPORTED: "reported_dead_on",
    EventType.REMAINS_IDENTIFIED: "remains_identified_on",
    EventType.REMAINS_RETURNED: "remains_returned_on",
    EventType.CLOSED_DUPLICATE: "closed_on",
}


@dataclass(frozen=True)
class CaseState:
    """What the transition rules need to know about a case, independent of the ORM."""

    status: str | None
    abducted_on: PartialDate | None
    # Of the case's events, the date that starts latest: a new event may not be certainly
    # before any earlier one (comparing with the last event only would let a vague event in
    # between hide an impossible order).
    last_event_date: PartialDate | None = None
    # Status before the most recent event of each undoable type, for PREVIOUS targets.
    status_before: dict[str, str] = field(default_factory=dict)
    # The remains_identified_on milestone, so a return is never counted before it.
    identified_by: dt.date | None = None

    def after(self, plan: PlannedTransition) -> CaseState:
        """The state once `plan` is applied (the bulk loader walks a history with it)."""
        status_before = {**self.status_before, plan.event_type: plan.from_status or ""}
        latest = self.last_event_date
        if latest is None or plan.on.lower() > latest.lower():
            latest = plan.on
        identified_by = plan.milestone_updates.get("remains_identified_on", self.identified_by)
        return CaseState(plan.to_status, self.abducted_on, latest, status_before, identified_by)


@dataclass(frozen=True)
class PlannedTransition:
    event_type: str
    from_status: str | None
    to_status: str
    on: PartialDate
    milestone_updates: dict[str, dt.date | None]


def allowed_event_types(status: str | None) -> list[str]:
    return [event for event, rule in TRANSITIONS.items() if status in rule.sources]


def _refuse(field_name: str, message: str, code: str) -> ValidationError:
    # The code goes on the inner error: Django drops `code` given beside a dict.
    return ValidationError({field_name: ValidationError(message, code=code)})


def plan_transition(
    state: CaseState, event_type: str, on: PartialDate | str, *, today: dt.date | None = None
) -> PlannedTransition:
    """Validate one event against the table and the dates; say what it changes.

    Raises ValidationError keyed by the input field at fault ("type" or "date"), so the web UI,
    the API and imports can all point at it.
    """
    today = today or dt.date.today()
    if event_type not in TRANSITIONS:
        raise _refuse(
            "type", _("Unknown event type %(type)s.") % {"type": event_type}, "unknown_type"
        )
    try:
        date = PartialDate.parse(on)
    except ValueError as error:
        raise _refuse("date", str(error), "invalid_date") from error

    rule = TRANSITIONS[event_type]
    if state.status not in rule.sources:
        label = EventType(event_type).label
        if state.status is None:
            reason = _("%(event)s cannot be the first event of a case.") % {"event": label}
        else:
            allowed = ", ".join(str(EventType(e).label) for e in allowed_event_types(state.status))
            reason = _(
                "%(event)s is not possible for a case that is %(status)s. "
                "Possible now: %(allowed)s."
            ) % {"event": label, "status": Status(state.status).label, "allowed": allowed}
        raise _refuse("type", reason, "transition_not_allowed")

    if date.lower() > today:
        raise _refuse("date", _("%(date)s is in the future.") % {"date": date}, "future_date")
    if state.abducted_on is not None and date.certainly_before(state.abducted_on):
        raise _refuse(
            "date",
            _("%(date)s is before the abduction (%(abducted)s).")
            % {"date": date, "abducted": state.abducted_on},
            "before_abduction",
        )
    if state.last_event_date is not None and date.certainly_before(state.last_event_date):
        raise _refuse(
            "date",
            _("%(date)s is before the case's latest event (%(last)s).")
            % {"date": date, "last": state.last_event_date},
            "before_previous_event",
        )

    if rule.target == UNCHANGED:
        target = state.status
    elif rule.target == PREVIOUS:
        target = state.status_before.get(rule.undoes or "", Status.MISSING)
    else:
        target = rule.target
    assert target is not None  # noqa: S101 - UNCHANGED never applies to a new case

    updates: dict[str, dt.date | None] = {}
    if event_type in MILESTONE_FIELD:
        # The last day the partial date can mean: figures count what had certainly happened.
        updates[MILESTONE_FIELD[event_type]] = date.upper()
    if event_type == EventType.REMAINS_RETURNED and state.identified_by is not None:
        # "Identified in May" then "returned on 10 May": the return is certain only once the
        # identification is, so it counts from the same day, never before it.
        updates["remains_returned_on"] = max(date.upper(), state.identified_by)
    if rule.undoes:
        updates[MILESTONE_FIELD[rule.undoes]] = None
    return PlannedTransition(event_type, state.status, target, date, updates)
