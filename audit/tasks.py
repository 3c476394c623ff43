"""Nightly verification of the audit chain (issue 5, "Celery for real"). Thin: the work is
audit.chain.verify_chain, the same walk as `manage.py audit_verify`."""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import shared_task
from django.utils import timezone

from .chain import verify_chain
from .models import ChainCheck

logger = logging.getLogger(__name__)


def chain_check_record(*, on: dt.date | None = None) -> ChainCheck:
    """Verify the whole chain and keep the result for the day; running again the same day
    replaces that day's row rather than adding one."""
    started = time.monotonic()
    report = verify_chain()
    check, _created = ChainCheck.objects.update_or_create(
        checked_on=on or timezone.localdate(),
        defaults={
            "finished_at": timezone.now(),
            "entries": report.entries,
            "intact": report.intact,
            "first_broken_sequence": report.first_broken_sequence,
            "problem": report.problem[:300],
            "last_hash": report.last_hash,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    if report.intact:
        logger.info("audit chain intact: %d entries", report.entries)
    else:
        # A sequence number, never an entry's content: the log is not the place for it.
        logger.error("audit chain BROKEN at entry %s", report.first_broken_sequence)
    return check


@shared_task(acks_late=True)
def audit_chain_verify_task() -> bool:
    return chain_check_record().intact
