"""Reading PFIF 1.1-1.4 documents: Person Finder's own test documents, older field names, bad
records beside good ones, and documents that must be refused as a whole."""

import pytest

from pfif.parse import MAX_RECORDS, PfifDocumentError, pfif_document_parse

from .conftest import document


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("test.pfif-1.1.xml", "1.1"),
        ("test.pfif-1.2.xml", "1.2"),
        ("test.pfif-1.4.xml", "1.4"),
    ],
)
def test_each_version_reads_the_same_person(name, version):
    parsed = pfif_document_parse(document(name))
    assert parsed.version == version
    [person] = parsed.persons
    assert person.record_id == "test.google.com/person.21009"
    # Whitespace around values is stripped.
    assert person.fields["home_city"] == "_test_home_city"
    # Older names are read as their 1.4 equivalents.
    assert person.fields["given_name"] in ("_test_first_name", "_test_given_name")
    assert "first_name" not in person.fields
    # Nested notes inherit their person's id.
    assert {note.fields["person_record_id"] for note in parsed.notes} == {person.record_id}


def test_pfif_1_1_legacy_fields():
    parsed = pfif_document_parse(document("test.pfif-1.1.xml"))
    person = parsed.persons[0]
    assert person.fields["home_postal_code"] == "_test_home_zip"
    assert person.fields["description"].startswith("description:")
    found = parsed.notes[0]
    assert found.fields["author_made_contact"] == "true"
    assert not found.problems


def test_notes_without_author_are_flagged_not_the_document():
    parsed = pfif_document_parse(document("test.pfif-1.4.xml"))
    problems = {note.record_id: note.problems for note in parsed.notes}
    assert problems["test.google.com/note.27009"] == []
    assert problems["test.google.com/note.40121"] == ["author_name is required."]


def test_top_level_notes():
    parsed = pfif_document_parse(document("test.pfif-1.2-note.xml"))
    assert parsed.persons == []
    assert [n.fields["person_record_id"] for n in parsed.notes] == [
        "test.google.com/person.21009",
        "test.google.com/person.21010",
    ]


def _pfif(body: str, version="1.4") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/{version}">{body}</pfif:pfif>'
    ).encode()


def test_bad_values_are_each_named():
    parsed = pfif_document_parse(
        _pfif(
            "<pfif:person><pfif:person_record_id>no-slash</pfif:person_record_id>"
            "<pfif:source_date>2000-01-01 00:00</pfif:source_date>"
            "<pfif:full_name>A</pfif:full_name><pfif:sex>f</pfif:sex>"
            "<pfif:date_of_birth>1970-13</pfif:date_of_birth><pfif:age>45-35</pfif:age>"
            "</pfif:person>"
        )
    )
    text = " ".join(parsed.persons[0].problems)
    for expected in ("domain/unique-id", "source_date", "sex", "date_of_birth", "age"):
        assert expected in text


def test_a_nested_note_may_not_name_another_person():
    parsed = pfif_document_parse(
        _pfif(
            "<pfif:person><pfif:person_record_id>a.org/p1</pfif:person_record_id>"
            "<pfif:source_date>2000-01-01T00:00:00Z</pfif:source_date>"
            "<pfif:full_name>A</pfif:full_name>"
            "<pfif:note><pfif:note_record_id>a.org/n1</pfif:note_record_id>"
            "<pfif:person_record_id>a.org/p2</pfif:person_record_id>"
            "<pfif:author_name>B</pfif:author_name><pfif:text>t</pfif:text>"
            "<pfif:source_date>2000-01-01T00:00:00Z</pfif:source_date></pfif:note>"
            "</pfif:person>"
        )
    )
    assert "differs from the person" in parsed.notes[0].problems[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not xml at all", "Not well-formed XML"),
        (b"<html><body/></html>", "Not a PFIF document"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;">]><pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">'
            b"<pfif:person><pfif:full_name>&lol2;</pfif:full_name></pfif:person></pfif:pfif>",
            "DTDs, entities and external references are not accepted",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">&x;</pfif:pfif>',
            "DTDs, entities and external references are not accepted",
        ),
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
            b'<person xmlns="http://zesty.ca/pfif/1.2"/></entry><entry>'
            b'<person xmlns="http://zesty.ca/pfif/1.4"/></entry></feed>',
            "mixes PFIF versions",
        ),
    ],
)
def test_documents_refused_as_a_whole(body, message):
    with pytest.raises(PfifDocumentError, match=message):
        pfif_document_parse(body)


def test_too_many_records():
    person = "<pfif:person><pfif:person_record_id>a.org/p</pfif:person_record_id></pfif:person>"
    with pytest.raises(PfifDocumentError, match="smaller documents"):
        pfif_document_parse(_pfif(person * (MAX_RECORDS + 1)))
