"""Writes to cases. The lifecycle goes through `case_transition` (one event) or
`case_histories_bulk_create` (the seed and bulk imports); both validate every event with
`cases.lifecycle.plan_transition`, so there is exactly one set of rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import CheckConstraint, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import audit_diff, audit_log, audit_log_many, audit_snapshot
from config.bulk_copy import copy_create
from sync.feed import feed_pending_add, feed_touch

from .lifecycle import (
    MILESTONE_FIELD,
    CaseState,
    EventType,
    PlannedTransition,
    Status,
    plan_transition,
)
from .models import Case, CaseEvent
from .partial_dates import PartialDate, age_on

Actor = AbstractBaseUser | None


def _as_partial_dates(case: Case) -> None:
    """Callers may give partial dates as text ("1990"); the rules need PartialDate values."""
    for name in ("birth_date", "abducted_on"):
        value = getattr(case, name)
        if value is not None and not isinstance(value, PartialDate):
            try:
                setattr(case, name, Case._meta.get_field(name).to_python(value))
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from error


def _derive_age(case: Case) -> None:
    _as_partial_dates(case)
    if case.age_at_abduction is None and case.birth_date is not None and case.abducted_on:
        age = age_on(case.birth_date, case.abducted_on.midpoint())
        if age < 0:
            raise ValidationError({"birth_date": _("The birth date is after the abduction.")})
        case.age_at_abduction = age


def _derive_new_case(case: Case) -> None:
    """What a new case's stored fields derive from the given ones: the age, the abduction's
    latest possible day."""
    _derive_age(case)
    if case.abducted_on is not None:
        case.abducted_by = case.abducted_on.upper()


def _validate_new_case(case: Case) -> None:
    _derive_new_case(case)
    # full_clean checks choices, lengths and required fields, naming each field at fault.
    case.full_clean(exclude=["abducted_by", "status"], validate_unique=True)


def _source_required(source: str) -> None:
    if not source:
        raise ValidationError({"source": _("Say where the report came from.")})


def _reported_missing(
    case: Case, reported_on: PartialDate | str, *, actor: Actor, source: str, note: str
) -> CaseEvent:
    """A new case's first event, "reported missing", planned and applied to the case."""
    plan = plan_transition(
        CaseState(status=None, abducted_on=case.abducted_on),
        EventType.REPORTED_MISSING,
        reported_on,
    )
    _apply(case, plan)
    return _event_from_plan(
        case, plan, sequence=1, actor=actor, source=source, note=note, recorded_at=None
    )


def _apply(case: Case, plan: PlannedTransition) -> None:
    case.status = plan.to_status
    for name, value in plan.milestone_updates.items():
        setattr(case, name, value)


def _event_from_plan(
    case: Case,
    plan: PlannedTransition,
    *,
    sequence: int,
    actor: Actor,
    source: str,
    note: str,
    recorded_at: dt.datetime | None,
) -> CaseEvent:
    return CaseEvent(
        case=case,
        sequence=sequence,
        type=plan.event_type,
        from_status=plan.from_status or "",
        to_status=plan.to_status,
        date=plan.on,
        date_lower=plan.on.lower(),
        date_upper=plan.on.upper(),
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor,
        source=source,
        note=note,
    )


@transaction.atomic
def case_register(
    *,
    case: Case,
    reported_on: PartialDate | str,
    actor: Actor,
    source: str,
    note: str = "",
) -> Case:
    """Register a new missing person: the case and its first event, "reported missing"."""
    _source_required(source)
    _validate_new_case(case)
    event = _reported_missing(case, reported_on, actor=actor, source=source, note=note)
    case.save()
    event.save()
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=case,
        changes={**audit_snapshot(case), "event": _audited_event(event)},
        actor=actor,
    )
    return case


def _audited_event(event: CaseEvent) -> dict[str, Any]:
    """What the trail records of a lifecycle event (the event row itself holds the rest)."""
    return {
        "event_id": str(event.pk),
        "event_type": event.type,
        "sequence": event.sequence,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "date": str(event.date),
    }


