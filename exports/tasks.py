"""Celery tasks of the exports app: thin, they take ids and call exports.services.

Both are acknowledged late (the project's default, CELERY_TASK_ACKS_LATE): a worker that dies
mid-export has the message delivered again, and the service's claim makes the second delivery
take over or do nothing, never produce a second file (exports.services, module docstring).
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True, acks_late=True)
def export_run(job_id: str) -> None:
    services.export_run(job_id=job_id)


@shared_task(ignore_result=True, acks_late=True)
def exports_expire_task() -> dict[str, int]:
    return services.exports_expire()
