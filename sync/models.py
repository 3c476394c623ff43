"""What keeps partner systems in step: the change feed (one row per record, moved to the end of
the feed each time the record changes), which records the feed has sent to each client, the
partners' own ids for the records they push, and the answers to idempotent POSTs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedCounter(models.Model):
    """The feed's clock: one row, advanced under the audit chain's lock (sync.feed), so the
    numbers it hands out follow commit order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="feed_counter_one")]

    def __str__(self) -> str:
        return str(self.value)


class FeedEntry(models.Model):
    """The latest change of one record. A client reading entries in `seq` order from the start
    sees every record once at its latest state; reading on from its last cursor, every record
    changed since (at least once)."""

    class Op(models.TextChoices):
        UPSERT = "upsert", _("created or changed")
        DELETE = "delete", _("deleted")

    seq = models.BigIntegerField(_("sequence"), unique=True)
    resource = models.CharField(_("resource"), max_length=32)
    record_id = models.UUIDField(_("record id"))
    op = models.CharField(_("operation"), max_length=8, choices=Op.choices)
    # How many times the record has changed: the version of records without their own counter.
    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("change feed entry")
        verbose_name_plural = _("change feed entries")
        constraints = [
            models.UniqueConstraint(fields=["resource", "record_id"], name="feed_entry_once"),
        ]
        # A pull of some resources only (`?resource=cases`): their entries in order, without
        # reading past the others' (a million cases come with 3.7 million other entries).
        indexes = [models.Index(fields=["resource", "seq"], name="feed_entry_resource_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.op} {self.resource}:{self.record_id}"


class FeedDelivered(models.Model):
    """A record the feed has sent to this client. Only these get a tombstone when they leave
    the client's scope: a tombstone for a record the client never had would tell it that a
    record it may not see exists and changed."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=32)
    record_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "resource", "record_id"], name="feed_delivered_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.resource}:{self.record_id}"


class ExternalRef(models.Model):
    """A partner's own id for one of our records, so that a batch pushed twice updates the
    record it created the first time instead of creating another."""

    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_refs"
    )
    resource = models.CharField(_("resource"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=200)
    record_id = models.UUIDField(_("record id"))
    # Fingerprint of the last accepted body, so that a replay is reported "unchanged".
    body_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "resource", "external_id"], name="external_ref_once"
            ),
        ]
        indexes = [models.Index(fields=["resource", "record_id"], name="external_ref_record")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.resource}:{self.external_id}"


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for the same key and
    body, refused for the same key with another body. Kept for IDEMPOTENCY_TTL_HOURS."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_once"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.method} {self.path}"
