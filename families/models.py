"""Relatives of the missing, the DNA reference samples they give, and handovers of remains.

A relative is one person who may be kin to several missing persons (a mother with three
abducted children gives one sample), so kinship is its own table.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Sex
from cases.partial_dates import PartialDateField


class Relative(models.Model):
    class Consent(models.TextChoices):
        NOT_ASKED = "not_asked", _("Not asked yet")
        GIVEN = "given", _("Given")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name_ar = models.CharField(_("full name (Arabic script)"), max_length=300, blank=True)
    full_name_latn = models.CharField(_("full name (Latin)"), max_length=300, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    birth_date = PartialDateField(_("date of birth"), null=True, blank=True)
    # Sensitive contact details.
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.TextField(_("address"), blank=True)
    consent = models.CharField(
        _("consent"), max_length=12, choices=Consent.choices, default=Consent.NOT_ASKED
    )
    consent_recorded_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    consent_dna_matching = models.BooleanField(_("consents to DNA matching"), default=False)
    consent_share_with_partners = models.BooleanField(
        _("consents to sharing with partner organisations"), default=False
    )
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(consent="not_asked") | Q(consent_recorded_on__isnull=False),
                name="relative_consent_dated",
            ),
            # Sharing and matching need consent that is in force.
            models.CheckConstraint(
                condition=Q(consent="given")
                | Q(consent_dna_matching=False, consent_share_with_partners=False),
                name="relative_consent_flags_need_consent",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class Kinship(models.Model):
    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        SIBLING = "sibling", _("Brother or sister")
        CHILD = "child", _("Son or daughter")
        SPOUSE = "spouse", _("Spouse")
        GRANDPARENT = "grandparent", _("Grandparent")
        AUNT_UNCLE = "aunt_uncle", _("Aunt or uncle")
        COUSIN = "cousin", _("Cousin")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="kinships")
    relative = models.ForeignKey(Relative, on_delete=models.CASCADE, related_name="kinships")
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "relative"], name="kinship_once"),
        ]

    def __str__(self) -> str:
        return f"{self.relative_id} {self.relationship} of {self.case_id}"


class ReferenceSample(models.Model):
    """A DNA reference sample given by a relative. We record custody, never a genetic profile."""

    class Status(models.TextChoices):
        COLLECTED = "collected", _("Collected")
        SENT_TO_LAB = "sent_to_lab", _("Sent to the laboratory")
        PROFILED = "profiled", _("Profile in the matching database")
        FAILED = "failed", _("No usable profile")
        DESTROYED = "destroyed", _("Destroyed (consent withdrawn)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    relative = models.ForeignKey(Relative, on_delete=models.PROTECT, related_name="samples")
    collected_on = models.DateField(_("collected on"))
    lab_reference = models.CharField(_("laboratory reference"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.COLLECTED
    )

    class Meta:
        ordering = ["collected_on"]
        indexes = [models.Index(fields=["collected_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["lab_reference"],
                condition=~Q(lab_reference=""),
                name="reference_sample_lab_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class Handover(models.Model):
    """Remains returned to the family: the last step of the identification path."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="handover")
    identification = models.ForeignKey(
        "graves.Identification", on_delete=models.PROTECT, related_name="handovers"
    )
    handed_over_on = models.DateField(_("handed over on"))
    receiving_relative = models.ForeignKey(
        Relative, on_delete=models.PROTECT, null=True, blank=True, related_name="handovers_received"
    )
    burial_place = models.ForeignKey(
        "gazetteer.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="burials"
    )
    burial_note = models.CharField(_("place of burial"), max_length=300, blank=True)
    ceremony = models.CharField(
        _("ceremony or batch"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the collective reburial the remains were returned in"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["handed_over_on"]
        indexes = [models.Index(fields=["handed_over_on"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.handed_over_on}"
