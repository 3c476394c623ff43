"""Aid programmes for survivors and the disbursements they pay.

A separate app from cases: aid has its own officers, its own money rules and its own partner
(the survivors' affairs directorate), and nothing in the lifecycle depends on it.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.lifecycle import Status as CaseStatus


class AidProgramme(models.Model):
    class Frequency(models.TextChoices):
        ONE_TIME = "one_time", _("One-time payment")
        MONTHLY = "monthly", _("Monthly")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    administered_by = models.CharField(_("administered by"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    standard_amount = models.DecimalField(_("standard amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="IQD")
    # Which case status makes a person eligible (for the survivors' programmes: rescued).
    eligible_status = models.CharField(
        _("eligible case status"),
        max_length=24,
        choices=CaseStatus.choices,
        default=CaseStatus.RESCUED,
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(standard_amount__gt=0), name="programme_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Disbursement(models.Model):
    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        REVERSED = "reversed", _("Reversed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(
        AidProgramme, on_delete=models.PROTECT, related_name="disbursements"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="disbursements")
    # The month paid for, as its first day; a one-time payment uses the month it was paid in.
    period = models.DateField(_("period"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="IQD")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPROVED
    )
    approved_on = models.DateField(_("approved on"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["period"]
        indexes = [
            models.Index(fields=["programme", "status", "paid_on"]),
            models.Index(fields=["programme", "approved_on"]),
        ]
        constraints = [
            # The same programme never pays the same case twice for a period: a retried or
            # failed payment updates its row instead of adding one.
            models.UniqueConstraint(
                fields=["programme", "case", "period"], name="disbursement_once_per_period"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
            models.CheckConstraint(condition=Q(period__day=1), name="disbursement_period_is_month"),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "reversed"]) | Q(paid_on__isnull=False),
                name="disbursement_paid_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="reversed") | Q(reversed_on__isnull=False),
                name="disbursement_reversed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.case_id} {self.period:%Y-%m}"
