"""Writing PFIF: a partner's document becomes (or updates) cases and notes.

Cases are written only through cases.services: `case_register` for a new person, `case_transition`
for what a note says, `case_update_identity` for a newer version of a person. Those audit their
own writes; this module audits the PFIF records it keeps and, once per document, what was written
and what was skipped with the reasons.

Each record is written in its own transaction: one bad record never takes the others with it,
and the audit chain's lock (held to the end of a transaction) is never held for a whole document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access import policy
from audit.models import AuditEntry
from audit.services import audit_log
from cases.models import Case, Sex
from cases.partial_dates import PartialDate
from cases.services import case_register, case_transition, case_update_identity
from gazetteer.models import Place

from .format import (
    DEFAULT_NOTE_EVENT,
    EVENT_FOR_NOTE_STATUS,
    our_domain,
    own_person_record_id,
    parse_boolean,
    parse_datetime,
    record_domain,
)
from .models import PfifDomain, PfifNote, PfifPersonRecord, PfifPossibleDuplicate
from .parse import ParsedRecord, pfif_document_parse
from .selectors import pfif_domains_writable_by

# Arabic script blocks (Arabic, Supplement, Extended-A, presentation forms A and B).
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_NAME_MAX = Case._meta.get_field("given_name_latn").max_length
_SOURCE_MAX = 300  # CaseEvent.source
# Two documents with the same new record at the same moment: the unique record id lets one win;
# the other is told to send it again (it will then be compared by source_date like any other).
_RACE = "Written by another request at the same moment: send it again."


@dataclass
class WriteReport:
    """The answer to the partner: per kind, the records written and those skipped, with why."""

    persons: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    skipped_persons: list[dict[str, Any]] = field(default_factory=list)
    skipped_notes: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, version: str) -> dict[str, Any]:
        return {
            "pfif_version": version,
            "person": {
                "total": len(self.persons) + len(self.skipped_persons),
                "written": len(self.persons),
                "records": self.persons,
                "skipped": self.skipped_persons,
            },
            "note": {
                "total": len(self.notes) + len(self.skipped_notes),
                "written": len(self.notes),
                "records": self.notes,
                "skipped": self.skipped_notes,
            },
        }


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {message}"
            for name, errors in error.message_dict.items()
            for message in errors
        )
    return "; ".join(error.messages)


def _is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def case_fields_from_pfif(fields: dict[str, str]) -> dict[str, Any]:
    """Our identity fields from a PFIF person. Names go to the Arabic-script or the Latin fields
    by their script (any other script goes to the Latin fields, which are our "other" names).
    PFIF has no father's or grandfather's name: those stay blank, and the full name is kept
    as received in the clone's record."""
    given = fields.get("given_name", "")
    family = fields.get("family_name", "")
    if not given and not family:
        # Only a full name: we cannot tell its parts apart, so it is kept whole as the given name.
        given = _first_line(fields.get("full_name", ""))[:_NAME_MAX]
    names = {
        "given_name_latn": "",
        "family_name_latn": "",
        "given_name_ar": "",
        "family_name_ar": "",
    }
    if given:
        names["given_name_ar" if _is_arabic(given) else "given_name_latn"] = given
    if family:
        names["family_name_ar" if _is_arabic(family) else "family_name_latn"] = family
    sex = fields.get("sex", "")
    born = fields.get("date_of_birth", "")
    return {
        **names,
        # PFIF's "other" is not a sex we record; it is kept in the clone's record.
        "sex": sex if sex in (Sex.FEMALE, Sex.MALE) else Sex.UNKNOWN,
        "birth_date": PartialDate.parse(born) if born else None,
    }


def _origin_for(fields: dict[str, str], domain: PfifDomain) -> Place:
    """The place of our gazetteer the home city names, if exactly one; else the domain's."""
    for name in (fields.get("home_city", ""), fields.get("home_neighborhood", "")):
        if not name:
            continue
        places = list(
            Place.objects.filter(Q(name_latn__iexact=name) | Q(name_ar=name)).values_list(
                "pk", flat=True
            )[:2]
        )
        if len(places) == 1:
            return Place.objects.get(pk=places[0])
    return domain.default_origin