def case_next_event_sequence(case: Case) -> int:
    """The position of the next event on the case's timeline (call with the case row locked:
    the unique (case, sequence) constraint refuses a second writer that did not)."""
    last = (
        CaseEvent.objects.filter(case=case)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return (last or 0) + 1


def _state_for(case: Case) -> CaseState:
    events = list(
        CaseEvent.objects.filter(case=case)
        .order_by("-sequence")
        .values("type", "from_status", "date")
    )
    status_before: dict[str, str] = {}
    for event in events:  # newest first: the first of each type is the one an undo undoes
        status_before.setdefault(event["type"], event["from_status"])
    return CaseState(
        status=case.status,
        abducted_on=case.abducted_on,
        last_event_date=max((e["date"] for e in events), key=PartialDate.lower, default=None),
        status_before=status_before,
        identified_by=case.remains_identified_on,
    )


@transaction.atomic
def case_transition(
    *,
    case: Case,
    event_type: str,
    on: PartialDate | str,
    actor: Actor,
    source: str,
    note: str = "",
    duplicate_of: Case | None = None,
    recorded_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """Record one lifecycle event on a case, or refuse it with the reason.

    The case row is locked for the transaction so that two caseworkers recording a rescue at
    the same moment cannot both succeed: the second sees the new status and is refused.
    """
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            _("This case was changed by someone else since you opened it."), code="stale"
        )
    if not source:
        raise ValidationError({"source": _("Say where this information came from.")})
    if event_type == EventType.CLOSED_DUPLICATE:
        _check_duplicate_target(locked, duplicate_of)
    elif duplicate_of is not None:
        raise ValidationError({"duplicate_of": _("Only a duplicate closure names another case.")})

    state = _state_for(locked)
    plan = plan_transition(state, event_type, on)
    sequence = case_next_event_sequence(locked)
    _apply(locked, plan)
    if event_type == EventType.CLOSED_DUPLICATE:
        locked.duplicate_of = duplicate_of
    elif event_type == EventType.REOPENED:
        locked.duplicate_of = None
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db(fields=["version"])
    event = _event_from_plan(
        locked,
        plan,
        sequence=sequence,
        actor=actor,
        source=source,
        note=note,
        recorded_at=recorded_at,
    )
    event.save()
    audit_log(
        action=AuditEntry.Action.TRANSITION,
        subject=locked,
        changes={
            **_audited_event(event),
            "version": locked.version,
            "duplicate_of_id": str(locked.duplicate_of_id) if locked.duplicate_of_id else None,
        },
        actor=actor,
    )
    # The caller's instance reflects the new state too.
    for name in ("status", "version", "duplicate_of_id", *MILESTONE_FIELD.values()):
        setattr(case, name, getattr(locked, name))
    return event


def _check_duplicate_target(case: Case, duplicate_of: Case | None) -> None:
    if duplicate_of is None:
        raise ValidationError({"duplicate_of": _("Name the case this one duplicates.")})
    if duplicate_of.pk == case.pk:
        raise ValidationError({"duplicate_of": _("A case cannot duplicate itself.")})
    if duplicate_of.status == Status.CLOSED_DUPLICATE:
        raise ValidationError(
            {"duplicate_of": _("That case is itself closed as a duplicate; name its original.")}
        )


# --- Bulk loading -----------------------------------------------------------------------------


@dataclass
class NewEvent:
    type: str
    on: PartialDate | str
    source: str
    note: str = ""
    recorded_at: dt.datetime | None = None
    duplicate_of: Case | None = None


@dataclass
class NewCaseHistory:
    case: Case
    events: Sequence[NewEvent] = field(default_factory=list)


def case_histories_bulk_create(
    *, histories: Iterable[NewCaseHistory], actor: Actor = None, batch_size: int = 2000
) -> int:
    """Create many cases with their whole timelines in a few INSERTs.

    Each history must start with "reported missing"; every event is validated in order with the
    same `plan_transition` as `case_transition`, so a bulk load cannot produce a history the
    single-event service would refuse. Runs in the caller's transaction; returns the count.
    """
    cases: list[Case] = []
    events: list[CaseEvent] = []
    count = event_count = 0
    first_number = last_number = ""

    def flush() -> None:
        Case.objects.bulk_create(cases, batch_size=batch_size)
        CaseEvent.objects.bulk_create(events, batch_size=batch_size)
        # Bulk inserts send no signals: tell the change feed.
        feed_touch(resource="cases", record_ids=[case.pk for case in cases])
        feed_touch(resource="events", record_ids=[event.pk for event in events])
        cases.clear()
        events.clear()

    for history in histories:
        case = history.case
        if not history.events:
            raise ValidationError(
                f"case {case.case_number}: a history starts with its 'reported missing' event"
            )
        _derive_age(case)
        case.abducted_by = case.abducted_on.upper()
        state = CaseState(status=None, abducted_on=case.abducted_on)
        for sequence, new in enumerate(history.events, start=1):
            try:
                plan = plan_transition(state, new.type, new.on)
            except ValidationError as error:
                raise ValidationError(
                    f"case {case.case_number}, event {sequence} ({new.type}): {error.messages}"
                ) from error
            _apply(case, plan)
            if new.type == EventType.CLOSED_DUPLICATE:
                _check_duplicate_target(case, new.duplicate_of)
                case.duplicate_of = new.duplicate_of
            state = state.after(plan)
            events.append(
                _event_from_plan(
                    case,
                    plan,
                    sequence=sequence,
                    actor=actor,
                    source=new.source,
                    note=new.note,
                    recorded_at=new.recorded_at,
                )
            )
        case.version = len(history.events)
        cases.append(case)
        count += 1
        event_count += len(history.events)
        first_number, last_number = first_number or case.case_number, case.case_number
        if len(cases) >= batch_size:
            flush()
    flush()
    if count:
        # One entry for the whole load, not one per case: the seed writes tens of thousands of
        # cases, and the trail needs to say who loaded what and when, not repeat the records.
        audit_log(
            action=AuditEntry.Action.CREATE,
            subject_type=Case._meta.label_lower,
            changes={
                "bulk": count,
                "events": event_count,
                "case_numbers_first_last": [first_number, last_number],
            },
            actor=actor,
        )
    return count


def case_update_identity(
    *, case: Case, changes: dict[str, Any], actor: Actor, expected_version: int
) -> Case:
    """Edit identity fields (never the status) with a lost-update check on `version`."""
    forbidden = {"status", "duplicate_of", "version", "id", *MILESTONE_FIELD.values()}
    bad = forbidden.intersection(changes)
    if bad:
        raise ValidationError(
            {name: _("Changed only through a lifecycle event.") for name in sorted(bad)}
        )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != expected_version:
            raise ValidationError(
                _("This case was changed by someone else since you opened it."), code="stale"
            )
        before = audit_snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        if "birth_date" in changes and "age_at_abduction" not in changes:
            locked.age_at_abduction = None
        _validate_new_case(locked)
        locked.version += 1
        locked.save()
        audit_log(
            action=AuditEntry.Action.UPDATE,
            subject=locked,
            changes=audit_diff(before, audit_snapshot(locked)),
            actor=actor,
        )
    return locked


# --- Registering many at once (batch sync) ----------------------------------------------------


@dataclass
class NewRegistration:
    """One case for case_register_many: what case_register is given."""

    case: Case
    reported_on: PartialDate | str
    source: str
    note: str = ""


def case_register_many(
    *, registrations: Sequence[NewRegistration], actor: Actor
) -> list[Case | ValidationError]:
    """Register many cases with exactly case_register's rules and effects, the work done once
    for the batch instead of once per case (batch sync, issue 7). Runs in the caller's
    transaction; answers, in order, each saved case or the ValidationError refusing it.

    Why not case_register in a loop: full_clean asks the database once per CheckConstraint,
    once per unique field and once per foreign key, and each audit entry takes the chain's
    lock again; at ~40 statements per case a partner's batch outran the worker's timeout. Here
    the field rules are the same full_clean ones, the constraints are evaluated in Python
    (`_constraint_errors`), case numbers are checked against the database in one query and
    against each other, the cases and their first events go in with one INSERT each, and the
    audit entries (one per case, as case_register writes) are appended under one lock
    (audit_log_many). Bulk inserts send no signals, so what the signals do for a saved case and
    event is done here for all of them: the change feed (sync.signals) and webhooks
    (webhooks.signals). If the INSERT still fails (a case number taken by a concurrent
    registration), each case is registered by case_register in its own savepoint.
    """
    numbers = [registration.case.case_number for registration in registrations]
    taken = set(
        Case.objects.filter(case_number__in=[n for n in numbers if n]).values_list(
            "case_number", flat=True
        )
    )
    outcome: list[Case | ValidationError] = []
    cases: list[Case] = []
    events: list[CaseEvent] = []
    for registration in registrations:
        try:
            event = _registration_planned(registration, actor=actor, taken=taken)
        except ValidationError as error:
            outcome.append(error)
            continue
        taken.add(registration.case.case_number)
        outcome.append(registration.case)
        cases.append(registration.case)
        events.append(event)
    if not cases:
        return outcome
    try:
        with transaction.atomic():
            # By COPY on PostgreSQL (config.bulk_copy), as bulk_create elsewhere.
            copy_create(Case, cases)
            copy_create(CaseEvent, events)
    except IntegrityError:
        return [
            _register_in_savepoint(registration, actor) if isinstance(result, Case) else result
            for registration, result in zip(registrations, outcome, strict=True)
        ]
    # What sync.signals does for each saved case and event (a new case has no other events).
    feed_pending_add(resource="cases", record_ids=[case.pk for case in cases])
    feed_pending_add(resource="events", record_ids=[event.pk for event in events])
    _events_announced(events)
    audit_log_many(
        [
            {
                "action": AuditEntry.Action.CREATE,
                "subject": case,
                "changes": {**audit_snapshot(case), "event": _audited_event(event)},
                "actor": actor,
            }
            for case, event in zip(cases, events, strict=True)
        ]
    )
    return outcome


def _registration_planned(
    registration: NewRegistration, *, actor: Actor, taken: set[str]
) -> CaseEvent:
    """case_register's checks, in its order, without a query: the case made ready to insert
    and its first event. Raises the ValidationError case_register would."""
    case = registration.case
    _source_required(registration.source)
    # _validate_new_case, with full_clean's steps spelt out so that none asks the database.
    _derive_new_case(case)
    exclude = {"abducted_by", "status"}
    errors: dict[str, Any] = {}
    try:
        # Foreign keys are not looked up again: the caller resolved them to rows it read.
        case.clean_fields(exclude=exclude | _FOREIGN_KEYS)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        case.clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    exclude |= set(errors) - {NON_FIELD_ERRORS}
    if "case_number" not in exclude and case.case_number in taken:
        errors.setdefault("case_number", []).append(
            case.unique_error_message(Case, ("case_number",))
        )
        exclude.add("case_number")
    for name, messages in _constraint_errors(case, exclude).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return _reported_missing(
        case,
        registration.reported_on,
        actor=actor,
        source=registration.source,
        note=registration.note,
    )


_FOREIGN_KEYS = frozenset(
    f.name for f in Case._meta.concrete_fields if f.is_relation and f.many_to_one
)


def _register_in_savepoint(registration: NewRegistration, actor: Actor) -> Case | ValidationError:
    try:
        with transaction.atomic():
            return case_register(
                case=registration.case,
                reported_on=registration.reported_on,
                actor=actor,
                source=registration.source,
                note=registration.note,
            )
    except ValidationError as error:
        return error


def _events_announced(events: list[CaseEvent]) -> None:
    """What webhooks.signals does for each saved event, for a batch (bulk inserts send no
    signals)."""
    from webhooks.services import events_announce

    events_announce(event_ids=[event.pk for event in events])


# --- CheckConstraints in Python ---------------------------------------------------------------


class _NotInPython(Exception):
    """A condition this evaluator does not know: the constraint asks the database instead."""


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": lambda left, right: left == right,
    "lt": lambda left, right: left < right,
    "lte": lambda left, right: left <= right,
    "gt": lambda left, right: left > right,
    "gte": lambda left, right: left >= right,
}


