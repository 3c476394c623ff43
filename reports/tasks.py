"""Nightly recomputation of the figures reconciliation (issue 5, "Celery for real")."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from celery import shared_task
from django.utils import timezone

from .models import FiguresRun
from .selectors import figures_reconcile

logger = logging.getLogger(__name__)


def figures_run_record(*, on: dt.date | None = None) -> FiguresRun:
    """Reconcile every ledger figure and keep the result for the day; a second run the same
    day replaces that day's row (a task redelivered after a worker died adds nothing)."""
    on = on or timezone.localdate()
    results = [
        {"ref": r.ref, "status": r.status, "computed": r.computed} for r in figures_reconcile()
    ]
    before = FiguresRun.objects.filter(run_on__lt=on).order_by("-run_on").first()
    was = {row["ref"]: row["status"] for row in (before.results if before else [])}
    changed = [
        {"ref": row["ref"], "was": was[row["ref"]], "now": row["status"]}
        for row in results
        if row["ref"] in was and was[row["ref"]] != row["status"]
    ]
    run, _created = FiguresRun.objects.update_or_create(
        run_on=on,
        defaults={
            "finished_at": timezone.now(),
            "counts": dict(Counter(row["status"] for row in results)),
            "results": results,
            "changed": changed,
        },
    )
    if changed:
        logger.warning("figures reconciliation: %d figures changed status", len(changed))
    return run


@shared_task(acks_late=True)
def figures_reconcile_task() -> dict:
    return figures_run_record().counts
