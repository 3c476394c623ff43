"""Correcting the date of an event: asked by a caseworker, decided by a supervisor of the case's
office who is not the one who asked (issue 3: correcting an event is a sensitive step).

Events are evidence and are never edited. An approved correction adds an "event corrected"
event to the timeline (dated with the corrected date, naming the event it corrects and why) and
moves the case's milestone (rescued_on, remains_identified_on, ...) when the corrected event is
the one that set it, so the figures "as of" a day follow the correction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from access import policy
from audit.models import AuditEntry
from audit.services import audit_log, audit_snapshot

from .lifecycle import MILESTONE_FIELD, EventType
from .models import Case, CaseEvent, EventCorrection
from .partial_dates import PartialDate
from .services import case_next_event_sequence


def may_request_correction(user: Any, case: Case) -> bool:
    return policy.allowed(user, policy.CREATE, "event") and (
        case.office_id in policy.offices_writable_by(user)
    )


def may_decide_correction(user: Any, correction: EventCorrection, case: Case) -> bool:
    return (
        policy.allowed(user, policy.APPROVE, "event")
        and case.office_id in policy.office_ids_of(user)
        and correction.requested_by_id != getattr(user, "pk", None)
    )


def _check_date(event: CaseEvent, case: Case, date: PartialDate) -> None:
    if date == event.date:
        raise ValidationError({"date": _("That is the date already recorded.")})
    if date.lower() > dt.date.today():
        raise ValidationError({"date": _("%(date)s is in the future.") % {"date": date}})
    if case.abducted_on is not None and date.certainly_before(case.abducted_on):
        raise ValidationError(
            {
                "date": _("%(date)s is before the abduction (%(abducted)s).")
                % {"date": date, "abducted": case.abducted_on}
            }
        )


@transaction.atomic
def event_correction_request(
    *, event: CaseEvent, date: PartialDate | str, source: str, reason: str, actor: Any
) -> EventCorrection:
    case = event.case
    if event.type == EventType.EVENT_CORRECTED:
        raise ValidationError(_("Correct the original event, not its correction."))
    if not may_request_correction(actor, case):
        raise ValidationError(_("Your role may not correct the events of this case."))
    try:
        date = PartialDate.parse(date)
    except ValueError as error:
        raise ValidationError({"date": str(error)}) from error
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the recorded date is wrong.")})
    if not source.strip():
        raise ValidationError({"source": _("Say where the corrected date comes from.")})
    _check_date(event, case, date)
    if EventCorrection.objects.filter(event=event, status="pending").exists():
        raise ValidationError(_("A correction of this event already awaits a supervisor."))
    correction = EventCorrection(
        event=event, date=date, source=source, reason=reason, requested_by=actor
    )
    try:
        with transaction.atomic():
            correction.save()
    except IntegrityError as error:  # a concurrent request won the unique constraint
        raise ValidationError(
            _("A correction of this event already awaits a supervisor.")
        ) from error
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=correction,
        changes=audit_snapshot(correction),
        actor=actor,
    )
    return correction


def _milestone_updates(case: Case, event: CaseEvent, date: PartialDate) -> dict[str, Any]:
    """The milestone the corrected event set, moved to the corrected date, if it still holds
    that event's date (a later event of the same type, or an undo, owns it otherwise)."""
    field = MILESTONE_FIELD.get(event.type)
    if field is None:
        return {}
    newer_same_type = CaseEvent.objects.filter(
        case=case, type=event.type, sequence__gt=event.sequence
    ).exists()
    if newer_same_type or getattr(case, field) is None:
        return {}
    value = date.upper()
    if event.type == EventType.REMAINS_RETURNED and case.remains_identified_on:
        value = max(value, case.remains_identified_on)
    return {field: value}


@transaction.atomic
def event_correction_decide(
    *, correction: EventCorrection, approve: bool, actor: Any, note: str = ""
) -> EventCorrection:
    correction = (
        EventCorrection.objects.select_for_update().select_related("event").get(pk=correction.pk)
    )
    if correction.status != EventCorrection.Status.PENDING:
        raise ValidationError(_("This correction was already decided."))
    event = correction.event
    case = Case.objects.select_for_update().get(pk=event.case_id)
    if correction.requested_by_id == getattr(actor, "pk", None):
        raise ValidationError(_("A correction is decided by someone other than who asked."))
    if not may_decide_correction(actor, correction, case):
        raise ValidationError(_("Only a supervisor of the case's office decides corrections."))
    before = audit_snapshot(correction, ["status", "decided_by", "decided_at", "decision_note"])
    correction.decided_by, correction.decided_at = actor, timezone.now()
    correction.decision_note = note
    if not approve:
        correction.status = EventCorrection.Status.REJECTED
        correction.save()
        audit_log(
            action=AuditEntry.Action.UPDATE,
            subject=correction,
            changes={"status": [before["status"], correction.status], "note": note},
            actor=actor,
        )
        return correction

    _check_date(event, case, correction.date)
    updates = _milestone_updates(case, event, correction.date)
    previous = {name: getattr(case, name) for name in updates}
    sequence = case_next_event_sequence(case)
    for name, value in updates.items():
        setattr(case, name, value)
    case.version = F("version") + 1
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as error:
        # The case's constraints: e.g. a return dated before the identification.
        raise ValidationError(
            {"date": _("The corrected date contradicts the case's other dates.")}
        ) from error
    case.refresh_from_db(fields=["version"])
    corrected = CaseEvent(
        case=case,
        sequence=sequence,
        type=EventType.EVENT_CORRECTED,
        from_status=case.status,
        to_status=case.status,
        date=correction.date,
        date_lower=correction.date.lower(),
        date_upper=correction.date.upper(),
        recorded_by=actor,
        source=correction.source,
        note=_("Corrects event %(sequence)d (%(type)s) dated %(old)s: %(reason)s")
        % {
            "sequence": event.sequence,
            "type": EventType(event.type).label,
            "old": event.date,
            "reason": correction.reason,
        },
    )
    corrected.save()
    correction.status = EventCorrection.Status.APPROVED
    correction.correcting_event = corrected
    correction.save()
    audit_log(
        action=AuditEntry.Action.TRANSITION,
        subject=case,
        changes={
            "event": str(corrected.pk),
            "type": corrected.type,
            "corrects": str(event.pk),
            "date": [str(event.date), str(correction.date)],
            **{name: [str(previous[name]), str(value)] for name, value in updates.items()},
            "version": case.version,
        },
        actor=actor,
    )
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=correction,
        changes={"status": [before["status"], correction.status], "note": note},
        actor=actor,
    )
    return correction