def _constraint_errors(instance: Any, exclude: set[str]) -> dict[str, list[ValidationError]]:
    """Model.validate_constraints for the row, with its CheckConstraints evaluated in Python: the
    same skipping of constraints on excluded fields, the same SQL meaning of NULL (a condition
    that is unknown passes, as CHECK does), the same messages. Django asks the database once
    per constraint; another kind of constraint, or a condition with a lookup not handled here,
    still does."""
    errors: dict[str, Any] = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                if not isinstance(constraint, CheckConstraint):
                    raise _NotInPython
                names: set[str] = set()
                passed = _q_holds(instance, Q(constraint.condition), names)
                if names & exclude or passed is not False:
                    continue  # as Django: a constraint on a field not validated is skipped
                raise ValidationError(
                    constraint.get_violation_error_message(),
                    code=constraint.violation_error_code,
                )
            except _NotInPython:
                try:
                    constraint.validate(model_class, instance, exclude=exclude)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
    return errors


def _q_holds(instance: Any, condition: Q, names: set[str]) -> bool | None:
    """True, False or None (SQL's unknown) for the row; `names` collects the fields read."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(_q_holds(instance, child, names))
        else:
            lookup, value = child
            results.append(_lookup_holds(instance, lookup, value, names))
    if condition.connector == Q.AND:
        result = False if False in results else None if None in results else True
    elif condition.connector == Q.OR:
        result = True if True in results else None if None in results else False
    else:
        raise _NotInPython
    if condition.negated and result is not None:
        result = not result
    return result


def _field_value(instance: Any, name: str, names: set[str]) -> Any:
    field = instance._meta.pk if name == "pk" else instance._meta.get_field(name)
    if not field.concrete or field.many_to_many:
        raise _NotInPython
    names.add(field.name)
    return getattr(instance, field.attname)


def _lookup_holds(instance: Any, lookup: str, value: Any, names: set[str]) -> bool | None:
    name, _sep, operator = lookup.partition("__")
    operator = operator or "exact"
    if "__" in operator:
        raise _NotInPython  # a transform or a related field's column
    left = _field_value(instance, name, names)
    if operator == "exact" and value is None:
        return left is None  # Django writes `field=None` as IS NULL
    if isinstance(value, F):
        value = _field_value(instance, value.name, names)
    elif hasattr(value, "resolve_expression"):
        raise _NotInPython
    elif isinstance(value, models.Model):
        value = value.pk
    if operator == "isnull":
        return (left is None) == bool(value)
    compare = _COMPARISONS.get(operator)
    if compare is None:
        raise _NotInPython
    if left is None or value is None:
        return None  # a comparison with NULL is unknown
    return compare(left, value)
