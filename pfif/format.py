"""PFIF itself: namespaces, the fields of each record in the order the 1.4 schema gives them,
record ids, dates and note statuses, and how our lifecycle maps onto those statuses.

Kept apart from the parser and the serializer so that both, and the tests that validate our
export against the 1.4 rules, read the same lists (docs/pfif.md explains the mapping).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.lifecycle import EventType, Status

ATOM_NS = "http://www.w3.org/2005/Atom"
PFIF_NS_BY_VERSION = {
    "1.1": "http://zesty.ca/pfif/1.1",
    "1.2": "http://zesty.ca/pfif/1.2",
    "1.3": "http://zesty.ca/pfif/1.3",
    "1.4": "http://zesty.ca/pfif/1.4",
}
VERSION_BY_NS = {ns: version for version, ns in PFIF_NS_BY_VERSION.items()}
PFIF_NS = PFIF_NS_BY_VERSION["1.4"]  # what we write

# The 1.4 schema is an xs:sequence: elements must come in exactly this order.
PERSON_FIELDS = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
)
NOTE_FIELDS = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
)
PERSON_REQUIRED = ("person_record_id", "source_date", "full_name")
NOTE_REQUIRED = ("note_record_id", "author_name", "source_date", "text")
# Only these survive an expired person record (the spec's placeholder).
EXPIRED_PERSON_FIELDS = ("person_record_id", "entry_date", "expiry_date", "source_date")

# PFIF marks these "sensitive": blank unless the client may read everything.
SENSITIVE_PERSON_FIELDS = frozenset({"author_email", "author_phone", "date_of_birth"})
SENSITIVE_NOTE_FIELDS = frozenset(
    {"author_email", "author_phone", "email_of_found_person", "phone_of_found_person"}
)

# Older element names, read on import as their 1.4 equivalents.
LEGACY_NAMES = {
    "first_name": "given_name",
    "last_name": "family_name",
    "home_zip": "home_postal_code",
    "found": "author_made_contact",
    "other": "description",
}
DATE_FIELDS = frozenset({"entry_date", "expiry_date", "source_date"})
SEXES = frozenset({"female", "male", "other"})

# The UTC timestamp PFIF uses everywhere; nothing else is accepted.
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$")
# domain/local-id: a domain name, a slash, then something non-empty without whitespace.
RECORD_ID = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?/\S+$")
DOMAIN_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
AGE = re.compile(r"^(\d{1,3})(?:-(\d{1,3}))?$")
DATE_OF_BIRTH = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


class NoteStatus(models.TextChoices):
    INFORMATION_SOUGHT = "information_sought", _("Someone is seeking information")
    IS_NOTE_AUTHOR = "is_note_author", _("This is the missing person")
    BELIEVED_ALIVE = "believed_alive", _("Believed alive")
    BELIEVED_MISSING = "believed_missing", _("Believed missing")
    BELIEVED_DEAD = "believed_dead", _("Believed dead")


# Export: a note's status from the status our event left the case in. PFIF has no status for
# captivity, rescue, exhumation, identification or return; the closest is used and the full
# lifecycle stays in our own API. A closed duplicate says nothing about the person: no status.
STATUS_FOR_CASE_STATUS: dict[str, str] = {
    Status.MISSING: NoteStatus.BELIEVED_MISSING,
    Status.CAPTIVE: NoteStatus.BELIEVED_MISSING,
    Status.RESCUED: NoteStatus.BELIEVED_ALIVE,
    Status.REPORTED_DEAD: NoteStatus.BELIEVED_DEAD,
    Status.REMAINS_IDENTIFIED: NoteStatus.BELIEVED_DEAD,
    Status.REMAINS_RETURNED: NoteStatus.BELIEVED_DEAD,
}

# Import: the lifecycle event a partner's note becomes. A note is a report, not a verified fact:
# "believed alive" does not make a case "rescued" (a caseworker confirms a rescue), so only a
# reported death moves the status; every other note is "information received" on the timeline.
EVENT_FOR_NOTE_STATUS: dict[str, str] = {
    NoteStatus.BELIEVED_DEAD: EventType.DEATH_REPORTED,
}
DEFAULT_NOTE_EVENT = EventType.INFORMATION_RECEIVED


def note_status_for_event(event_type: str, to_status: str) -> str:
    if event_type in (EventType.INFORMATION_RECEIVED, EventType.CLOSED_DUPLICATE):
        return ""  # no change of state: a note without a status
    return STATUS_FOR_CASE_STATUS.get(to_status, "")


def our_domain() -> str:
    return settings.PFIF_DOMAIN


def own_person_record_id(case_pk: object) -> str:
    return f"{our_domain()}/person.{case_pk}"


def own_note_record_id(event_pk: object) -> str:
    return f"{our_domain()}/note.{event_pk}"


def record_domain(record_id: str) -> str | None:
    if not RECORD_ID.match(record_id or ""):
        return None
    return record_id.split("/", 1)[0].lower()


def format_datetime(value: dt.datetime) -> str:
    """UTC, to the second, with a Z: the only form PFIF allows."""
    if timezone_aware(value):
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> dt.datetime:
    match = _DATETIME.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a PFIF date (YYYY-MM-DDThh:mm:ssZ, UTC)")
    return dt.datetime(*(int(part) for part in match.groups()), tzinfo=dt.UTC)


def timezone_aware(value: dt.datetime) -> bool:
    return value.tzinfo is not None and value.tzinfo.utcoffset(value) is not None


def parse_boolean(text: str) -> bool | None:
    text = (text or "").strip().lower()
    if not text:
        return None
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not true or false")
