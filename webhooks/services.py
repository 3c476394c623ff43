"""Writes of the webhooks app: subscriptions, the fan-out of a case event into deliveries, and
one delivery attempt. Celery tasks (webhooks.tasks) only load ids and call these.

What a delivery carries is decided by the one access policy, for the subscription's owner, at
the moment the delivery is created, and checked again before every attempt: a partner whose
agreement ended, or whose access to the case went (consent withdrawn, case now outside its
agreement), gets nothing more, and fields its agreement no longer lists are removed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from access import policy
from audit.services import audit_log, audit_snapshot
from cases.lifecycle import EventType
from cases.models import Case, CaseEvent
from cases.partial_dates import PartialDate

from .backoff import retry_delay
from .destinations import destination_check
from .models import Delivery, DeliveryAttempt, FanoutPending, Subscription
from .signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_compute,
)

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
USER_AGENT = "missing-persons-tracker-webhooks/1"
OPEN_STATES = frozenset({Delivery.State.PENDING, Delivery.State.RETRYING})
# Events that tell of a death even when the case's status afterwards does not (a withdrawn
# identification), besides every event from or to a death status.
DEATH_EVENT_TYPES = frozenset(
    {
        EventType.DEATH_REPORTED,
        EventType.REMAINS_IDENTIFIED,
        EventType.IDENTIFICATION_WITHDRAWN,
        EventType.REMAINS_RETURNED,
    }
)
# A scheduled message may arrive a little before next_attempt_at when the clocks of the
# workers differ; within this it is still "due".
CLOCK_ALLOWANCE = dt.timedelta(seconds=2)
# Never stored or logged: the error of an attempt is its exception's class name or "HTTP 500".
MAX_ERROR_LENGTH = 200
# How long an outbox entry waits for its on_commit fan-out before the sweeper takes it.
FANOUT_GRACE_SECONDS = 30

SUBSCRIPTION_AUDITED_FIELDS = ("id", "owner", "url", "event_types", "active", "created_at")


# --- subscriptions ---------------------------------------------------------------------------


def _event_types_clean(event_types: Any) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError(
            {"event_types": ValidationError(_("Name at least one event type."), code="required")}
        )
    unknown = sorted({str(name) for name in event_types} - set(EventType.values))
    if unknown:
        raise ValidationError(
            {
                "event_types": ValidationError(
                    _("Unknown event types: %(names)s.") % {"names": ", ".join(unknown)},
                    code="invalid_choice",
                )
            }
        )
    return sorted(set(event_types))


def subscription_create(
    *, owner: Any, url: str, event_types: list[str], active: bool = True
) -> Subscription:
    """Subscribe a URL to event types. The returned subscription's `secret` is shown to the
    owner once, now; nothing shows it again."""
    if not policy.allowed(owner, policy.VIEW, "event"):
        # Outside the transaction below: a refusal is recorded, not rolled back with it.
        audit_log(action="denied", subject_type="webhooks.subscription", actor=owner)
        raise PermissionDenied(_("Your role does not receive case events."))
    destination_check(url)
    event_types = _event_types_clean(event_types)
    limit = settings.WEBHOOKS_MAX_SUBSCRIPTIONS_PER_OWNER
    with transaction.atomic():
        if Subscription.objects.filter(owner=owner).count() >= limit:
            raise ValidationError(
                _("An account may hold at most %(limit)d subscriptions.") % {"limit": limit},
                code="too_many",
            )
        if Subscription.objects.filter(owner=owner, url=url).exists():
            raise ValidationError(
                {"url": ValidationError(_("You already subscribe this URL."), code="unique")}
            )
        subscription = Subscription.objects.create(
            owner=owner, url=url, event_types=event_types, active=active
        )
        # Never the secret: the trail is kept for ever and read by auditors.
        audit_log(
            action="create",
            subject=subscription,
            changes=audit_snapshot(subscription, SUBSCRIPTION_AUDITED_FIELDS),
            actor=owner,
        )
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription, actor: Any) -> None:
    """Remove a subscription and its delivery log (the payloads held personal data; the trail
    keeps what was sent to whom)."""
    audit_log(
        action="delete",
        subject=subscription,
        changes={
            **audit_snapshot(subscription, SUBSCRIPTION_AUDITED_FIELDS),
            "deliveries": subscription.deliveries.count(),
        },
        actor=actor,
    )
    subscription.delete()


# --- what the owner may receive --------------------------------------------------------------


class _PayloadEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, PartialDate):
            return str(o)
        return super().default(o)


def events_announce(*, event_ids: list[Any]) -> None:
    """Recorded case events become webhook deliveries once their transaction has committed:
    each goes into the outbox (FanoutPending) inside that transaction, and is fanned out after
    the commit (webhooks.signals for one saved event, cases.services.case_register_many for a
    batch). Nothing when nobody subscribes: a subscription made later is not sent the past."""
    from .tasks import event_fanout

    if not event_ids or not Subscription.objects.filter(active=True).exists():
        return
    FanoutPending.objects.bulk_create(
        [FanoutPending(event_id=event_id) for event_id in event_ids], ignore_conflicts=True
    )
    for event_id in event_ids:
        text = str(event_id)
        transaction.on_commit(lambda text=text: event_fanout.delay(text), robust=True)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=_PayloadEncoder))


def _tells_of_death(event: CaseEvent) -> bool:
    return (
        event.type in DEATH_EVENT_TYPES
        or event.to_status in policy.DEATH_STATUSES
        or event.from_status in policy.DEATH_STATUSES
    )


def _refusal(owner: Any, event: CaseEvent | None, case: Case | None) -> str:
    """Why this owner may not receive this event now ("" when it may). The reasons are codes
    for the delivery log, never personal data."""
    if not owner.is_active:
        return "owner_inactive"
    if not policy.allowed(owner, policy.VIEW, "event"):
        return "no_event_access"
    if case is None or not policy.cases_visible_to(owner).filter(pk=case.pk).exists():
        return "case_not_visible"
    if event is not None and _tells_of_death(event) and not policy.may_hear_of_death(owner, case):
        return "death_not_shared"
    return ""


def _case_part(owner: Any, case: Case) -> dict[str, Any]:
    return _json_safe(policy.redact(policy.case_record(case), policy.case_fields_for(owner, case)))


def _payload_build(*, delivery_id: uuid.UUID, owner: Any, event: CaseEvent) -> dict[str, Any]:
    """The document sent: the event's type, date and resulting status (never its note, source
    or who recorded it) and the case with only the fields the owner may see."""
    return {
        "version": PAYLOAD_VERSION,
        "delivery": str(delivery_id),
        "event": _json_safe(
            {
                "id": event.pk,
                "type": event.type,
                "date": event.date,
                "to_status": event.to_status,
            }
        ),
        "case": _case_part(owner, event.case),
    }


# --- the fan-out -----------------------------------------------------------------------------


def deliveries_for_event_create(*, event_id: Any) -> list[Delivery]:
    """Turn a recorded case event into one delivery per active subscription whose owner may
    receive it, and enqueue them once committed. Running it again for the same event adds
    nothing (one delivery per subscription and event)."""
    from .tasks import delivery_send

    event = CaseEvent.objects.select_related("case").filter(pk=event_id).first()
    if event is None:  # rolled back, or never existed
        FanoutPending.objects.filter(event_id=event_id).delete()
        return []
    wanted = [
        subscription
        for subscription in Subscription.objects.filter(active=True).select_related("owner")
        # JSON "contains" is not portable to SQLite; the subscriptions are few.
        if event.type in subscription.event_types
    ]
    done = set(Delivery.objects.filter(event_id=event.pk).values_list("subscription_id", flat=True))
    created: list[Delivery] = []
    now = timezone.now()
    with transaction.atomic():
        for subscription in wanted:
            owner = subscription.owner
            if subscription.pk in done or _refusal(owner, event, event.case):
                continue
            delivery_id = uuid.uuid4()
            payload = _payload_build(delivery_id=delivery_id, owner=owner, event=event)
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(
                        id=delivery_id,
                        subscription=subscription,
                        event_id=event.pk,
                        event_type=event.type,
                        case_id=event.case_id,
                        payload=payload,
                        next_attempt_at=now,
                    )
            except IntegrityError:
                continue  # a concurrent fan-out of the same event made it
            # Sending a case's fields to a partner is a disclosure like an API read: recorded
            # with the fields, for the account that receives them.
            audit_log(
                action="view",
                subject=event.case,
                changes={
                    "fields": sorted(payload["case"]),
                    "via": "webhook",
                    "delivery": str(delivery.pk),
                    "event_type": event.type,
                },
                actor=owner,
            )
            created.append(delivery)
        FanoutPending.objects.filter(event_id=event.pk).delete()
        ids = [str(delivery.pk) for delivery in created]
        transaction.on_commit(lambda: [delivery_send.delay(pk) for pk in ids])
    return created


# --- one attempt -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    delivery: Delivery | None
    # False when nothing was sent: not due yet, already settled, cancelled, or unknown.
    attempted: bool


def _lease() -> dt.timedelta:
    """How long an attempt in flight holds the delivery before the sweeper presumes it lost."""
    return dt.timedelta(seconds=2 * float(settings.WEBHOOKS_TIMEOUT_SECONDS) + 60)


def _body(payload: dict[str, Any]) -> bytes:
    # Canonical: the stored JSON may come back with its keys reordered (jsonb), and a retry
    # should send the same bytes as the first attempt.
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _post(*, url: str, secret: str, delivery_id: str, event_type: str, body: bytes):
    """One POST; returns (status code or None, error text). Reads no response body (a
    receiver cannot make us hold a large one) and follows no redirect (it could lead anywhere)."""
    try:
        destination_check(url, resolve=True)
    except ValidationError:
        return None, "destination_refused"
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_compute(secret=secret, timestamp=timestamp, body=body),
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event_type,
    }
    try:
        with (
            httpx.Client(
                timeout=float(settings.WEBHOOKS_TIMEOUT_SECONDS), follow_redirects=False
            ) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            status = response.status_code
    except httpx.HTTPError as error:
        # The class name only: messages can quote the URL or the peer's words.
        return None, type(error).__name__[:MAX_ERROR_LENGTH]
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def delivery_attempt(*, delivery_id: Any) -> AttemptOutcome:
    """Make the next attempt of a delivery if it is due, and record it.

    The row is locked only to claim the attempt (and pushed a lease into the future, so that a
    duplicate message or the sweeper leaves it alone); the HTTP request is made outside any
    transaction, then the outcome is written in a second short one.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("subscription__owner")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return AttemptOutcome(None, attempted=False)
        if delivery.state not in OPEN_STATES or (
            delivery.next_attempt_at and delivery.next_attempt_at > now + CLOCK_ALLOWANCE
        ):
            return AttemptOutcome(delivery, attempted=False)
        subscription = delivery.subscription
        owner = subscription.owner
        event = CaseEvent.objects.filter(pk=delivery.event_id).first()
        case = Case.objects.filter(pk=delivery.case_id).first()
        reason = "subscription_inactive" if not subscription.active else ""
        reason = reason or _refusal(owner, event, case)
        if reason:
            delivery.state = Delivery.State.CANCELLED
            delivery.next_attempt_at = None
            delivery.last_error = reason
            delivery.save()
            logger.info("webhook delivery %s cancelled: %s", delivery.pk, reason)
            return AttemptOutcome(delivery, attempted=False)
        # The owner's fields may have narrowed since the delivery was made: send no more than
        # it may see now.
        allowed_now = set(_case_part(owner, case))
        case_part = delivery.payload.get("case", {})
        if set(case_part) - allowed_now:
            delivery.payload = {
                **delivery.payload,
                "case": {k: v for k, v in case_part.items() if k in allowed_now},
            }
        delivery.attempts += 1
        number = (delivery.attempt_log.aggregate(last=Max("number"))["last"] or 0) + 1
        delivery.next_attempt_at = now + _lease()
        delivery.save()
        url, secret, body = subscription.url, subscription.secret, _body(delivery.payload)

    started = time.monotonic()
    status, error = _post(
        url=url,
        secret=secret,
        delivery_id=str(delivery.pk),
        event_type=delivery.event_type,
        body=body,
    )
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = not error
    finished = timezone.now()

    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=now,
            duration_ms=duration_ms,
            status_code=status,
            error=error,
            succeeded=succeeded,
        )
        delivery.last_status_code = status
        delivery.last_error = error
        if succeeded:
            delivery.state = Delivery.State.DELIVERED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
            delivery.state = Delivery.State.DEAD
            delivery.next_attempt_at = None
        else:
            delivery.state = Delivery.State.RETRYING
            delivery.next_attempt_at = finished + dt.timedelta(
                seconds=retry_delay(
                    delivery.attempts,
                    base=float(settings.WEBHOOKS_RETRY_BASE_SECONDS),
                    cap=float(settings.WEBHOOKS_RETRY_MAX_SECONDS),
                )
            )
        delivery.save(
            update_fields=[
                "last_status_code",
                "last_error",
                "state",
                "delivered_at",
                "next_attempt_at",
                "updated_at",
            ]
        )
    logger.info(
        "webhook delivery %s attempt %d: %s -> %s",
        delivery.pk,
        number,
        status or error,
        delivery.state,
    )
    return AttemptOutcome(delivery, attempted=True)