def _case_number_for(record_id: str) -> str:
    # Derived from the record id: the same record always gets the same number, in every
    # installation, and no counter has to be shared.
    return "PFIF-" + hashlib.sha256(record_id.encode()).hexdigest()[:12].upper()


def _person_record_id_of(case: Case) -> str:
    # A case without a clone record raises RelatedObjectDoesNotExist, an AttributeError.
    record = getattr(case, "pfif_record", None)
    return record.person_record_id if record else own_person_record_id(case.pk)


def pfif_document_write(*, user: Any, data: bytes) -> dict[str, Any]:
    """Write a PFIF document for a partner. Raises PfifDocumentError when the document as a whole
    cannot be read; every record that cannot be written is skipped with its reason."""
    document = pfif_document_parse(data)
    domains = pfif_domains_writable_by(user)
    report = WriteReport()
    written_persons: dict[str, PfifPersonRecord] = {}

    for person in document.persons:
        reason = _person_refusal(person, domains)
        if reason is None:
            try:
                with transaction.atomic():
                    record, result = _person_write(
                        user=user, person=person, domain=domains[record_domain(person.record_id)]
                    )
                written_persons[record.person_record_id] = record
                report.persons.append({"person_record_id": person.record_id, "result": result})
                continue
            except _Skip as skip:
                reason = str(skip)
            except ValidationError as error:
                reason = _messages(error)
            except IntegrityError:
                reason = _RACE
        report.skipped_persons.append({"person_record_id": person.record_id, "reason": reason})

    # In the order they were written at home, so a case's timeline is built forwards.
    for note in sorted(document.notes, key=lambda n: n.fields.get("source_date", "")):
        reason = _note_refusal(note, domains)
        if reason is None:
            try:
                with transaction.atomic():
                    report.notes.append(
                        _note_write(
                            user=user, note=note, domain=domains[record_domain(note.record_id)]
                        )
                    )
                continue
            except _Skip as skip:
                reason = str(skip)
            except ValidationError as error:
                reason = _messages(error)
            except IntegrityError:
                reason = _RACE
        report.skipped_notes.append(
            {
                "note_record_id": note.record_id,
                "person_record_id": note.fields.get("person_record_id", ""),
                "reason": reason,
            }
        )

    answer = report.as_json(document.version)
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject_type="pfif.document",
        actor=user,
        changes={
            "pfif_version": document.version,
            "persons_written": [r["person_record_id"] for r in report.persons],
            "notes_written": [r["note_record_id"] for r in report.notes],
            # Record ids and reasons only: the reasons quote ids and field names, never values.
            "skipped": report.skipped_persons + report.skipped_notes,
        },
    )
    return answer


class _Skip(Exception):
    """A record that is well-formed but not written (not newer, no such person...)."""


def _domain_refusal(record_id: str, domains: dict[str, PfifDomain]) -> str | None:
    domain = record_domain(record_id)
    if domain == our_domain().lower():
        return _("Records of %(domain)s are ours: only we write them.") % {"domain": domain}
    if domain not in domains:
        return _("Not in a domain you are authorised to write: %(domain)s.") % {"domain": domain}
    return None


def _person_refusal(person: ParsedRecord, domains: dict[str, PfifDomain]) -> str | None:
    if person.problems:
        return " ".join(person.problems)
    return _domain_refusal(person.record_id, domains)


def _note_refusal(note: ParsedRecord, domains: dict[str, PfifDomain]) -> str | None:
    if note.problems:
        return " ".join(note.problems)
    return _domain_refusal(note.record_id, domains)


def _earliest_report(person: ParsedRecord, domain: PfifDomain) -> dt.datetime:
    """When we first heard of the person: the earliest date of the record and its notes, so that
    the notes of the same document come after the registration on the timeline. A note dated
    before the domain's abduction date does not count: it is refused on its own, and must not
    take the person with it."""
    dates = [parse_datetime(person.fields["source_date"])]
    earliest_possible = PartialDate.parse(domain.abducted_on).lower()
    for note in person.notes:
        try:
            date = parse_datetime(note.fields.get("source_date", ""))
        except ValueError:
            continue
        if date.date() >= earliest_possible:
            dates.append(date)
    return min(dates)


