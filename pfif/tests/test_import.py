"""POST /api/v1/pfif/write: a partner's PFIF documents become cases and notes through the case
services; what cannot be written is listed with its reason, and the rest is written."""

import pytest

from access.models import Role
from access.services import user_create
from audit.models import AuditEntry
from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from pfif.models import PfifNote, PfifPersonRecord, PfifPossibleDuplicate

from .conftest import document

PERSON = "test.google.com/person.21009"


def _doc(body: str, version="1.4") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/{version}">{body}</pfif:pfif>'
    ).encode()


def _note(record_id, status="", date="2000-02-01T00:00:00Z", person=PERSON, text="seen", **extra):
    fields = {
        "note_record_id": record_id,
        "person_record_id": person,
        "author_name": "A. Author",
        "source_date": date,
        "status": status,
        "text": text,
        **extra,
    }
    body = "".join(f"<pfif:{k}>{v}</pfif:{k}>" for k, v in fields.items() if v)
    return f"<pfif:note>{body}</pfif:note>"


def _skipped(answer, kind):
    return {s[f"{kind}_record_id"]: s["reason"] for s in answer[kind]["skipped"]}


@pytest.mark.django_db
def test_person_finder_1_4_document(post_pfif, partner_pf):
    response = post_pfif(partner_pf, document("test.pfif-1.4.xml"))
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["pfif_version"] == "1.4"
    assert answer["person"]["written"] == 1
    assert answer["person"]["records"] == [{"person_record_id": PERSON, "result": "created"}]
    # Unattributed notes are not kept; the others are written and applied to the timeline.
    assert answer["note"]["total"] == 4 and answer["note"]["written"] == 2
    assert set(_skipped(answer, "note").values()) == {"author_name is required."}

    record = PfifPersonRecord.objects.get(person_record_id=PERSON)
    case = record.case
    assert case.given_name_latn == "_test_given_name"
    assert case.family_name_latn == "_test_family_name"
    assert case.sex == "female" and str(case.birth_date) == "1970-01"
    assert case.office.code == "DHK" and case.origin.code == "sinjar"
    assert case.status == Status.MISSING
    # The clone keeps the record as its home wrote it.
    assert record.fields["full_name"] == "_test_full_name1\n_test_full_name2"
    assert record.fields["home_city"] == "_test_home_city"
    events = list(case.events.order_by("sequence").values_list("type", "recorded_by"))
    assert events == [
        (EventType.REPORTED_MISSING, partner_pf.pk),
        (EventType.INFORMATION_RECEIVED, partner_pf.pk),
        (EventType.INFORMATION_RECEIVED, partner_pf.pk),
    ]
    note = PfifNote.objects.get(note_record_id="test.google.com/note.27009")
    assert note.event is not None and note.author_made_contact is False
    assert note.last_known_location == "_test_last_known_location"
    # The note's possible duplicate is linked, not merged.
    link = PfifPossibleDuplicate.objects.get()
    assert (link.person_record_id, link.linked_person_record_id) == (
        PERSON,
        "test.google.com/person.999",
    )
    assert Case.objects.filter(status=Status.CLOSED_DUPLICATE).count() == 0
    # The document is audited, with what was skipped and why.
    entry = AuditEntry.objects.filter(subject_type="pfif.document").get()
    assert entry.actor_id == partner_pf.pk
    assert entry.changes["persons_written"] == [PERSON]
    assert len(entry.changes["skipped"]) == 2
    assert "_test_author_email" not in str(
        list(AuditEntry.objects.values_list("changes", flat=True))
    )


@pytest.mark.django_db
def test_bad_record_document_skips_the_bad_and_writes_the_rest(post_pfif, partner_pf):
    answer = post_pfif(partner_pf, document("test.pfif-1.2-badrecord.xml")).json()
    assert answer["person"]["written"] == 1
    assert _skipped(answer, "person") == {
        "foo.google.com/person.666": "Not in a domain you are authorised to write: foo.google.com."
    }
    assert answer["note"]["written"] == 2
    assert set(_skipped(answer, "note")) == {
        "test.google.com/note.40121",
        "test.google.com/note.50121",
    }
    assert not PfifPersonRecord.objects.filter(person_record_id__startswith="foo.").exists()


