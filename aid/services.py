"""Writes for disbursements. Eligibility and the once-per-period rule live here; the database
enforces the latter too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import audit_diff, audit_log, audit_snapshot
from cases.models import Case
from cases.services import Actor

from .models import AidProgramme, Disbursement


def disbursement_check(
    *,
    programme: AidProgramme,
    case: Case,
    period: dt.date,
    approved_on: dt.date,
    amount: Decimal | None = None,
) -> None:
    """Rules a disbursement must meet; shared by the service and the bulk loader."""
    if amount is not None and amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if approved_on > dt.date.today():
        raise ValidationError({"approved_on": _("An approval cannot be dated in the future.")})
    if case.status != programme.eligible_status:
        raise ValidationError(
            {
                "case": _("This case is not eligible for %(programme)s.")
                % {"programme": programme.name}
            }
        )
    if case.rescued_on is not None and approved_on < case.rescued_on:
        raise ValidationError({"approved_on": _("Aid cannot be approved before the rescue.")})
    if period.day != 1:
        raise ValidationError({"period": _("A period is a month: give its first day.")})
    if period < programme.starts_on.replace(day=1) or (
        programme.ends_on and period > programme.ends_on
    ):
        raise ValidationError({"period": _("The programme does not run in that month.")})


@transaction.atomic
def disbursement_record(
    *,
    programme: AidProgramme,
    case: Case,
    period: dt.date,
    approved_on: dt.date,
    actor: Actor,
    amount: Decimal | None = None,
) -> Disbursement:
    amount = amount if amount is not None else programme.standard_amount
    disbursement_check(
        programme=programme, case=case, period=period, approved_on=approved_on, amount=amount
    )
    same_period = Disbursement.objects.filter(programme=programme, case=case, period=period)
    if same_period.exists():
        raise ValidationError(
            {"period": _("This programme already has a payment to this case for that month.")}
        )
    paid_before = Disbursement.objects.filter(programme=programme, case=case).exclude(
        status__in=[Disbursement.Status.FAILED, Disbursement.Status.REVERSED]
    )
    if programme.frequency == AidProgramme.Frequency.ONE_TIME and paid_before.exists():
        raise ValidationError({"programme": _("This one-time aid was already given to the case.")})
    disbursement = Disbursement(
        programme=programme,
        case=case,
        period=period,
        approved_on=approved_on,
        amount=amount,
        currency=programme.currency,
    )
    disbursement.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            disbursement.save()
    except IntegrityError as error:
        # Everything else was validated above, so this is the unique constraint: the real guard
        # when two officers record the same payment at the same moment.
        raise ValidationError(
            {"period": _("This programme already has a payment to this case for that month.")}
        ) from error
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=disbursement,
        changes=audit_snapshot(disbursement),
        actor=actor,
    )
    return disbursement


@transaction.atomic
def disbursement_mark_paid(
    *, disbursement: Disbursement, on: dt.date, reference: str = ""
) -> Disbursement:
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    if disbursement.status not in {Disbursement.Status.APPROVED, Disbursement.Status.FAILED}:
        raise ValidationError({"status": _("Only an approved or failed payment can be paid.")})
    if on < disbursement.approved_on:
        raise ValidationError({"paid_on": _("A payment cannot precede its approval.")})
    if on > dt.date.today():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
    audited = ["status", "paid_on", "reference"]
    before = audit_snapshot(disbursement, audited)
    disbursement.status, disbursement.paid_on = Disbursement.Status.PAID, on
    disbursement.reference = reference or disbursement.reference
    disbursement.save(update_fields=["status", "paid_on", "reference"])
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=disbursement,
        changes=audit_diff(before, audit_snapshot(disbursement, audited)),
    )
    return disbursement


@transaction.atomic
def disbursement_reverse(*, disbursement: Disbursement, on: dt.date) -> Disbursement:
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    if disbursement.status != Disbursement.Status.PAID:
        raise ValidationError({"status": _("Only a paid disbursement can be reversed.")})
    if disbursement.paid_on and on < disbursement.paid_on:
        raise ValidationError({"reversed_on": _("A reversal cannot precede the payment.")})
    if on > dt.date.today():
        raise ValidationError({"reversed_on": _("A reversal cannot be dated in the future.")})
    audited = ["status", "reversed_on"]
    before = audit_snapshot(disbursement, audited)
    disbursement.status, disbursement.reversed_on = Disbursement.Status.REVERSED, on
    disbursement.save(update_fields=["status", "reversed_on"])
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=disbursement,
        changes=audit_diff(before, audit_snapshot(disbursement, audited)),
    )
    return disbursement