def _person_write(
    *, user: Any, person: ParsedRecord, domain: PfifDomain
) -> tuple[PfifPersonRecord, str]:
    fields = {name: value for name, value in person.fields.items() if name != "entry_date"}
    source_date = parse_datetime(fields["source_date"])
    expiry = parse_datetime(fields["expiry_date"]) if fields.get("expiry_date") else None
    existing = (
        PfifPersonRecord.objects.select_for_update()
        .select_related("case")
        .filter(person_record_id=person.record_id)
        .first()
    )
    if existing is not None:
        if source_date <= existing.source_date:
            raise _Skip(
                _("Not newer than the version we hold (source_date %(date)s).")
                % {"date": existing.fields.get("source_date", "")}
            )
        case = existing.case
        wanted = case_fields_from_pfif(fields)
        changes = {name: value for name, value in wanted.items() if getattr(case, name) != value}
        if changes:
            case_update_identity(
                case=case, changes=changes, actor=user, expected_version=case.version
            )
        changed = sorted(
            name
            for name in existing.fields.keys() | fields.keys()
            if existing.fields.get(name) != fields.get(name)
        )
        existing.fields = fields
        existing.source_date = source_date
        existing.expiry_date = expiry
        existing.entry_date = timezone.now()
        existing.save()
        audit_log(
            action=AuditEntry.Action.UPDATE,
            subject=existing,
            actor=user,
            # Which PFIF fields changed, not their values: the case service audited the case.
            changes={"person_record_id": existing.person_record_id, "fields_changed": changed},
        )
        return existing, "updated"

    case = Case(
        case_number=_case_number_for(person.record_id),
        origin=_origin_for(fields, domain),
        office=domain.office,
        abducted_on=domain.abducted_on,
        **case_fields_from_pfif(fields),
    )
    case_register(
        case=case,
        reported_on=PartialDate.parse(_earliest_report(person, domain).date()),
        actor=user,
        source=f"PFIF {person.record_id}"[:_SOURCE_MAX],
    )
    record = PfifPersonRecord.objects.create(
        person_record_id=person.record_id,
        domain=domain,
        case=case,
        registration_event=case.events.get(sequence=1),
        source_date=source_date,
        expiry_date=expiry,
        fields=fields,
    )
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=record,
        actor=user,
        changes={
            "person_record_id": record.person_record_id,
            "case_id": str(case.pk),
            "domain": domain.domain,
        },
    )
    _link_same_name(record=record, case=case, actor=user)
    return record, "created"


def _link_same_name(*, record: PfifPersonRecord, case: Case, actor: Any) -> None:
    """Cases we already hold with the same given and family name and sex may be the same person:
    link them for a caseworker, never merge. Not reported to the partner (that would tell it
    which people we hold)."""
    for script in ("latn", "ar"):
        given = getattr(case, f"given_name_{script}")
        family = getattr(case, f"family_name_{script}")
        if not (given and family):
            continue
        matches = (
            Case.objects.exclude(pk=case.pk)
            .filter(
                **{f"given_name_{script}__iexact": given, f"family_name_{script}__iexact": family}
            )
            .select_related("pfif_record")
        )
        if case.sex != Sex.UNKNOWN:
            matches = matches.filter(sex__in=[case.sex, Sex.UNKNOWN])
        for other in matches[:20]:
            _possible_duplicate(
                person_record_id=record.person_record_id,
                linked=_person_record_id_of(other),
                reason=PfifPossibleDuplicate.Reason.SAME_NAME,
                note=None,
                actor=actor,
            )


def _possible_duplicate(
    *, person_record_id: str, linked: str, reason: str, note: PfifNote | None, actor: Any
) -> None:
    if person_record_id == linked:
        return
    link, created = PfifPossibleDuplicate.objects.get_or_create(
        person_record_id=person_record_id,
        linked_person_record_id=linked,
        defaults={"reason": reason, "note": note},
    )
    if created:
        audit_log(
            action=AuditEntry.Action.CREATE,
            subject=link,
            actor=actor,
            changes={
                "person_record_id": person_record_id,
                "linked_person_record_id": linked,
                "reason": reason,
            },
        )


