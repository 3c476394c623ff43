"""The audit trail: who saw and changed what, as an append-only hash chain.

Rows are written only by `audit.services.audit_log`. The database refuses to update or delete
them (triggers, audit.guard), and each row carries the SHA-256 of its predecessor, so that a row
changed, removed or reordered by someone who can bypass the triggers is found by
`manage.py audit_verify` (audit.chain).
"""

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .chain import CanonicalJSONEncoder


class CanonicalJSONField(models.JSONField):
    """A JSONField whose stored text is exactly the hashed text (CanonicalJSONEncoder).

    SQLite keeps the text it is given. On PostgreSQL the column is `json`, which also keeps the
    text as given, rather than `jsonb`, which re-lays it out (its own key order and spacing):
    audit_verify can then hash the stored text as it is on both databases instead of parsing
    and re-encoding every entry. The cost: jsonb-only lookups (`__contains`, `__has_key`) are
    not available on this field on PostgreSQL; key lookups (`changes__fields`) work.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["encoder"] = CanonicalJSONEncoder
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("encoder", None)
        return name, path, args, kwargs

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        # Plain text, not Django's Jsonb adapter (which would make it jsonb on the way in).
        return None if value is None else json.dumps(value, cls=CanonicalJSONEncoder)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # psycopg parses the `json` type itself (Django leaves only jsonb to the field).
        if value is not None and not isinstance(value, str):
            return value
        return super().from_db_value(value, expression, connection)


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        TRANSITION = "transition", _("lifecycle transition")
        VIEW = "view", _("view")
        EXPORT = "export", _("export")
        DOWNLOAD = "download", _("download")
        REPORT = "report", _("report")
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        DENIED = "denied", _("access denied")
        USER_CHANGE = "user_change", _("account change")
        ROLE_CHANGE = "role_change", _("role or office change")
        AGREEMENT_CHANGE = "agreement_change", _("partner agreement change")
        TOKEN_ISSUED = "token_issued", _("API token issued")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")

    # Position in the chain: 1, 2, 3... with no gaps (assigned under a lock, audit.services).
    sequence = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), editable=False)
    # No database foreign key and no on_delete action: deleting an account must not change (or be
    # blocked by) the rows that record what it did. The username is kept as text for that day;
    # `actor` stays a relation only so the admin and selectors can filter by it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the (actor, occurred_at) index below serves lookups by actor
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    actor_username = models.CharField(_("actor's username"), max_length=150, blank=True)
    # The actor's roles and offices at the time: they change, and the trail must say what the
    # person was allowed to do when they acted.
    role = models.CharField(_("roles"), max_length=200, blank=True)
    offices = models.CharField(_("offices"), max_length=500, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    subject_type = models.CharField(_("subject type"), max_length=100, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    changes = CanonicalJSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            models.Index(fields=["action"], name="audit_action"),
            models.Index(fields=["occurred_at"], name="audit_occurred_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="audit_sequence_pos"),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs and the admin.
        return f"#{self.sequence} {self.action} {self.subject_type}:{self.subject_id}"


class ChainCheck(models.Model):
    """The nightly verification of the chain (audit.tasks): one row per night, so that a task
    delivered twice (acks_late after a worker died) records one result, and the trail's own
    health has a history that auditors can read."""

    checked_on = models.DateField(unique=True)
    finished_at = models.DateTimeField()
    entries = models.PositiveBigIntegerField()
    intact = models.BooleanField()
    first_broken_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True)
    last_hash = models.CharField(max_length=64)
    seconds = models.FloatField()

    class Meta:
        ordering = ["-checked_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(intact=True, first_broken_sequence__isnull=True)
                | models.Q(intact=False, first_broken_sequence__isnull=False),
                name="chain_check_broken_names_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checked_on}: {'intact' if self.intact else 'BROKEN'}"


class AuditMention(models.Model):
    """Which records an entry about many records names (a list page, a report's worklist: the
    ids in its `changes["ids"]`), one row each, so that a case's access history finds the list
    views that showed it without scanning the trail. Derived from the entries (which the hash
    chain protects) and rebuildable from them; not evidence in itself."""

    entry = models.ForeignKey(
        AuditEntry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="mentions"
    )
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id} in #{self.entry_id}"
