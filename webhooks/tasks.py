"""Celery tasks of the webhooks app: thin, they take ids and call webhooks.services.

Retries are scheduled by the task that made the failed attempt, as a new message with a
countdown (the back-off); the attempt itself refuses to run before its due time, so duplicate
or early messages are harmless. The sweeper `deliveries_due` (Celery beat, every minute, see
WebhooksConfig.ready) re-enqueues anything overdue: lost messages, a worker that died in flight,
and, when tasks run eagerly (no broker), retries whose countdown could not be honoured.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services
from .models import Delivery


@shared_task(ignore_result=True)
def event_fanout(event_id: str) -> None:
    services.deliveries_for_event_create(event_id=event_id)


@shared_task(ignore_result=True)
def delivery_send(delivery_id: str) -> None:
    outcome = services.delivery_attempt(delivery_id=delivery_id)
    delivery = outcome.delivery
    # Only the task that made the attempt schedules the next one: a skipped (not yet due)
    # message scheduling again would loop.
    if outcome.attempted and delivery is not None and delivery.state == Delivery.State.RETRYING:
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        delivery_send.apply_async(args=[delivery_id], countdown=max(0.0, wait))


@shared_task(ignore_result=True)
def deliveries_due() -> int:
    return services.deliveries_due_enqueue()