@pytest.mark.django_db
def test_pfif_1_1_document(post_pfif, partner_pf):
    answer = post_pfif(partner_pf, document("test.pfif-1.1.xml")).json()
    assert answer["pfif_version"] == "1.1"
    assert answer["person"]["written"] == 1 and answer["note"]["written"] == 2
    case = PfifPersonRecord.objects.get().case
    assert (case.given_name_latn, case.family_name_latn) == ("_test_first_name", "_test_last_name")
    assert case.sex == "unknown"
    found = PfifNote.objects.get(note_record_id="test.google.com/note.27009")
    assert found.author_made_contact is True


@pytest.mark.django_db
def test_newer_source_date_wins_and_clones_keep_their_ids(post_pfif, partner_pf):
    post_pfif(partner_pf, document("test.pfif-1.2.xml"))
    case = PfifPersonRecord.objects.get().case
    version = case.version

    again = post_pfif(partner_pf, document("test.pfif-1.2.xml")).json()
    assert again["person"]["written"] == 0 and again["note"]["written"] == 0
    assert "Not newer" in _skipped(again, "person")[PERSON]

    newer = (
        document("test.pfif-1.2.xml")
        .replace(
            b"<pfif:source_date>2000-01-01T00:00:00Z</pfif:source_date>",
            b"<pfif:source_date>2000-03-01T00:00:00Z</pfif:source_date>",
        )
        .replace(b"_test_first_name", b"Layla")
    )
    answer = post_pfif(partner_pf, newer).json()
    assert answer["person"]["records"] == [{"person_record_id": PERSON, "result": "updated"}]
    case.refresh_from_db()
    assert case.given_name_latn == "Layla" and case.version == version + 1
    assert PfifPersonRecord.objects.get().person_record_id == PERSON  # never rewritten

    # A newer version of a note is kept; a note never moves to another person.
    notes = post_pfif(partner_pf, document("test.pfif-1.2-note.xml")).json()
    assert notes["note"]["records"][0]["result"] == "updated"
    assert "another person" in _skipped(notes, "note")["test.google.com/note.31095"]


@pytest.mark.django_db
def test_a_top_level_note_for_an_unknown_person_is_skipped(post_pfif, partner_pf):
    answer = post_pfif(partner_pf, document("test.pfif-1.2-note.xml")).json()
    assert answer["note"]["written"] == 0
    assert all("No person" in r for r in _skipped(answer, "note").values())


@pytest.mark.django_db
def test_note_statuses_move_the_lifecycle_only_where_allowed(post_pfif, partner_pf):
    post_pfif(partner_pf, document("test.pfif-1.4.xml"))
    case = PfifPersonRecord.objects.get().case
    answer = post_pfif(
        partner_pf,
        _doc(
            _note("test.google.com/note.dead1", "believed_dead", "2000-03-01T00:00:00Z")
            + _note("test.google.com/note.dead2", "believed_dead", "2000-03-02T00:00:00Z")
            + _note("test.google.com/note.alive", "believed_alive", "2000-03-03T00:00:00Z")
        ),
    ).json()
    results = {r["note_record_id"]: r for r in answer["note"]["records"]}
    assert answer["note"]["written"] == 3
    assert results["test.google.com/note.dead1"]["lifecycle_event"] == EventType.DEATH_REPORTED
    # Already reported dead: a second death report is an impossible transition, kept as a note.
    second = results["test.google.com/note.dead2"]
    assert second["lifecycle_event"] is None and "not possible" in second["not_applied"]
    assert PfifNote.objects.get(note_record_id="test.google.com/note.dead2").event is None
    # "Believed alive" is information, not a rescue: a caseworker confirms rescues.
    assert results["test.google.com/note.alive"]["lifecycle_event"] == (
        EventType.INFORMATION_RECEIVED
    )
    case.refresh_from_db()
    assert case.status == Status.REPORTED_DEAD
    assert str(case.reported_dead_on) == "2000-03-01"


@pytest.mark.django_db
def test_a_note_dated_before_the_timeline_is_kept_but_not_applied(post_pfif, partner_pf):
    post_pfif(partner_pf, document("test.pfif-1.4.xml"))
    answer = post_pfif(
        partner_pf, _doc(_note("test.google.com/note.old", "", "1999-01-01T00:00:00Z"))
    ).json()
    [result] = answer["note"]["records"]
    assert result["lifecycle_event"] is None and "before" in result["not_applied"]