def _case_for_note(*, user: Any, person_record_id: str) -> Case:
    """The case a note is about: a clone from a domain the partner may write, or one of our own
    cases the partner may see. Anything else is "not found", whether it exists or not."""
    domains = pfif_domains_writable_by(user)
    record = (
        PfifPersonRecord.objects.select_related("case")
        .filter(person_record_id=person_record_id, domain__in=domains.values())
        .first()
    )
    if record is not None:
        return record.case
    prefix = f"{our_domain()}/person."
    if person_record_id.startswith(prefix):
        case = policy.cases_visible_to(user).filter(
            pk=_uuid_or_none(person_record_id[len(prefix) :])
        )
        found = case.first()
        if found is not None:
            return found
    raise _Skip(
        _("No person %(id)s here: send the person record first (or with the note).")
        % {"id": person_record_id}
    )


def _uuid_or_none(text: str) -> Any:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _note_values(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "person_record_id": fields["person_record_id"],
        "linked_person_record_id": fields.get("linked_person_record_id", ""),
        "source_date": parse_datetime(fields["source_date"]),
        "author_name": fields["author_name"],
        "author_email": fields.get("author_email", ""),
        "author_phone": fields.get("author_phone", ""),
        "author_made_contact": parse_boolean(fields.get("author_made_contact", "")),
        "status": fields.get("status", ""),
        "email_of_found_person": fields.get("email_of_found_person", ""),
        "phone_of_found_person": fields.get("phone_of_found_person", ""),
        "last_known_location": fields.get("last_known_location", ""),
        "text": fields["text"],
        "photo_url": fields.get("photo_url", ""),
    }


def _note_write(*, user: Any, note: ParsedRecord, domain: PfifDomain) -> dict[str, Any]:
    values = _note_values(note.fields)
    existing = PfifNote.objects.select_for_update().filter(note_record_id=note.record_id).first()
    if existing is not None:
        if existing.person_record_id != values["person_record_id"]:
            raise _Skip(_("A note cannot move to another person."))
        if values["source_date"] <= existing.source_date:
            raise _Skip(_("Not newer than the version we hold."))
        for name, value in values.items():
            setattr(existing, name, value)
        existing.entry_date = timezone.now()
        existing.save()
        audit_log(
            action=AuditEntry.Action.UPDATE,
            subject=existing,
            actor=user,
            changes={"note_record_id": existing.note_record_id, "status": existing.status},
        )
        # The timeline event it became is evidence and stays as it was; a correction that
        # matters to the lifecycle comes as a new note.
        return {
            "note_record_id": existing.note_record_id,
            "person_record_id": existing.person_record_id,
            "result": "updated",
            "lifecycle_event": None,
            "not_applied": _("A newer version of a note does not change the case's timeline."),
        }

    case = _case_for_note(user=user, person_record_id=values["person_record_id"])
    stored = PfifNote.objects.create(
        note_record_id=note.record_id, domain=domain, case=case, **values
    )
    event_type = EVENT_FOR_NOTE_STATUS.get(values["status"], DEFAULT_NOTE_EVENT)
    try:
        # A savepoint of its own: a refused transition must not undo the note we keep.
        with transaction.atomic():
            event = case_transition(
                case=case,
                event_type=event_type,
                on=PartialDate.parse(values["source_date"].date()),
                actor=user,
                source=f"PFIF {note.record_id}"[:_SOURCE_MAX],
                note=values["text"],
            )
        stored.event = event
    except ValidationError as error:
        stored.not_applied_reason = _messages(error)
    stored.save(update_fields=["event", "not_applied_reason"])
    audit_log(
        action=AuditEntry.Action.CREATE,
        subject=stored,
        actor=user,
        changes={
            "note_record_id": stored.note_record_id,
            "case_id": str(case.pk),
            "status": stored.status,
            "event_id": str(stored.event_id) if stored.event_id else None,
            "not_applied": stored.not_applied_reason,
        },
    )
    if values["linked_person_record_id"]:
        _possible_duplicate(
            person_record_id=values["person_record_id"],
            linked=values["linked_person_record_id"],
            reason=PfifPossibleDuplicate.Reason.LINKED_BY_NOTE,
            note=stored,
            actor=user,
        )
    return {
        "note_record_id": stored.note_record_id,
        "person_record_id": stored.person_record_id,
        "result": "created",
        "lifecycle_event": event_type if stored.event_id else None,
        "not_applied": stored.not_applied_reason or None,
    }
