"""Reads of webhook subscriptions and their delivery logs. A subscription exists only for its
owner: anyone else gets "not found", so its existence does not leak."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import Delivery, Subscription

# A due delivery is re-enqueued by the sweeper only once it is this late: before that the
# message scheduled with a countdown (or the attempt in flight) is presumed to be on its way.
SWEEP_GRACE = dt.timedelta(seconds=60)
SWEEP_BATCH = 500


def subscriptions_of(*, owner: Any) -> QuerySet[Subscription]:
    return Subscription.objects.filter(owner=owner)


def subscription_get_for(*, owner: Any, pk: Any) -> Subscription:
    try:
        return subscriptions_of(owner=owner).get(pk=uuid.UUID(str(pk)))
    except (Subscription.DoesNotExist, ValueError) as error:
        raise Http404("No such subscription.") from error


def deliveries_of(*, subscription: Subscription) -> QuerySet[Delivery]:
    """The per-destination delivery log, newest first, with each delivery's attempts."""
    return subscription.deliveries.prefetch_related("attempt_log")


def deliveries_due_ids(*, now: dt.datetime, grace: dt.timedelta = SWEEP_GRACE) -> list[Any]:
    """Open deliveries whose next attempt is overdue: lost messages, a worker that died in
    flight, or retries that waited for the sweeper because tasks run eagerly."""
    return list(
        Delivery.objects.filter(
            state__in=[Delivery.State.PENDING, Delivery.State.RETRYING],
            next_attempt_at__lte=now - grace,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
