"""Reading PFIF: our cases and their timelines as PFIF person and note records, for one user.

Everything goes through access.policy: persons only for `cases_visible_to(user)`, each field only
when `case_fields_for(user, case)` allows the case field it comes from, and PFIF's sensitive
fields (and free text) only with full read. Records are returned as ordered dicts, field names
in the 1.4 schema's order with empty values left out; pfif.serialize writes them as XML.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from access import policy
from access.models import Role
from cases.lifecycle import EventType
from cases.models import Case, CaseEvent

from .format import (
    EXPIRED_PERSON_FIELDS,
    NOTE_FIELDS,
    PERSON_FIELDS,
    NoteStatus,
    format_datetime,
    note_status_for_event,
    our_domain,
    own_note_record_id,
    own_person_record_id,
)
from .models import PfifDomain, PfifNote, PfifPersonRecord

MAX_RESULTS = 200
MAX_SKIP = 10_000  # beyond that, page with min_entry_date (which is what it is for)
# Our records do not expire: conflict cases stay open for decades, so we say so explicitly
# rather than leave a repository to apply its own (short) default.
EXPIRY_YEARS = 50

_NAME_FIELDS = (
    "given_name_latn",
    "father_name_latn",
    "grandfather_name_latn",
    "family_name_latn",
    "given_name_ar",
    "father_name_ar",
    "grandfather_name_ar",
    "family_name_ar",
)
FULL_READ = "full read"  # not a case field: the sensitive fields of the policy, all of them
# Which case field must be visible to pass on each field of a clone as its home wrote it.
_CLONE_FIELD_NEEDS = {
    "author_name": FULL_READ,
    "author_email": FULL_READ,
    "author_phone": FULL_READ,
    "alternate_names": FULL_READ,
    "description": FULL_READ,
    "sex": "sex",
    "date_of_birth": FULL_READ,
    "age": "age_at_abduction",
    "home_street": FULL_READ,
    "home_neighborhood": FULL_READ,
    "home_city": "origin",
    "home_state": "origin",
    "home_postal_code": FULL_READ,
    "home_country": "origin",
    "photo_url": FULL_READ,
    "profile_urls": FULL_READ,
}
_CLONE_METADATA = ("source_name", "source_url")


# --- who may write which domain ----------------------------------------------------------------


def pfif_domains_writable_by(user: Any) -> dict[str, PfifDomain]:
    """The PFIF domains the user's valid partner agreements let it write, by domain name."""
    if Role.PARTNER not in policy.roles_of(user):
        return {}
    # The policy's own list of the user's agreements in force today (validity dates applied).
    agreements = policy.agreements_in_force(user)
    domains = PfifDomain.objects.filter(agreement__in=agreements).select_related(
        "office", "default_origin"
    )
    return {domain.domain: domain for domain in domains}


# --- deaths ----------------------------------------------------------------------------------


def _deaths_shown(offices: frozenset[Any] | None, case: Case) -> bool:
    return offices is None or case.office_id in offices


# --- records ---------------------------------------------------------------------------------


def _full_read(visible: frozenset[str]) -> bool:
    return policy.SENSITIVE_FIELDS["cases.case"] <= visible


def _ordered(record: dict[str, Any], order: tuple[str, ...]) -> dict[str, str]:
    return {name: record[name] for name in order if record.get(name) not in (None, "")}


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _names(case: Case, visible: frozenset[str]) -> tuple[str, str, str]:
    """(full_name, given_name, family_name) from the name fields the user may see: Latin first
    (the line a Person Finder shows as the title), Arabic script on the second line."""

    def seen(name: str) -> str:
        return getattr(case, name) if name in visible else ""

    latin = _joined(
        *(
            seen(f"{part}_latn")
            for part in ("given_name", "father_name", "grandfather_name", "family_name")
        )
    )
    arabic = _joined(
        *(
            seen(f"{part}_ar")
            for part in ("given_name", "father_name", "grandfather_name", "family_name")
        )
    )
    full_name = "\n".join(line for line in (latin, arabic) if line)
    given = seen("given_name_latn") or seen("given_name_ar")
    family = seen("family_name_latn") or seen("family_name_ar")
    return full_name, given, family


