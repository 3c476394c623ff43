"""Reading PFIF 1.1-1.4 documents (a bare `pfif:pfif` document or an Atom feed of PFIF entries,
so that our own feeds can be read back) into plain records, each with the problems that make it
unusable. Only the document as a whole can fail (not XML, not PFIF, too big); a bad record is
reported and skipped by the caller, and the others are still written.

defusedxml refuses DTDs, entities and external references: a partner's document can neither
expand into gigabytes ("billion laughs") nor make us read files or URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from cases.partial_dates import PartialDate

from .format import (
    AGE,
    ATOM_NS,
    DATE_FIELDS,
    DATE_OF_BIRTH,
    LEGACY_NAMES,
    NOTE_FIELDS,
    PERSON_FIELDS,
    RECORD_ID,
    SEXES,
    VERSION_BY_NS,
    NoteStatus,
    parse_boolean,
    parse_datetime,
)

MAX_RECORDS = 1000  # persons and notes in one document; larger exchanges are paged
# Longest accepted value of each field (the columns that keep them are sized to match).
MAX_LENGTH = {
    "text": 20_000,
    "description": 20_000,
    "last_known_location": 2_000,
    "photo_url": 2_000,
    "profile_urls": 4_000,
    "alternate_names": 2_000,
    "author_phone": 100,
    "phone_of_found_person": 100,
}
DEFAULT_MAX_LENGTH = 500


class PfifDocumentError(ValueError):
    """The document as a whole cannot be read: nothing in it is written."""


@dataclass
class ParsedRecord:
    kind: str  # "person" or "note"
    fields: dict[str, str]
    problems: list[str] = field(default_factory=list)
    notes: list[ParsedRecord] = field(default_factory=list)  # a person's nested notes

    @property
    def record_id(self) -> str:
        return self.fields.get(f"{self.kind}_record_id", "")


@dataclass
class ParsedDocument:
    version: str
    persons: list[ParsedRecord]
    notes: list[ParsedRecord]  # every note, nested ones included, in document order


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def pfif_document_parse(data: bytes) -> ParsedDocument:
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise PfifDocumentError(
            _("DTDs, entities and external references are not accepted.")
        ) from error
    except ParseError as error:
        raise PfifDocumentError(_("Not well-formed XML: %(error)s") % {"error": error}) from error

    namespace, name = _local(root.tag)
    if namespace in VERSION_BY_NS and name == "pfif":
        containers = [root]
    elif namespace == ATOM_NS and name == "feed":
        containers = root.findall(f"{{{ATOM_NS}}}entry")
    else:
        raise PfifDocumentError(
            _("Not a PFIF document: the root must be pfif:pfif (PFIF 1.1 to 1.4) or an Atom feed.")
        )

    elements = [child for container in containers for child in container]
    namespaces = {_local(child.tag)[0] for child in elements} & set(VERSION_BY_NS)
    if namespace in VERSION_BY_NS:
        namespaces.add(namespace)
    if len(namespaces) > 1:
        raise PfifDocumentError(_("The document mixes PFIF versions."))
    if not namespaces:
        return ParsedDocument(version="", persons=[], notes=[])
    pfif_ns = namespaces.pop()

    persons: list[ParsedRecord] = []
    notes: list[ParsedRecord] = []
    for child in elements:
        child_ns, child_name = _local(child.tag)
        if child_ns != pfif_ns:
            continue  # Atom's own id, title, updated... of an entry
        if child_name == "person":
            person = _record(child, "person", pfif_ns)
            persons.append(person)
            for note_element in child.findall(f"{{{pfif_ns}}}note"):
                note = _record(note_element, "note", pfif_ns)
                _adopt(note, person)
                person.notes.append(note)
                notes.append(note)
        elif child_name == "note":
            note = _record(child, "note", pfif_ns)
            if not note.fields.get("person_record_id"):
                note.problems.append(_("A note outside a person needs a person_record_id."))
            notes.append(note)
        if len(persons) + len(notes) > MAX_RECORDS:
            raise PfifDocumentError(
                _("More than %(max)d records in one document: send them in smaller documents.")
                % {"max": MAX_RECORDS}
            )
    return ParsedDocument(version=VERSION_BY_NS[pfif_ns], persons=persons, notes=notes)


def _adopt(note: ParsedRecord, person: ParsedRecord) -> None:
    """A nested note belongs to its person: it may repeat the person's id, never name another."""
    own = note.fields.get("person_record_id")
    if own and own != person.record_id:
        note.problems.append(
            _("Its person_record_id %(id)s differs from the person it is nested in.") % {"id": own}
        )
    elif person.record_id:
        note.fields["person_record_id"] = person.record_id


