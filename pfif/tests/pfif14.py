"""An independent check of a PFIF 1.4 Atom feed against the rules of the 1.4 specification
(../shared/pfif-1.4.md, http://zesty.ca/pfif/1.4/): written from the spec, not from pfif.format,
so that a mistake there is caught here."""

import re

from defusedxml.ElementTree import fromstring

ATOM = "{http://www.w3.org/2005/Atom}"
PFIF = "{http://zesty.ca/pfif/1.4}"

# The xs:sequence of the 1.4 schema.
PERSON = [
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
]
NOTE = [
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
]
PERSON_REQUIRED = {"person_record_id", "source_date", "full_name"}
EXPIRED_ALLOWED = {"person_record_id", "entry_date", "expiry_date", "source_date"}
NOTE_REQUIRED = {"note_record_id", "author_name", "source_date", "text"}
STATUSES = {
    "information_sought",
    "is_note_author",
    "believed_alive",
    "believed_missing",
    "believed_dead",
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
RECORD_ID = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}/\S+$")
AGE = re.compile(r"^\d+(-\d+)?$")
BIRTH = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _fields(element, order, where, problems):
    fields, last = {}, -1
    for child in element:
        if child.tag == f"{PFIF}note":
            continue
        if not child.tag.startswith(PFIF):
            problems.append(f"{where}: element {child.tag} outside the PFIF namespace")
            continue
        name = child.tag[len(PFIF) :]
        if name not in order:
            problems.append(f"{where}: {name} is not a PFIF 1.4 field")
            continue
        if order.index(name) <= last:
            problems.append(f"{where}: {name} out of the schema's order")
        last = order.index(name)
        fields[name] = child.text or ""
    for name in ("entry_date", "expiry_date", "source_date"):
        if name in fields and not DATE.match(fields[name]):
            problems.append(f"{where}: {name} {fields[name]!r} is not YYYY-MM-DDThh:mm:ssZ")
    return fields


def _note(element, where, problems, parent_id=None):
    fields = _fields(element, NOTE, where, problems)
    for name in NOTE_REQUIRED - fields.keys():
        problems.append(f"{where}: note without {name}")
    for name in ("note_record_id", "person_record_id", "linked_person_record_id"):
        if name in fields and not RECORD_ID.match(fields[name]):
            problems.append(f"{where}: {name} {fields[name]!r} is not domain/unique-id")
    if parent_id is None and not fields.get("person_record_id"):
        problems.append(f"{where}: top-level note without person_record_id")
    if parent_id is not None and fields.get("person_record_id", parent_id) != parent_id:
        problems.append(f"{where}: nested note names another person")
    if "status" in fields and fields["status"] not in STATUSES:
        problems.append(f"{where}: status {fields['status']!r}")
    if fields.get("author_made_contact", "true") not in ("true", "false"):
        problems.append(f"{where}: author_made_contact {fields['author_made_contact']!r}")
    return fields


def validate_feed(body: bytes) -> tuple[list[str], list[dict], list[dict]]:
    """(problems, persons, notes) of an Atom feed of PFIF 1.4 records."""
    problems: list[str] = []
    persons, notes = [], []
    feed = fromstring(body, forbid_dtd=True)
    if feed.tag != f"{ATOM}feed":
        return [f"root is {feed.tag}"], [], []
    for tag in ("id", "title", "updated"):
        if feed.find(f"{ATOM}{tag}") is None:
            problems.append(f"feed without {tag}")
    for position, entry in enumerate(feed.findall(f"{ATOM}entry")):
        records = [child for child in entry if child.tag.startswith(PFIF)]
        if len(records) != 1:
            problems.append(f"entry {position}: {len(records)} PFIF records")
            continue
        record = records[0]
        where = f"entry {position}"
        if record.tag == f"{PFIF}person":
            fields = _fields(record, PERSON, where, problems)
            expired = set(fields) <= EXPIRED_ALLOWED and "full_name" not in fields
            required = {"person_record_id", "source_date"} if expired else PERSON_REQUIRED
            for name in required - fields.keys():
                problems.append(f"{where}: person without {name}")
            if "person_record_id" in fields and not RECORD_ID.match(fields["person_record_id"]):
                problems.append(f"{where}: person_record_id {fields['person_record_id']!r}")
            if fields.get("sex", "female") not in ("female", "male", "other"):
                problems.append(f"{where}: sex {fields['sex']!r}")
            if "age" in fields and not AGE.match(fields["age"]):
                problems.append(f"{where}: age {fields['age']!r}")
            if "date_of_birth" in fields and not BIRTH.match(fields["date_of_birth"]):
                problems.append(f"{where}: date_of_birth {fields['date_of_birth']!r}")
            # Notes come after every field of the person.
            children = [child.tag for child in record]
            first_note = next(
                (i for i, tag in enumerate(children) if tag == f"{PFIF}note"), len(children)
            )
            if any(tag != f"{PFIF}note" for tag in children[first_note:]):
                problems.append(f"{where}: a field after the notes")
            fields["notes"] = [
                _note(note, f"{where} note {i}", problems, fields.get("person_record_id"))
                for i, note in enumerate(record.findall(f"{PFIF}note"))
            ]
            persons.append(fields)
            record_id, source_date = fields.get("person_record_id"), fields.get("source_date")
        elif record.tag == f"{PFIF}note":
            fields = _note(record, where, problems)
            notes.append(fields)
            record_id, source_date = fields.get("note_record_id"), fields.get("source_date")
        else:
            problems.append(f"{where}: {record.tag} is not a person or note")
            continue
        atom_id = entry.findtext(f"{ATOM}id")
        if atom_id != f"pfif:{record_id}":
            problems.append(f"{where}: Atom id {atom_id!r} is not pfif:{record_id}")
        if entry.findtext(f"{ATOM}updated") != source_date:
            problems.append(f"{where}: Atom updated is not the source_date")
        if not entry.findtext(f"{ATOM}title"):
            problems.append(f"{where}: Atom entry without a title")
    return problems, persons, notes