def _age_on(case: Case, on: dt.datetime) -> str:
    """PFIF's age is as of the record's source_date; ours is at the abduction: add the years
    between them, as a range when the abduction date is only partly known."""
    if case.age_at_abduction is None or case.abducted_on is None:
        return ""
    low = case.age_at_abduction + max(0, on.year - case.abducted_on.upper().year - 1)
    high = case.age_at_abduction + max(0, on.year - case.abducted_on.lower().year)
    return str(low) if low == high else f"{low}-{high}"


def person_record_id_for(case: Case) -> str:
    record = getattr(case, "pfif_record", None)
    return record.person_record_id if record is not None else own_person_record_id(case.pk)


def _entry_date(case: Case) -> dt.datetime:
    record = getattr(case, "pfif_record", None)
    if record is not None and record.entry_date > case.updated_at:
        return record.entry_date
    return case.updated_at


def person_as_pfif(case: Case, visible: frozenset[str], *, now: dt.datetime) -> dict[str, str]:
    """One case as a PFIF 1.4 person record, with only what `visible` allows."""
    record = getattr(case, "pfif_record", None)
    full_read = _full_read(visible)
    entry_date = _entry_date(case)
    full_name, given, family = _names(case, visible)
    if record is None:
        expiry = dt.datetime(entry_date.year + EXPIRY_YEARS, 1, 1, tzinfo=dt.UTC)
        fields: dict[str, Any] = {
            "person_record_id": own_person_record_id(case.pk),
            "expiry_date": format_datetime(expiry),
            "source_name": our_domain(),
            "source_date": format_datetime(case.updated_at),
            "full_name": full_name,
            "given_name": given,
            "family_name": family,
            "sex": case.sex if "sex" in visible and case.sex in ("female", "male") else "",
            "date_of_birth": str(case.birth_date)
            if "birth_date" in visible and full_read and case.birth_date
            else "",
            "age": _age_on(case, case.updated_at) if "age_at_abduction" in visible else "",
            "home_city": case.origin.name_latn if "origin" in visible else "",
        }
    else:
        stored = record.fields
        if record.expiry_date is not None and record.expiry_date <= now:
            # Expired at home: only the placeholder the spec allows, so partners delete it too.
            return _ordered(
                {
                    "person_record_id": record.person_record_id,
                    "entry_date": format_datetime(entry_date),
                    "expiry_date": format_datetime(record.expiry_date),
                    "source_date": stored.get("source_date", ""),
                },
                EXPIRED_PERSON_FIELDS,
            )
        fields = {
            "person_record_id": record.person_record_id,
            "expiry_date": stored.get("expiry_date", ""),
            "source_date": stored.get("source_date", ""),
            **{name: stored.get(name, "") for name in _CLONE_METADATA},
        }
        names_all_visible = all(name in visible for name in _NAME_FIELDS if getattr(case, name))
        if names_all_visible:
            # Passed on exactly as its home wrote it (our fields keep only given/family).
            for name in ("full_name", "given_name", "family_name"):
                fields[name] = stored.get(name, "")
        else:
            fields.update(full_name=full_name, given_name=given, family_name=family)
        for name, needs in _CLONE_FIELD_NEEDS.items():
            shown = full_read if needs == FULL_READ else needs in visible
            if shown:
                fields[name] = stored.get(name, "")
    if not fields.get("full_name"):
        # PFIF requires a name; a reader who may not see names gets our case number instead.
        fields["full_name"] = case.case_number
    fields["entry_date"] = format_datetime(entry_date)
    return _ordered(fields, PERSON_FIELDS)


def _event_text(event: CaseEvent, full_read: bool) -> str:
    text = _("%(event)s: %(date)s.") % {"event": EventType(event.type).label, "date": event.date}
    if full_read and event.note:
        text += "\n\n" + event.note
    return text


