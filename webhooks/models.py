"""Outbound webhooks: a partner subscribes a URL to lifecycle event types; each event it may
see becomes a Delivery to that URL, signed, retried, and logged attempt by attempt.

The design and the receiver's side of the contract are in docs/webhooks.md.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SECRET_BYTES = 32


def subscription_secret_generate() -> str:
    """A fresh signing secret (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(SECRET_BYTES)


class Subscription(models.Model):
    """A destination URL that receives the lifecycle events of the cases its owner may see."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text=_("The API account whose access decides what is sent (usually a partner)."),
    )
    url = models.CharField(_("destination URL"), max_length=500)
    # Stored as is, not hashed: unlike an API token it must be usable to sign every delivery.
    # It is shown once, in the answer to the POST that creates the subscription, and never by
    # the API or the admin afterwards; it is left out of the audit trail.
    secret = models.CharField(
        _("signing secret"), max_length=100, default=subscription_secret_generate, editable=False
    )
    event_types = models.JSONField(
        _("event types"),
        default=list,
        help_text=_("Lifecycle event types (cases.lifecycle.EventType) sent to this URL."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "url"], name="webhook_subscription_url_once")
        ]

    def __str__(self) -> str:
        # The id, not the URL: a URL may name the partner's infrastructure.
        return f"subscription {self.id}"


class Delivery(models.Model):
    """One event sent (or to be sent) to one subscription: the per-destination delivery log.

    `event_id` and `case_id` are plain values, not foreign keys: the log is a record of what
    left the system and must neither block nor follow the deletion of synthetic cases
    (`seed --reset`), and the receiver knows the event by this id.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        # The dead letter: every attempt failed. `webhooks_redeliver` or the admin re-queues it.
        DEAD = "dead", _("Dead (all attempts failed)")
        # Not sent after all: by the time of the attempt the subscription was switched off or
        # its owner may no longer see the case (agreement ended, consent withdrawn).
        CANCELLED = "cancelled", _("Cancelled (no longer allowed)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("case event"))
    event_type = models.CharField(_("event type"), max_length=32)
    case_id = models.UUIDField(_("case"))
    # The JSON document as sent (its fields were chosen by the access policy for the owner).
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    # Attempts since the delivery was (re)queued; the attempt log keeps every one.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due (and, while one is in flight, when it is presumed lost).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    # Short and free of personal data: "HTTP 500", "ConnectTimeout"; never a response body.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("deliveries")
        constraints = [
            # An event reaches a destination once, however often the fan-out runs.
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "retrying", "delivered", "dead", "cancelled"]),
                name="webhook_delivery_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_at__isnull=False),
                name="webhook_delivery_delivered_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["pending", "retrying"]) | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_open_is_scheduled",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.id} ({self.state})"


class DeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery: when, how long, and what came back (status code only)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    # 1, 2, 3... over the delivery's whole life, across re-queues.
    number = models.PositiveSmallIntegerField(_("number"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    succeeded = models.BooleanField(_("succeeded"))

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhook_attempt_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


class FanoutPending(models.Model):
    """The outbox: a recorded event whose deliveries are not made yet. Written in the event's
    own transaction, so an event committed while the broker is down is still sent: the sweeper
    fans out whatever is left here (the fan-out is idempotent and removes the row)."""

    event_id = models.UUIDField(primary_key=True)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return str(self.event_id)
