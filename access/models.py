"""Who may see what: roles (Django groups), office membership, API tokens, partner agreements.

Kept apart from the domain apps because one policy (access.policy) serves the web UI, the API,
exports, reports and feeds alike; nothing in cases or graves should decide access on its own.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups with exactly these names (created by a migration)."""

    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    FORENSIC = "forensic", _("Forensic")
    AID_OFFICER = "aid_officer", _("Aid officer")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")
    PARTNER = "partner", _("Partner system")
    ADMIN = "admin", _("Administrator")


# Roles whose accounts must pass a TOTP second factor at login.
ROLES_REQUIRING_SECOND_FACTOR = frozenset({Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})


class OfficeMembership(models.Model):
    """A user works for an office; case data is scoped to the offices of the user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="office_memberships"
    )
    office = models.ForeignKey("cases.Office", on_delete=models.PROTECT, related_name="members")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "office"], name="office_membership_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.office_id}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest is stored: the token itself is shown
    once, when issued. Tokens expire and can be revoked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # The first characters of the token, to tell tokens apart in lists and logs.
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class UserSession(models.Model):
    """The sessions a user holds, so that disabling the account can end them all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id} session"


class PartnerAgreement(models.Model):
    """A data-sharing agreement: which records and which fields a partner system may receive."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="partner_agreements",
        help_text=_("The partner system's account (role: partner)."),
    )
    offices = models.ManyToManyField(
        "cases.Office",
        blank=True,
        related_name="partner_agreements",
        help_text=_("Cases registered by these offices may be shared."),
    )
    statuses = models.JSONField(
        _("case statuses"),
        default=list,
        blank=True,
        help_text=_("Case statuses that may be shared; empty means any status."),
    )
    fields = models.JSONField(
        _("case fields"),
        default=list,
        blank=True,
        help_text=_("Case fields the partner may receive (beyond the case id and number)."),
    )
    may_receive_deaths = models.BooleanField(_("may receive deaths"), default=False)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
