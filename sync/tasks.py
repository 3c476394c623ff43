"""Periodic housekeeping for sync (thin: the work is in the services)."""

from celery import shared_task

from .idempotency import idempotency_keys_expire


@shared_task(name="sync.idempotency_keys_expire")
def idempotency_keys_expire_task() -> int:
    return idempotency_keys_expire()
