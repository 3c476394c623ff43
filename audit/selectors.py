"""Reading the audit trail. Who may read it is the access policy's business (access.policy);
these only select, always in chain order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import QuerySet

from .models import AuditEntry
from .services import subject_label


def audit_entries_for_subject(*, subject: models.Model) -> QuerySet[AuditEntry]:
    """Everything recorded about one record: who created, changed, moved and viewed it."""
    return AuditEntry.objects.filter(
        subject_type=subject_label(subject), subject_id=str(subject.pk)
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
