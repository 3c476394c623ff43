"""A case is one missing person, followed from the report to an answer for the family."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .lifecycle import EventType, Status
from .partial_dates import PartialDateField
from .search import NormalisedNameField


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class Community(models.TextChoices):
    YAZIDI = "yazidi", _("Yazidi")
    CHRISTIAN = "christian", _("Christian")
    SHABAK = "shabak", _("Shabak")
    TURKMEN = "turkmen", _("Turkmen")
    KAKAI = "kakai", _("Kaka'i")
    OTHER = "other", _("Other")


ADULT_AGE = 18  # women/men are adults when abducted; girls/boys were under 18


# Identity fields a caseworker may edit; everything else moves only with a lifecycle event.
EDITABLE_FIELDS = (
    "given_name_ar",
    "father_name_ar",
    "grandfather_name_ar",
    "family_name_ar",
    "given_name_latn",
    "father_name_latn",
    "grandfather_name_latn",
    "family_name_latn",
    "sex",
    "birth_date",
    "age_at_abduction",
    "community",
    "origin",
    "abduction_place",
    "abducted_on",
    "captivity_notes",
    "health_notes",
)


class Office(models.Model):
    """A registering office. Users are scoped to offices (access control builds on this)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_ar = models.CharField(_("name (Arabic script)"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case_number = models.CharField(_("case number"), max_length=32, unique=True)

    # Names as recorded: Arabic script and a Latin transliteration, in the customary chain of
    # given name, father's, grandfather's, and family or tribe.
    given_name_ar = models.CharField(_("given name (Arabic script)"), max_length=100, blank=True)
    father_name_ar = models.CharField(
        _("father's name (Arabic script)"), max_length=100, blank=True
    )
    grandfather_name_ar = models.CharField(
        _("grandfather's name (Arabic script)"), max_length=100, blank=True
    )
    family_name_ar = models.CharField(
        _("family or tribe (Arabic script)"), max_length=100, blank=True
    )
    given_name_latn = models.CharField(_("given name (Latin)"), max_length=100, blank=True)
    father_name_latn = models.CharField(_("father's name (Latin)"), max_length=100, blank=True)
    grandfather_name_latn = models.CharField(
        _("grandfather's name (Latin)"), max_length=100, blank=True
    )
    family_name_latn = models.CharField(_("family or tribe (Latin)"), max_length=100, blank=True)
    # Every name above folded to one search key (cases.search), kept current on every write.
    search_name = NormalisedNameField(
        _("search key"),
        sources=(
            "given_name_ar",
            "father_name_ar",
            "grandfather_name_ar",
            "family_name_ar",
            "given_name_latn",
            "father_name_latn",
            "grandfather_name_latn",
            "family_name_latn",
        ),
    )

    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    birth_date = PartialDateField(_("date of birth"), null=True, blank=True)
    # Reported directly when the birth date is unknown; derived from it otherwise.
    age_at_abduction = models.PositiveSmallIntegerField(
        _("age when abducted"), null=True, blank=True
    )
    community = models.CharField(
        _("community"), max_length=16, choices=Community.choices, default=Community.YAZIDI
    )
    origin = models.ForeignKey(
        "gazetteer.Place",
        verbose_name=_("place of origin"),
        on_delete=models.PROTECT,
        related_name="cases_from",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("registering office"),
        on_delete=models.PROTECT,
        related_name="cases",
        # The (office, status) index below serves every lookup by office: a second index on
        # office alone only costs each write (docs/performance.md).
        db_index=False,
    )
    abducted_on = PartialDateField(_("date of abduction"))
    # Last day the partial abduction date can mean; "kidnapped as of" counts from it.
    abducted_by = models.DateField(editable=False)
    abduction_place = models.ForeignKey(
        "gazetteer.Place",
        verbose_name=_("place of abduction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="abductions",
    )

    # Sensitive: removed from every output a role may not see (see access control).
    captivity_notes = models.TextField(_("captivity notes"), blank=True)
    health_notes = models.TextField(_("health notes"), blank=True)

    # Written only by cases.services (the lifecycle); never edited directly.
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.MISSING, editable=False
    )
    rescued_on = models.DateField(_("rescued on"), null=True, blank=True, editable=False)
    reported_dead_on = models.DateField(
        _("death reported on"), null=True, blank=True, editable=False
    )
    remains_identified_on = models.DateField(
        _("remains identified on"), null=True, blank=True, editable=False
    )
    remains_returned_on = models.DateField(
        _("remains returned on"), null=True, blank=True, editable=False
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        editable=False,
    )

    # Optimistic concurrency: every write through a service increments it.
    version = models.PositiveIntegerField(default=1, editable=False)
    is_synthetic = models.BooleanField(
        _("synthetic record"),
        default=False,
        help_text=_("Invented demonstration data; `seed --reset` only ever deletes these."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case_number"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["office", "status"]),
            models.Index(fields=["sex", "age_at_abduction"]),
            models.Index(fields=["rescued_on"]),
            models.Index(fields=["remains_identified_on"]),
            models.Index(fields=["remains_returned_on"]),
            models.Index(fields=["abducted_by"]),
            # The case list's filters and sort orders (cases.views); the name search uses a
            # trigram index on PostgreSQL (migration 0003).
            models.Index(fields=["age_at_abduction"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["search_name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.RESCUED) | Q(rescued_on__isnull=False),
                name="case_rescued_has_date",
            ),
            models.CheckConstraint(
                condition=Q(rescued_on__isnull=True) | Q(remains_identified_on__isnull=True),
                name="case_not_both_rescued_and_identified",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REMAINS_IDENTIFIED)
                | Q(remains_identified_on__isnull=False),
                name="case_identified_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REMAINS_RETURNED)
                | Q(remains_returned_on__isnull=False, remains_identified_on__isnull=False),
                name="case_returned_was_identified",
            ),
            models.CheckConstraint(
                condition=Q(remains_returned_on__isnull=True)
                | Q(remains_returned_on__gte=F("remains_identified_on")),
                name="case_returned_not_before_identified",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED_DUPLICATE)
                | Q(duplicate_of__isnull=False, closed_on__isnull=False),
                name="case_duplicate_names_original",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=F("id")),
                name="case_not_duplicate_of_itself",
            ),
            models.CheckConstraint(
                condition=Q(age_at_abduction__isnull=True) | Q(age_at_abduction__lte=120),
                name="case_age_plausible",
            ),
        ]

    def __str__(self) -> str:
        # Case numbers, never names: __str__ ends up in logs and admin history.
        return self.case_number

    def save(self, *args, **kwargs):
        # Keep the stored bound in step with the partial date it is derived from.
        if self.abducted_on is not None:
            self.abducted_by = self.abducted_on.upper()
        super().save(*args, **kwargs)

    @property
    def full_name_latn(self) -> str:
        parts = [
            self.given_name_latn,
            self.father_name_latn,
            self.grandfather_name_latn,
            self.family_name_latn,
        ]
        return " ".join(p for p in parts if p)

    @property
    def full_name_ar(self) -> str:
        parts = [
            self.given_name_ar,
            self.father_name_ar,
            self.grandfather_name_ar,
            self.family_name_ar,
        ]
        return " ".join(p for p in parts if p)

    @property
    def is_minor_at_abduction(self) -> bool | None:
        return None if self.age_at_abduction is None else self.age_at_abduction < ADULT_AGE


class AlternateName(models.Model):
    """Other spellings of a case's name, as families and other registries write it."""

    class Script(models.TextChoices):
        ARABIC = "arab", _("Arabic script")
        LATIN = "latn", _("Latin script")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alternate_names")
    full_name = models.CharField(_("full name"), max_length=300)
    script = models.CharField(_("script"), max_length=4, choices=Script.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    search_name = NormalisedNameField(_("search key"), sources=("full_name",))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "full_name"], name="alternate_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.script}"


class CaseEvent(models.Model):
    """One dated step of a case's lifecycle. The case timeline is its events; they are evidence
    and are never edited (a correction is a new event)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    # Position in the case's history; unique, so two concurrent writers cannot both append.
    sequence = models.PositiveIntegerField()
    type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices)
    date = PartialDateField(_("date"))
    date_lower = models.DateField()
    date_upper = models.DateField()
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=300)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["case", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="case_event_sequence_unique"),
            models.CheckConstraint(
                condition=Q(date_lower__lte=F("date_upper")), name="case_event_date_bounds"
            ),
        ]
        indexes = [models.Index(fields=["type", "date_upper"])]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.sequence} {self.type}"


class EventCorrection(models.Model):
    """A request to correct the date of an event, and a supervisor's decision on it (issue 3:
    correcting an event is a sensitive step). The event stays as recorded; an approved
    correction adds an "event corrected" event and moves the case's milestone."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a supervisor")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="corrections")
    date = PartialDateField(_("corrected date"))
    source = models.CharField(_("source"), max_length=300)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    # The "event corrected" event an approval added to the timeline.
    correcting_event = models.OneToOneField(
        CaseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="correction_of"
    )

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            # One open request per event: a second would race the first to the supervisor.
            models.UniqueConstraint(
                fields=["event"], condition=Q(status="pending"), name="event_correction_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    ~Q(status="pending")
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~Q(decided_by=F("requested_by"))
                ),
                name="event_correction_decided_by_another",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(correcting_event__isnull=False),
                name="event_correction_approved_has_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.date} ({self.status})"