@pytest.mark.django_db
def test_same_name_is_linked_as_a_possible_duplicate(post_pfif, partner_pf, make_case):
    ours = make_case(given_name_latn="_test_given_name", family_name_latn="_test_family_name")
    post_pfif(partner_pf, document("test.pfif-1.4.xml"))
    links = set(
        PfifPossibleDuplicate.objects.filter(reason="same_name").values_list(
            "person_record_id", "linked_person_record_id"
        )
    )
    assert links == {(PERSON, f"tracker.example.org/person.{ours.pk}")}
    assert Case.objects.get(pk=ours.pk).status == Status.MISSING  # never merged


@pytest.mark.django_db
def test_arabic_names_go_to_the_arabic_fields(post_pfif, partner_pf):
    post_pfif(
        partner_pf,
        _doc(
            "<pfif:person><pfif:person_record_id>test.google.com/p.ar</pfif:person_record_id>"
            "<pfif:source_date>2000-01-01T00:00:00Z</pfif:source_date>"
            "<pfif:full_name>ليلى خلف</pfif:full_name><pfif:given_name>ليلى</pfif:given_name>"
            "<pfif:family_name>Khalaf</pfif:family_name></pfif:person>"
        ),
    )
    case = PfifPersonRecord.objects.get().case
    assert (case.given_name_ar, case.given_name_latn) == ("ليلى", "")
    assert (case.family_name_latn, case.family_name_ar) == ("Khalaf", "")


@pytest.mark.django_db
def test_records_of_our_own_domain_are_never_written_by_a_partner(post_pfif, partner_pf):
    answer = post_pfif(
        partner_pf,
        _doc(
            "<pfif:person><pfif:person_record_id>tracker.example.org/person.x"
            "</pfif:person_record_id><pfif:source_date>2000-01-01T00:00:00Z</pfif:source_date>"
            "<pfif:full_name>X</pfif:full_name></pfif:person>"
        ),
    ).json()
    assert "ours" in _skipped(answer, "person")["tracker.example.org/person.x"]


@pytest.mark.django_db
def test_a_person_dated_before_the_domains_abduction_is_skipped(post_pfif, partner_pf):
    answer = post_pfif(
        partner_pf,
        _doc(
            "<pfif:person><pfif:person_record_id>test.google.com/p.old</pfif:person_record_id>"
            "<pfif:source_date>1999-01-01T00:00:00Z</pfif:source_date>"
            "<pfif:full_name>Old</pfif:full_name></pfif:person>"
        ),
    ).json()
    assert "before the abduction" in _skipped(answer, "person")["test.google.com/p.old"]
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_bad_documents_are_400_and_write_nothing(post_pfif, partner_pf):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>'
        b"<pfif:full_name>&b;</pfif:full_name></pfif:person></pfif:pfif>"
    )
    for body in (bomb, b"<oops", b"<pfif/>"):
        response = post_pfif(partner_pf, body)
        assert response.status_code == 400
        assert response.json()["detail"]
    assert post_pfif(partner_pf, b"").status_code == 400
    assert post_pfif(partner_pf, b"{}", content_type="application/json").status_code == 415
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


@pytest.mark.django_db
def test_only_partners_with_a_domain_may_write(post_pfif, partner_pf, caseworker_duhok, offices):
    other_partner = user_create(username="partner-without-domain", role=Role.PARTNER)
    for user in (caseworker_duhok, other_partner):
        response = post_pfif(user, document("test.pfif-1.4.xml"))
        assert response.status_code == 403
        assert AuditEntry.objects.filter(
            actor_id=user.pk, action="denied", subject_type="pfif.document"
        ).exists()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_an_expired_agreement_ends_the_right_to_write(post_pfif, partner_pf):
    partner_pf.partner_agreements.update(valid_until="2021-01-01")
    partner_pf = type(partner_pf).objects.get(pk=partner_pf.pk)  # no cached agreements
    assert post_pfif(partner_pf, document("test.pfif-1.4.xml")).status_code == 403


@pytest.mark.django_db
def test_a_note_dated_before_the_abduction_does_not_block_its_person(post_pfif, partner_pf):
    body = document("test.pfif-1.4.xml").replace(
        b"<pfif:source_date>2000-01-16T04:05:06Z</pfif:source_date>",
        b"<pfif:source_date>1999-06-01T00:00:00Z</pfif:source_date>",
    )
    answer = post_pfif(partner_pf, body).json()
    assert answer["person"]["written"] == 1
    refused = next(
        r for r in answer["note"]["records"] if r["note_record_id"].endswith("note.27009")
    )
    assert refused["lifecycle_event"] is None and "before" in refused["not_applied"]
