"""Writes for relatives, kinship, reference samples and handovers of remains."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import audit_diff, audit_log, audit_snapshot, audited_update
from cases.lifecycle import EventType, Status
from cases.models import Case
from cases.services import Actor, case_transition
from graves.models import Identification
from sync.feed import feed_pending_add

from .models import Handover, Kinship, ReferenceSample, Relative


@transaction.atomic
def relative_add(*, case: Case, relative: Relative, relationship: str) -> Kinship:
    """Record a relative of a case (or link a known relative to another missing person)."""
    created = relative._state.adding
    if created:
        relative.full_clean()
        relative.save()
    kinship = Kinship(case=case, relative=relative, relationship=relationship)
    kinship.full_clean()
    kinship.save()
    if created:
        audit_log(
            action=AuditEntry.Action.CREATE, subject=relative, changes=audit_snapshot(relative)
        )
    audit_log(action=AuditEntry.Action.CREATE, subject=kinship, changes=audit_snapshot(kinship))
    return kinship


@transaction.atomic
def relative_update(*, relative: Relative, changes: dict[str, Any]) -> Relative:
    """Edit a relative's particulars (names, sex, birth date, contact details); consent changes
    only through relative_record_consent."""
    relative = Relative.objects.select_for_update().get(pk=relative.pk)
    before = audit_snapshot(relative)
    for name, value in changes.items():
        setattr(relative, name, value)
    relative.full_clean()
    relative.save()
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=relative,
        changes=audit_diff(before, audit_snapshot(relative)),
    )
    return relative


@transaction.atomic
def relative_record_consent(
    *, relative: Relative, consent: str, on: dt.date, dna_matching: bool, share_with_partners: bool
) -> Relative:
    relative = Relative.objects.select_for_update().get(pk=relative.pk)
    before = audit_snapshot(relative)
    granted = consent == Relative.Consent.GIVEN
    relative.consent, relative.consent_recorded_on = consent, on
    relative.consent_dna_matching = granted and dna_matching
    relative.consent_share_with_partners = granted and share_with_partners
    relative.full_clean()
    relative.save()
    destroyed: list[tuple[object, str]] = []
    if not relative.consent_dna_matching:
        # Withdrawn consent to matching means the samples must go (the lab is told separately).
        samples = relative.samples.exclude(status=ReferenceSample.Status.DESTROYED)
        # Which samples, with their status before, for the trail (read before the update).
        destroyed = list(samples.values_list("pk", "status"))
        samples.update(status=ReferenceSample.Status.DESTROYED)
        # A queryset update sends no signals: tell the change feed.
        feed_pending_add(resource="reference-samples", record_ids=[pk for pk, _s in destroyed])
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=relative,
        changes=audit_diff(before, audit_snapshot(relative)),
    )
    for sample_pk, status in destroyed:
        audit_log(
            action=AuditEntry.Action.UPDATE,
            subject_type=ReferenceSample._meta.label_lower,
            subject_id=sample_pk,
            changes={"status": [status, ReferenceSample.Status.DESTROYED]},
        )
    return relative


def reference_sample_record(
    *, relative: Relative, collected_on: dt.date, lab_reference: str = ""
) -> ReferenceSample:
    if not relative.consent_dna_matching:
        raise ValidationError({"relative": _("This relative has not consented to DNA matching.")})
    if relative.consent_recorded_on and collected_on < relative.consent_recorded_on:
        raise ValidationError({"collected_on": _("A sample cannot be taken before consent.")})
    sample = ReferenceSample(
        relative=relative, collected_on=collected_on, lab_reference=lab_reference
    )
    sample.full_clean()
    # The record and its audit entry together or not at all.
    with transaction.atomic():
        sample.save()
        audit_log(action=AuditEntry.Action.CREATE, subject=sample, changes=audit_snapshot(sample))
    return sample


def handover_check(
    *,
    case: Case,
    identification: Identification,
    handed_over_on: dt.date,
    receiving_relative: Relative | None,
) -> None:
    """Rules a handover must meet; shared by the service and the bulk loader."""
    if identification.case_id != case.pk:
        raise ValidationError({"identification": _("That identification is of another case.")})
    if identification.status != Identification.Status.CONFIRMED:
        raise ValidationError({"identification": _("The identification is not confirmed.")})
    if identification.confirmed_on and handed_over_on < identification.confirmed_on:
        raise ValidationError(
            {"handed_over_on": _("Remains cannot be returned before they were identified.")}
        )
    if (
        receiving_relative is not None
        and not Kinship.objects.filter(case=case, relative=receiving_relative).exists()
    ):
        raise ValidationError(
            {"receiving_relative": _("The receiving person is not recorded as a relative.")}
        )


@transaction.atomic
def handover_record(
    *,
    case: Case,
    identification: Identification,
    handed_over_on: dt.date,
    actor: Actor,
    source: str,
    receiving_relative: Relative | None = None,
    burial_place=None,
    burial_note: str = "",
    ceremony: str = "",
) -> Handover:
    """Return identified remains to the family; the case becomes "remains returned"."""
    if case.status != Status.REMAINS_IDENTIFIED:
        raise ValidationError({"case": _("Remains can only be returned once they are identified.")})
    handover_check(
        case=case,
        identification=identification,
        handed_over_on=handed_over_on,
        receiving_relative=receiving_relative,
    )
    case_transition(
        case=case,
        event_type=EventType.REMAINS_RETURNED,
        on=handed_over_on,
        actor=actor,
        source=source,
        note=ceremony,
    )
    handover = Handover(
        case=case,
        identification=identification,
        handed_over_on=handed_over_on,
        receiving_relative=receiving_relative,
        burial_place=burial_place,
        burial_note=burial_note,
        ceremony=ceremony,
    )
    handover.full_clean()
    handover.save()
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=handover,
        changes=audit_snapshot(handover),
        actor=actor,
    )
    return handover


# A sample is destroyed only when consent is withdrawn (relative_record_consent), never by edit.
REFERENCE_SAMPLE_EDITABLE = frozenset({"lab_reference", "status"})


def reference_sample_update(
    *, sample: ReferenceSample, changes: dict[str, Any], actor: Actor = None
) -> ReferenceSample:
    if changes.get("status") == ReferenceSample.Status.DESTROYED:
        raise ValidationError(
            {"status": _("A sample is destroyed only when its donor withdraws consent.")}
        )
    if sample.status == ReferenceSample.Status.DESTROYED and changes:
        raise ValidationError({"status": _("This sample was destroyed; it cannot change.")})
    return audited_update(sample, changes, editable=REFERENCE_SAMPLE_EDITABLE, actor=actor)