def event_as_pfif(event: CaseEvent, person_record_id: str, full_read: bool) -> dict[str, str]:
    """One of our timeline events as a PFIF note (partners get the event, not its free text,
    exactly as in our own timeline API)."""
    status = note_status_for_event(event.type, event.to_status)
    return _ordered(
        {
            "note_record_id": own_note_record_id(event.pk),
            "person_record_id": person_record_id,
            "entry_date": format_datetime(event.recorded_at),
            "author_name": event.source,
            "source_date": format_datetime(event.recorded_at),
            "author_made_contact": "true" if event.type == EventType.RESCUED else "",
            "status": status,
            "text": _event_text(event, full_read),
        },
        NOTE_FIELDS,
    )


def note_as_pfif(note: PfifNote, full_read: bool) -> dict[str, str]:
    """A clone note as its home wrote it; without full read, without its sensitive fields, its
    free text (which may tell of captivity) or its author (a relative, often)."""
    if full_read:
        author, text = note.author_name, note.text
    else:
        author = note.domain.domain
        label = NoteStatus(note.status).label if note.status else _("Note")
        text = _("%(status)s (note of %(domain)s).") % {"status": label, "domain": author}
    made_contact = note.author_made_contact
    return _ordered(
        {
            "note_record_id": note.note_record_id,
            "person_record_id": note.person_record_id,
            "linked_person_record_id": note.linked_person_record_id,
            "entry_date": format_datetime(note.entry_date),
            "author_name": author,
            "author_email": note.author_email if full_read else "",
            "author_phone": note.author_phone if full_read else "",
            "source_date": format_datetime(note.source_date),
            "author_made_contact": "" if made_contact is None else str(made_contact).lower(),
            "status": note.status,
            "email_of_found_person": note.email_of_found_person if full_read else "",
            "phone_of_found_person": note.phone_of_found_person if full_read else "",
            "last_known_location": note.last_known_location if full_read else "",
            "text": text,
            "photo_url": note.photo_url if full_read else "",
        },
        NOTE_FIELDS,
    )


# --- which notes -----------------------------------------------------------------------------


def _events_exported(deaths: frozenset[Any] | None) -> QuerySet[CaseEvent]:
    """Our events that are PFIF notes of ours: not those a clone's note became (that note is
    exported instead, with its own id) nor the registration of a clone (our bookkeeping)."""
    events = CaseEvent.objects.filter(pfif_note__isnull=True).exclude(
        pk__in=PfifPersonRecord.objects.values("registration_event")
    )
    if deaths is not None:
        events = events.filter(~Q(to_status__in=policy.DEATH_STATUSES) | Q(case__office__in=deaths))
    return events


def _notes_exported(deaths: frozenset[Any] | None) -> QuerySet[PfifNote]:
    notes = PfifNote.objects.select_related("domain")
    if deaths is not None:
        notes = notes.filter(~Q(status=NoteStatus.BELIEVED_DEAD) | Q(case__office__in=deaths))
    return notes


def _case_notes(case: Case, visible: frozenset[str], deaths: frozenset[Any] | None) -> list:
    full_read = _full_read(visible)
    record_id = person_record_id_for(case)
    entries = [
        (event.recorded_at, event_as_pfif(event, record_id, full_read))
        for event in _events_exported(deaths).filter(case=case).order_by("sequence")
    ] + [
        (note.source_date, note_as_pfif(note, full_read))
        for note in _notes_exported(deaths).filter(case=case)
    ]
    entries.sort(key=lambda pair: pair[0])
    return [note for _date, note in entries]


# --- the feeds -------------------------------------------------------------------------------


@dataclass
class FeedPage:
    entries: list[dict[str, Any]]  # {"person": record, "notes": [...]} or {"note": record}
    case_ids: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)

    @property
    def note_count(self) -> int:
        return sum(len(e.get("notes", ())) + ("note" in e) for e in self.entries)


