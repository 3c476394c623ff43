"""Writes for grave sites, exhumations, remains and identifications.

An identification changes the case's status only through `cases.services.case_transition`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import audit_diff, audit_log, audit_snapshot, audited_update
from cases.lifecycle import EventType, Status
from cases.models import Case
from cases.services import Actor, case_transition

from .models import Exhumation, GraveReport, GraveSite, Identification, Remains


@transaction.atomic
def grave_site_report(
    *, site: GraveSite, reported_on: dt.date, source: str, estimated_victims: int | None = None
) -> GraveSite:
    """Record a newly reported site (status suspected) with the report that named it."""
    site.status = GraveSite.Status.SUSPECTED
    site.reported_on = reported_on
    site.confirmed_on = site.opened_on = None
    site.estimated_victims = estimated_victims
    site.full_clean()
    site.save()
    report = GraveReport.objects.create(
        site=site, reported_on=reported_on, source=source, estimated_victims=estimated_victims
    )
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=site,
        changes={**audit_snapshot(site), "report_id": str(report.pk)},
    )
    return site


@transaction.atomic
def grave_site_confirm(*, site: GraveSite, on: dt.date, source: str) -> GraveSite:
    site = GraveSite.objects.select_for_update().get(pk=site.pk)
    if site.status != GraveSite.Status.SUSPECTED:
        raise ValidationError({"status": _("Only a suspected site can be confirmed.")})
    if on < site.reported_on:
        raise ValidationError({"confirmed_on": _("Confirmation cannot precede the first report.")})
    before = audit_snapshot(site, ["status", "confirmed_on"])
    site.status, site.confirmed_on = GraveSite.Status.CONFIRMED, on
    site.save(update_fields=["status", "confirmed_on"])
    report = GraveReport.objects.create(site=site, reported_on=on, source=source, note="confirmed")
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=site,
        changes={
            **audit_diff(before, audit_snapshot(site, ["status", "confirmed_on"])),
            "report_id": str(report.pk),
        },
    )
    return site


@transaction.atomic
def exhumation_start(*, site: GraveSite, started_on: dt.date, team: str) -> Exhumation:
    """Open a confirmed site (or continue at an opened one) with an exhumation."""
    site = GraveSite.objects.select_for_update().get(pk=site.pk)
    if site.status == GraveSite.Status.SUSPECTED:
        raise ValidationError({"site": _("A site must be confirmed before it is exhumed.")})
    if site.confirmed_on and started_on < site.confirmed_on:
        raise ValidationError({"started_on": _("The exhumation cannot start before confirmation.")})
    site_before = audit_snapshot(site, ["status", "opened_on"])
    if site.status == GraveSite.Status.CONFIRMED:
        site.status, site.opened_on = GraveSite.Status.EXHUMED, started_on
        site.save(update_fields=["status", "opened_on"])
    exhumation = Exhumation(site=site, started_on=started_on, team=team)
    exhumation.full_clean()
    exhumation.save()
    site_changes = audit_diff(site_before, audit_snapshot(site, ["status", "opened_on"]))
    if site_changes:
        audit_log(action=AuditEntry.Action.UPDATE, subject=site, changes=site_changes)
    audit_log(
        action=AuditEntry.Action.CREATE, subject=exhumation, changes=audit_snapshot(exhumation)
    )
    return exhumation


def remains_record(*, remains: Remains, exhumation: Exhumation) -> Remains:
    if remains.recovered_on < exhumation.started_on:
        raise ValidationError(
            {"recovered_on": _("Remains cannot be recovered before the exhumation.")}
        )
    remains.site_id, remains.exhumation = exhumation.site_id, exhumation
    remains.full_clean()
    # The record and its audit entry together or not at all.
    with transaction.atomic():
        remains.save()
        audit_log(action=AuditEntry.Action.CREATE, subject=remains, changes=audit_snapshot(remains))
    return remains


def identification_check(*, remains: Remains, case: Case, identified_on: dt.date) -> None:
    """The rules an identification must meet, shared by the service and the bulk loader."""
    if identified_on < remains.recovered_on:
        raise ValidationError(
            {"identified_on": _("Remains cannot be identified before they were recovered.")}
        )
    if case.status not in {
        Status.MISSING,
        Status.CAPTIVE,
        Status.REPORTED_DEAD,
        Status.REMAINS_IDENTIFIED,
    }:
        raise ValidationError(
            {
                "case": _("A case that is %(status)s cannot be identified.")
                % {"status": Status(case.status).label}
            }
        )


@transaction.atomic
def identification_propose(
    *,
    remains: Remains,
    case: Case,
    method: str,
    identified_on: dt.date,
    match_statistic: Decimal | None,
    actor: Actor,
) -> Identification:
    identification_check(remains=remains, case=case, identified_on=identified_on)
    if (
        Identification.objects.filter(remains=remains)
        .exclude(status=Identification.Status.WITHDRAWN)
        .exists()
    ):
        raise ValidationError({"remains": _("These remains are already identified or proposed.")})
    identification = Identification(
        remains=remains,
        case=case,
        method=method,
        identified_on=identified_on,
        match_statistic=match_statistic,
        proposed_by=actor,
    )
    identification.full_clean(validate_constraints=False)
    identification.save()
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=identification,
        changes=audit_snapshot(identification),
        actor=actor,
    )
    return identification


@transaction.atomic
def identification_confirm(
    *, identification: Identification, actor: Actor, on: dt.date, source: str
) -> Identification:
    """A second person confirms; the case becomes "remains identified" (or, when other remains
    of the same person were identified before, the timeline records the additional remains)."""
    identification = Identification.objects.select_for_update().get(pk=identification.pk)
    if identification.status != Identification.Status.PROPOSED:
        raise ValidationError({"status": _("Only a proposed identification can be confirmed.")})
    if actor is None:
        raise ValidationError({"confirmed_by": _("A confirmation names the person confirming.")})
    if identification.proposed_by_id == actor.pk:
        raise ValidationError(
            {
                "confirmed_by": _(
                    "An identification is confirmed by someone other than its proposer."
                )
            }
        )
    case = identification.case
    identification_check(
        remains=identification.remains, case=case, identified_on=identification.identified_on
    )
    if on < identification.identified_on or on > dt.date.today():
        raise ValidationError(
            {"confirmed_on": _("Confirmation falls between the identification and today.")}
        )
    event_type = (
        EventType.INFORMATION_RECEIVED
        if case.status == Status.REMAINS_IDENTIFIED
        else EventType.REMAINS_IDENTIFIED
    )
    case_transition(
        case=case,
        event_type=event_type,
        on=identification.identified_on,
        actor=actor,
        source=source,
        note=f"remains {identification.remains.code}",
    )
    audited = ["status", "confirmed_by", "confirmed_on"]
    before = audit_snapshot(identification, audited)
    identification.status = Identification.Status.CONFIRMED
    identification.confirmed_by, identification.confirmed_on = actor, on
    identification.save(update_fields=["status", "confirmed_by", "confirmed_on"])
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=identification,
        changes=audit_diff(before, audit_snapshot(identification, audited)),
        actor=actor,
    )
    return identification


@transaction.atomic
def identification_withdraw(
    *, identification: Identification, actor: Actor, on: dt.date, source: str, reason: str
) -> Identification:
    identification = Identification.objects.select_for_update().get(pk=identification.pk)
    if identification.status == Identification.Status.WITHDRAWN:
        raise ValidationError({"status": _("This identification is already withdrawn.")})
    if not reason:
        raise ValidationError({"reason": _("Say why the identification is withdrawn.")})
    case = identification.case
    if identification.status == Identification.Status.CONFIRMED:
        if case.status == Status.REMAINS_RETURNED:
            raise ValidationError(
                {"status": _("The remains were already returned; record a correction instead.")}
            )
        others = Identification.objects.filter(
            case=case, status=Identification.Status.CONFIRMED
        ).exclude(pk=identification.pk)
        event_type = (
            EventType.INFORMATION_RECEIVED
            if others.exists()
            else EventType.IDENTIFICATION_WITHDRAWN
        )
        case_transition(
            case=case, event_type=event_type, on=on, actor=actor, source=source, note=reason
        )
    before = audit_snapshot(identification, ["status"])
    identification.status = Identification.Status.WITHDRAWN
    identification.save(update_fields=["status"])
    audit_log(
        action=AuditEntry.Action.UPDATE,
        subject=identification,
        changes={
            **audit_diff(before, audit_snapshot(identification, ["status"])),
            "reason": reason,
        },
        actor=actor,
    )
    return identification


# Plain edits: fields whose change carries no lifecycle meaning. Status and dates that mark a
# step (confirmed, opened, identified) move only through the services above.
GRAVE_SITE_EDITABLE = frozenset({"name", "latitude", "longitude", "estimated_victims", "notes"})
EXHUMATION_EDITABLE = frozenset({"ended_on", "team", "notes"})
REMAINS_EDITABLE = frozenset({"sex_estimate", "age_min", "age_max", "sample_status"})


def grave_site_update(*, site: GraveSite, changes: dict, actor: Actor = None) -> GraveSite:
    return audited_update(site, changes, editable=GRAVE_SITE_EDITABLE, actor=actor)


def exhumation_update(*, exhumation: Exhumation, changes: dict, actor: Actor = None) -> Exhumation:
    return audited_update(exhumation, changes, editable=EXHUMATION_EDITABLE, actor=actor)


def remains_update(*, remains: Remains, changes: dict, actor: Actor = None) -> Remains:
    return audited_update(remains, changes, editable=REMAINS_EDITABLE, actor=actor)
