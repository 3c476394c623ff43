"""Keeps the change feed current: every save and delete of a resource's model is a change of that
record, and some changes also change who may see other records (sync.feed explains how they are
numbered). Bulk writes send no signals: the code that makes them calls sync.feed.feed_touch."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from access.models import OfficeMembership, PartnerAgreement
from cases.models import AlternateName, Case, CaseEvent
from families.models import Kinship, Relative
from graves.models import GraveReport

from .feed import DELETE, UPSERT, feed_pending_add, feed_touch
from .resources import RESOURCE_OF_MODEL, RESOURCES

# Case ids per query for their events: an office's cases are a list of hundreds of thousands,
# more parameters than one statement may carry (PostgreSQL takes 65,535 with server-side
# binding, SQLite 32,766).
EVENTS_QUERY_CASES = 10_000


def cases_changed(case_ids: list[Any], *, now: bool = False) -> None:
    """Cases whose data or visibility changed, with their timelines: a case leaving a client's
    scope takes its events with it. `now` numbers them at once (changes of scope made outside
    the lifecycle services, which take no row locks afterwards)."""
    if not case_ids:
        return
    events: list[Any] = []
    for start in range(0, len(case_ids), EVENTS_QUERY_CASES):
        chunk = case_ids[start : start + EVENTS_QUERY_CASES]
        events += CaseEvent.objects.filter(case__in=chunk).values_list("pk", flat=True)
    if now:
        feed_touch(resource="cases", record_ids=case_ids)
        feed_touch(resource="events", record_ids=events)
    else:
        feed_pending_add(resource="cases", record_ids=case_ids)
        feed_pending_add(resource="events", record_ids=events)


def _saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    name = RESOURCE_OF_MODEL[sender._meta.label_lower]
    if sender is Case:
        # The status may have taken the case into or out of someone's scope.
        cases_changed([instance.pk])
    else:
        feed_pending_add(resource=name, record_ids=[instance.pk])


def _deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    name = RESOURCE_OF_MODEL[sender._meta.label_lower]
    feed_pending_add(resource=name, record_ids=[instance.pk], op=DELETE)


def _kinship_changed(sender: type, instance: Kinship, **kwargs: Any) -> None:
    # Family links decide which relatives a caseworker sees, and a family's consent decides
    # which cases a partner receives.
    feed_pending_add(resource="relatives", record_ids=[instance.relative_id])
    cases_changed([instance.case_id])


def _relative_saved(sender: type, instance: Relative, **kwargs: Any) -> None:
    # Consent given or withdrawn moves the relative's cases into or out of partners' scope.
    cases_changed(list(instance.kinships.values_list("case_id", flat=True)))


def _alternate_name_changed(sender: type, instance: AlternateName, **kwargs: Any) -> None:
    feed_pending_add(resource="cases", record_ids=[instance.case_id], op=UPSERT)


def _grave_report_changed(sender: type, instance: GraveReport, **kwargs: Any) -> None:
    feed_pending_add(resource="grave-sites", record_ids=[instance.site_id])


def _office_cases_changed(office_ids: Any) -> None:
    cases = list(Case.objects.filter(office__in=office_ids).values_list("pk", flat=True))
    cases_changed(cases, now=True)


def _agreement_saved(sender: type, instance: PartnerAgreement, **kwargs: Any) -> None:
    # Statuses, fields or deaths allowed may have changed: every case it covers is resent.
    _office_cases_changed(instance.offices.values_list("pk", flat=True))


def _agreement_offices_changed(
    sender: type, instance: Any, action: str, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_add", "pre_remove", "pre_clear"):
        return
    if not isinstance(instance, PartnerAgreement):  # changed from the office's side
        _office_cases_changed([instance.pk])
    elif action == "pre_clear":
        _office_cases_changed(list(instance.offices.values_list("pk", flat=True)))
    else:
        _office_cases_changed(list(pk_set or []))


def _membership_changed(sender: type, instance: OfficeMembership, **kwargs: Any) -> None:
    # A user joining or leaving an office gains or loses its cases.
    _office_cases_changed([instance.office_id])


for resource in RESOURCES.values():
    model = resource.model
    post_save.connect(_saved, sender=model, dispatch_uid=f"feed-save-{resource.name}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"feed-delete-{resource.name}")

post_save.connect(_kinship_changed, sender=Kinship, dispatch_uid="feed-kinship-save")
post_delete.connect(_kinship_changed, sender=Kinship, dispatch_uid="feed-kinship-delete")
post_save.connect(_relative_saved, sender=Relative, dispatch_uid="feed-relative-scope")
post_save.connect(_alternate_name_changed, sender=AlternateName, dispatch_uid="feed-altname-s")
post_delete.connect(_alternate_name_changed, sender=AlternateName, dispatch_uid="feed-altname-d")
post_save.connect(_grave_report_changed, sender=GraveReport, dispatch_uid="feed-grave-report")
post_save.connect(_agreement_saved, sender=PartnerAgreement, dispatch_uid="feed-agreement")
m2m_changed.connect(
    _agreement_offices_changed,
    sender=PartnerAgreement.offices.through,
    dispatch_uid="feed-agreement-offices",
)
post_save.connect(_membership_changed, sender=OfficeMembership, dispatch_uid="feed-member-s")
post_delete.connect(_membership_changed, sender=OfficeMembership, dispatch_uid="feed-member-d")