def pfif_person_feed(
    *,
    user: Any,
    min_entry_date: dt.datetime | None,
    skip: int,
    max_results: int,
    omit_notes: bool,
    now: dt.datetime,
) -> FeedPage:
    """Persons the user may see, ascending by entry date (inclusive of min_entry_date)."""
    cases = (
        policy.cases_visible_to(user)
        .select_related("origin", "pfif_record")
        .annotate(
            pfif_entry=Greatest(F("updated_at"), Coalesce("pfif_record__entry_date", "updated_at"))
        )
    )
    if min_entry_date is not None:
        cases = cases.filter(pfif_entry__gte=min_entry_date)
    cases = cases.order_by("pfif_entry", "pk")[skip : skip + max_results]
    with_notes = not omit_notes and policy.allowed(user, "view", "event")
    deaths = policy.death_offices_of(user)
    page = FeedPage(entries=[])
    for case in cases:
        visible = policy.case_fields_for(user, case)
        person = person_as_pfif(case, visible, now=now)
        entry: dict[str, Any] = {"person": person, "notes": []}
        if with_notes and "full_name" in person:  # an expired clone's placeholder has none
            entry["notes"] = _case_notes(case, visible, deaths)
        page.entries.append(entry)
        page.case_ids.append(str(case.pk))
        page.fields |= visible
    return page


def pfif_note_feed(
    *,
    user: Any,
    min_entry_date: dt.datetime | None,
    skip: int,
    max_results: int,
    person_record_id: str = "",
) -> FeedPage:
    """Notes on the cases the user may see, ascending by entry date: our events and the clone
    notes, merged (each source is read up to skip + max_results, then the two are merged)."""
    # Notes of a clone that expired at home go with it.
    visible_cases = (
        policy.cases_visible_to(user)
        .exclude(pfif_record__expiry_date__lte=timezone.now())
        .values("pk")
    )
    deaths = policy.death_offices_of(user)
    events = _events_exported(deaths).filter(case__in=visible_cases)
    notes = _notes_exported(deaths).filter(case__in=visible_cases)
    if min_entry_date is not None:
        events = events.filter(recorded_at__gte=min_entry_date)
        notes = notes.filter(entry_date__gte=min_entry_date)
    if person_record_id:
        events = events.filter(case__in=_cases_with_record_id(person_record_id))
        notes = notes.filter(person_record_id=person_record_id)
    limit = skip + max_results
    merged = [
        (event.recorded_at, 0, str(event.pk), event)
        for event in events.select_related("case__pfif_record").order_by("recorded_at", "pk")[
            :limit
        ]
    ] + [
        (note.entry_date, 1, str(note.pk), note)
        for note in notes.select_related("case").order_by("entry_date", "pk")[:limit]
    ]
    merged.sort(key=lambda item: item[:3])
    page = FeedPage(entries=[])
    seen_cases: dict[Any, frozenset[str]] = {}
    for _date, kind, _pk, record in merged[skip:limit]:
        case = record.case
        if case.pk not in seen_cases:
            seen_cases[case.pk] = policy.case_fields_for(user, case)
        full_read = _full_read(seen_cases[case.pk])
        if kind == 0:
            note = event_as_pfif(record, person_record_id_for(case), full_read)
        else:
            note = note_as_pfif(record, full_read)
        page.entries.append({"note": note})
    page.case_ids = [str(pk) for pk in seen_cases]
    for fields in seen_cases.values():
        page.fields |= fields
    return page


def _cases_with_record_id(person_record_id: str) -> QuerySet[Case]:
    prefix = f"{our_domain()}/person."
    condition = Q(pfif_record__person_record_id=person_record_id)
    if person_record_id.startswith(prefix):
        condition |= Q(pk__in=_valid_uuids([person_record_id[len(prefix) :]]))
    return Case.objects.filter(condition).values("pk")


def _valid_uuids(texts: list[str]) -> list[Any]:
    valid = []
    for text in texts:
        try:
            valid.append(uuid.UUID(text))
        except ValueError:
            continue
    return valid