def deliveries_due_enqueue(*, now: dt.datetime | None = None) -> int:
    """Enqueue every overdue open delivery (the sweeper, run by Celery beat). Safe to run at
    any time: an attempt that is not due when its message arrives is skipped."""
    from .selectors import deliveries_due_ids
    from .tasks import delivery_send

    now = now or timezone.now()
    # The outbox first: events whose fan-out message was lost (broker down at commit, worker
    # died). Older than a moment, so the normal on_commit path usually gets there first; the
    # fan-out is idempotent either way.
    left_over = FanoutPending.objects.filter(
        recorded_at__lt=now - dt.timedelta(seconds=FANOUT_GRACE_SECONDS)
    ).values_list("event_id", flat=True)
    for event_id in list(left_over[:500]):
        deliveries_for_event_create(event_id=event_id)
    ids = deliveries_due_ids(now=now)
    for pk in ids:
        delivery_send.delay(str(pk))
    return len(ids)


@transaction.atomic
def delivery_requeue(*, delivery: Delivery, actor: Any) -> Delivery:
    """Give a dead (or cancelled) delivery a fresh round of attempts, from now. The attempt log
    keeps the earlier attempts; the access policy is checked again before the next one."""
    from .tasks import delivery_send

    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.state not in {Delivery.State.DEAD, Delivery.State.CANCELLED}:
        raise ValidationError(
            _("Only a dead or cancelled delivery can be sent again."), code="not_dead"
        )
    before = locked.state
    locked.state = Delivery.State.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.save()
    audit_log(
        action="update",
        subject=locked,
        changes={"state": [before, locked.state], "requeued": True},
        actor=actor,
    )
    pk = str(locked.pk)
    transaction.on_commit(lambda: delivery_send.delay(pk))
    return locked
