"""Mass grave sites, their exhumations, the remains recovered, and identifications."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GraveSite(models.Model):
    class Status(models.TextChoices):
        SUSPECTED = "suspected", _("Suspected")
        CONFIRMED = "confirmed", _("Confirmed")
        EXHUMED = "exhumed", _("Opened / exhumed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    place = models.ForeignKey(
        "gazetteer.Place",
        verbose_name=_("place"),
        on_delete=models.PROTECT,
        related_name="grave_sites",
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUSPECTED
    )
    reported_on = models.DateField(_("first reported on"))
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    estimated_victims = models.PositiveIntegerField(_("estimated victims"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["confirmed_on"]),
            models.Index(fields=["opened_on"]),
            models.Index(fields=["reported_on"]),
        ]
        constraints = [
            # The status and its dates agree, and the dates run in order.
            models.CheckConstraint(
                condition=Q(status="suspected", confirmed_on__isnull=True, opened_on__isnull=True)
                | Q(status="confirmed", confirmed_on__isnull=False, opened_on__isnull=True)
                | Q(status="exhumed", confirmed_on__isnull=False, opened_on__isnull=False),
                name="grave_site_status_dates",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_on__isnull=True) | Q(confirmed_on__gte=F("reported_on")),
                name="grave_site_confirmed_after_reported",
            ),
            models.CheckConstraint(
                condition=Q(opened_on__isnull=True) | Q(opened_on__gte=F("confirmed_on")),
                name="grave_site_opened_after_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("graves:site-detail", args=[self.pk])


class GraveReport(models.Model):
    """Each report about a site, with its source: sites are often reported several times with
    different estimates, and the disagreement is evidence too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(GraveSite, on_delete=models.CASCADE, related_name="reports")
    reported_on = models.DateField(_("reported on"))
    source = models.CharField(_("source"), max_length=300)
    estimated_victims = models.PositiveIntegerField(_("estimated victims"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["site", "reported_on"]

    def __str__(self) -> str:
        return f"{self.site_id} {self.reported_on}"


class Exhumation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(GraveSite, on_delete=models.PROTECT, related_name="exhumations")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    team = models.CharField(_("team"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["site", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="exhumation_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.started_on}"


class Remains(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        UNDETERMINED = "undetermined", _("Undetermined")

    class SampleStatus(models.TextChoices):
        NOT_SAMPLED = "not_sampled", _("Not sampled")
        SAMPLED = "sampled", _("Sampled")
        PROFILED = "profiled", _("DNA profile obtained")
        FAILED = "failed", _("No usable profile")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    site = models.ForeignKey(GraveSite, on_delete=models.PROTECT, related_name="remains")
    exhumation = models.ForeignKey(
        Exhumation, on_delete=models.PROTECT, null=True, blank=True, related_name="remains"
    )
    sex_estimate = models.CharField(
        _("sex estimate"), max_length=16, choices=Sex.choices, default=Sex.UNDETERMINED
    )
    age_min = models.PositiveSmallIntegerField(_("minimum age estimate"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age estimate"), null=True, blank=True)
    recovered_on = models.DateField(_("recovered on"))
    sample_status = models.CharField(
        _("sample status"),
        max_length=16,
        choices=SampleStatus.choices,
        default=SampleStatus.NOT_SAMPLED,
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("remains")
        indexes = [models.Index(fields=["recovered_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=F("age_max")),
                name="remains_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("graves:remains-detail", args=[self.pk])


class Identification(models.Model):
    class Method(models.TextChoices):
        DNA_KINSHIP = "dna_kinship", _("DNA kinship analysis")
        DNA_DIRECT = "dna_direct", _("DNA direct match")
        ANTHROPOLOGICAL = "anthropological", _("Anthropological and circumstantial")
        DENTAL = "dental", _("Dental records")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    remains = models.ForeignKey(Remains, on_delete=models.PROTECT, related_name="identifications")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="identifications")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    # e.g. the posterior probability or likelihood ratio reported by the lab.
    match_statistic = models.DecimalField(
        _("match statistic"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    identified_on = models.DateField(_("identified on"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["identified_on"]
        indexes = [models.Index(fields=["status", "confirmed_on"])]
        constraints = [
            # A set of remains identifies at most one case (withdrawn proposals aside).
            models.UniqueConstraint(
                fields=["remains"],
                condition=~Q(status="withdrawn"),
                name="identification_one_case_per_remains",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_on__isnull=False),
                name="identification_confirmed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remains_id} -> {self.case_id}"

    def get_absolute_url(self) -> str:
        return reverse("graves:identification-detail", args=[self.pk])
