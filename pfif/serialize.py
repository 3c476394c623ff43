"""Writing PFIF 1.4 as an Atom feed, the way Person Finder's feeds do: one `pfif:person` (with its
notes) or one `pfif:note` per entry, `<id>pfif:{record id}</id>`, `<updated>` = source_date.

The records come from pfif.selectors already filtered by the access policy and in the schema's
field order; this module only writes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from .format import ATOM_NS, PFIF_NS, format_datetime, our_domain

register_namespace("", ATOM_NS)
register_namespace("pfif", PFIF_NS)


def _pfif_element(parent: Element, kind: str, record: dict[str, str]) -> Element:
    element = SubElement(parent, f"{{{PFIF_NS}}}{kind}")
    for name, value in record.items():
        SubElement(element, f"{{{PFIF_NS}}}{name}").text = value
    return element


def _atom(parent: Element, name: str, text: str = "") -> Element:
    element = SubElement(parent, f"{{{ATOM_NS}}}{name}")
    if text:
        element.text = text
    return element


def pfif_feed_xml(
    *, entries: list[dict[str, Any]], title: str, self_url: str, now: dt.datetime
) -> bytes:
    feed = Element(f"{{{ATOM_NS}}}feed")
    _atom(feed, "id", self_url)
    _atom(feed, "title", title)
    updated = [
        (entry.get("person") or entry.get("note") or {}).get("source_date", "") for entry in entries
    ]
    _atom(feed, "updated", max((u for u in updated if u), default=format_datetime(now)))
    link = _atom(feed, "link")
    link.set("rel", "self")
    link.set("href", self_url)
    # The feed's author stands for every entry (Atom requires one or the other): no entry
    # names a person as its author.
    _atom(_atom(feed, "author"), "name", our_domain())
    for entry in entries:
        atom_entry = _atom(feed, "entry")
        if "person" in entry:
            record = entry["person"]
            person = _pfif_element(atom_entry, "person", record)
            for note in entry.get("notes", ()):
                _pfif_element(person, "note", note)
            record_id = record["person_record_id"]
            # Only what the reader may see anyway: the record's (already redacted) full name.
            title_text = record.get("full_name", record_id).splitlines()[0]
        else:
            record = entry["note"]
            _pfif_element(atom_entry, "note", record)
            record_id = record["note_record_id"]
            title_text = record_id
        _atom(atom_entry, "id", f"pfif:{record_id}")
        _atom(atom_entry, "title", title_text)
        _atom(atom_entry, "updated", record.get("source_date") or format_datetime(now))
    return tostring(feed, encoding="utf-8", xml_declaration=True)
