"""PFIF interchange records: which partner may write which PFIF domain, and the clones of other
repositories' person and note records, mapped to our cases.

Our own cases need no row here: their PFIF ids are derived (`<PFIF_DOMAIN>/person.<case uuid>`,
`<PFIF_DOMAIN>/note.<event uuid>`). Clones keep the ids their home repository gave them, for ever:
the home domain is the only one that may change a record.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.partial_dates import PartialDateField

from .format import DOMAIN_NAME, NoteStatus, our_domain


class PfifDomain(models.Model):
    """A PFIF domain a partner may write under its agreement, and where its people are
    registered here. While the agreement is valid, its partner account may POST records of this
    domain; records of any other domain are skipped."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    domain = models.CharField(
        _("PFIF domain"),
        max_length=253,
        unique=True,
        help_text=_("The part of the record ids before the slash, e.g. “personfinder.google.org”."),
    )
    agreement = models.ForeignKey(
        "access.PartnerAgreement",
        verbose_name=_("partner agreement"),
        on_delete=models.PROTECT,
        related_name="pfif_domains",
        help_text=_("Its partner account may write this domain while the agreement is valid."),
    )
    office = models.ForeignKey(
        "cases.Office",
        verbose_name=_("registering office"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Imported people become cases of this office (its caseworkers follow them)."),
    )
    # A case must have an origin and an abduction date, which PFIF does not carry: the agreement
    # says which event the domain's records are about.
    default_origin = models.ForeignKey(
        "gazetteer.Place",
        verbose_name=_("default place of origin"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For records whose home city names no place of our gazetteer."),
    )
    abducted_on = PartialDateField(
        _("date of abduction"),
        help_text=_("When the people of this domain went missing (YYYY, YYYY-MM or YYYY-MM-DD)."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("PFIF domain")

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        # Record ids are checked by the parser (pfif.format.RECORD_ID), not by a database
        # constraint: a regex CHECK on SQLite needs Django's REGEXP function on every connection.
        self.domain = (self.domain or "").strip().lower()
        if not DOMAIN_NAME.match(self.domain):
            raise ValidationError({"domain": _("Give a domain name, e.g. example.org.")})
        if self.domain == our_domain().lower():
            raise ValidationError(
                {"domain": _("This is our own domain: only we may write its records.")}
            )


class PfifPersonRecord(models.Model):
    """A person record cloned from another repository, and the case it became."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person_record_id = models.CharField(_("person record id"), max_length=500, unique=True)
    domain = models.ForeignKey(PfifDomain, on_delete=models.PROTECT, related_name="persons")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="pfif_record")
    # The "reported missing" event written when the clone was registered: our bookkeeping, not
    # a note of the home repository, so it is never exported as a PFIF note.
    registration_event = models.OneToOneField(
        "cases.CaseEvent", on_delete=models.PROTECT, related_name="+"
    )
    source_date = models.DateTimeField(_("source date"))
    entry_date = models.DateTimeField(_("stored at"), default=timezone.now, db_index=True)
    expiry_date = models.DateTimeField(_("expiry date"), null=True, blank=True)
    # The PFIF fields as received (whitespace stripped, 1.4 names), so that a clone is passed on
    # exactly as its home repository wrote it. Holds personal data: shown only through
    # pfif.selectors, which applies the access policy field by field.
    fields = models.JSONField(default=dict)

    class Meta:
        ordering = ["person_record_id"]
        verbose_name = _("PFIF person record")

    def __str__(self) -> str:
        return self.person_record_id


class PfifNote(models.Model):
    """A note record cloned from another repository: kept as received, and applied to the
    case's lifecycle where it maps to a transition the case allows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note_record_id = models.CharField(_("note record id"), max_length=500, unique=True)
    person_record_id = models.CharField(_("person record id"), max_length=500)
    domain = models.ForeignKey(PfifDomain, on_delete=models.PROTECT, related_name="notes")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="pfif_notes")
    # The lifecycle event this note was applied as; null when it could not be (the reason says
    # why). Events are evidence and never edited, so a later version of the note does not
    # change it.
    event = models.OneToOneField(
        "cases.CaseEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pfif_note",
    )
    not_applied_reason = models.TextField(_("why not applied"), blank=True)

    linked_person_record_id = models.CharField(max_length=500, blank=True)
    source_date = models.DateTimeField(_("source date"))
    entry_date = models.DateTimeField(_("stored at"), default=timezone.now, db_index=True)
    author_name = models.CharField(max_length=500)
    author_email = models.CharField(max_length=500, blank=True)
    author_phone = models.CharField(max_length=100, blank=True)
    author_made_contact = models.BooleanField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=NoteStatus.choices, blank=True)
    email_of_found_person = models.CharField(max_length=500, blank=True)
    phone_of_found_person = models.CharField(max_length=100, blank=True)
    last_known_location = models.TextField(blank=True)
    text = models.TextField()
    photo_url = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering = ["entry_date", "id"]
        verbose_name = _("PFIF note")

    def __str__(self) -> str:
        return self.note_record_id


class PfifPossibleDuplicate(models.Model):
    """Two person records that may be the same person: linked for a caseworker to look at,
    never merged (merging is the supervisor-approved "closed as duplicate" transition).

    By record id, not by case: the other record may not have reached us yet."""

    class Reason(models.TextChoices):
        LINKED_BY_NOTE = "linked_by_note", _("A note names it as a possible duplicate")
        SAME_NAME = "same_name", _("Same name and sex as a case we hold")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person_record_id = models.CharField(max_length=500)
    linked_person_record_id = models.CharField(max_length=500)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    note = models.ForeignKey(
        PfifNote, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("PFIF possible duplicate")
        constraints = [
            models.UniqueConstraint(
                fields=["person_record_id", "linked_person_record_id"],
                name="pfif_possible_duplicate_once",
            ),
            models.CheckConstraint(
                condition=~Q(person_record_id=models.F("linked_person_record_id")),
                name="pfif_possible_duplicate_not_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_record_id} ~ {self.linked_person_record_id}"
