"""Reading the audit trail. Who may read it is the access policy's business (access.policy);
these only select, always in chain order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from .models import AuditEntry, AuditMention
from .services import subject_label


def audit_entries_for_subject(*, subject: models.Model) -> QuerySet[AuditEntry]:
    """Everything recorded about one record: who created, changed, moved and viewed it,
    including the list pages and worklists that showed it among others (AuditMention)."""
    label, pk = subject_label(subject), str(subject.pk)
    mentioned = AuditMention.objects.filter(subject_type=label, subject_id=pk).values("entry_id")
    return AuditEntry.objects.filter(
        Q(subject_type=label, subject_id=pk) | Q(pk__in=mentioned)
    ).order_by("sequence")


def audit_entries(
    *,
    actor: Any = None,
    subject_type: str | None = None,
    subject_id: Any = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching every filter given; `since` is inclusive, `until` exclusive. `actor` is a
    user or a user id (a deleted account's entries keep its id)."""
    entries = AuditEntry.objects.all()
    if actor is not None:
        entries = entries.filter(actor_id=getattr(actor, "pk", actor))
    if subject_type is not None:
        entries = entries.filter(subject_type=subject_type)
    if subject_id is not None:
        entries = entries.filter(subject_id=str(subject_id))
    if action is not None:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if until is not None:
        entries = entries.filter(occurred_at__lt=until)
    return entries.order_by("sequence")