def _record(element: Element, kind: str, pfif_ns: str) -> ParsedRecord:
    known = PERSON_FIELDS if kind == "person" else NOTE_FIELDS
    record = ParsedRecord(kind=kind, fields={})
    for child in element:
        child_ns, name = _local(child.tag)
        if child_ns != pfif_ns or name == "note":
            continue  # extension elements of other namespaces; nested notes are read apart
        name = LEGACY_NAMES.get(name, name)
        if name not in known:
            continue  # a field of another version that we do not keep
        if name in record.fields:
            record.problems.append(_("%(field)s is given twice.") % {"field": name})
            continue
        # PFIF strips surrounding whitespace; the text of a field is all of its text.
        record.fields[name] = "".join(child.itertext()).strip()
    record.problems += _problems(kind, record.fields)
    return record


def _problems(kind: str, fields: dict[str, str]) -> list[str]:
    problems: list[str] = []
    id_field = f"{kind}_record_id"
    required = ["source_date", id_field]
    if kind == "note":
        # Notes are evidence on a case's timeline: unattributed ones are not kept.
        required += ["author_name", "text"]
    for name in required:
        if not fields.get(name):
            problems.append(_("%(field)s is required.") % {"field": name})
    if kind == "person" and not (
        fields.get("full_name") or fields.get("given_name") or fields.get("family_name")
    ):
        problems.append(_("A person needs a full_name (or given_name and family_name)."))

    for name in (id_field, "person_record_id", "linked_person_record_id"):
        value = fields.get(name)
        if value and not RECORD_ID.match(value):
            problems.append(
                _("%(field)s %(value)r is not of the form domain/unique-id.")
                % {"field": name, "value": value[:100]}
            )
    for name in DATE_FIELDS & fields.keys():
        if fields[name]:
            try:
                parse_datetime(fields[name])
            except ValueError:
                problems.append(
                    _("%(field)s must be a UTC date and time, YYYY-MM-DDThh:mm:ssZ.")
                    % {"field": name}
                )
    for name, value in fields.items():
        limit = MAX_LENGTH.get(name, DEFAULT_MAX_LENGTH)
        if len(value) > limit:
            problems.append(
                _("%(field)s is longer than %(max)d characters.") % {"field": name, "max": limit}
            )

    if kind == "person":
        problems += _person_value_problems(fields)
    else:
        problems += _note_value_problems(fields)
    return problems


def _person_value_problems(fields: dict[str, str]) -> list[str]:
    problems: list[str] = []
    sex = fields.get("sex")
    if sex and sex not in SEXES:
        problems.append(_("sex must be female, male or other."))
    born = fields.get("date_of_birth")
    if born:
        try:
            if not DATE_OF_BIRTH.match(born):
                raise ValueError(born)
            PartialDate.parse(born)
        except ValueError:
            problems.append(_("date_of_birth must be YYYY, YYYY-MM or YYYY-MM-DD."))
    age = fields.get("age")
    if age:
        match = AGE.match(age)
        if not match or (match[2] and int(match[2]) < int(match[1])) or int(match[1]) > 130:
            problems.append(_("age must be a number or a range such as 35-45."))
    return problems


def _note_value_problems(fields: dict[str, str]) -> list[str]:
    problems: list[str] = []
    status = fields.get("status")
    if status and status not in NoteStatus.values:
        problems.append(_("status %(status)r is not a PFIF note status.") % {"status": status[:50]})
    try:
        parse_boolean(fields.get("author_made_contact", ""))
    except ValueError:
        problems.append(_("author_made_contact must be true or false."))
    if fields.get("linked_person_record_id") == fields.get("person_record_id") and fields.get(
        "person_record_id"
    ):
        problems.append(_("A note cannot link a person to itself."))
    return problems
