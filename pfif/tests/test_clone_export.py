"""Clones of other repositories are passed on as their home wrote them, field by field only
where the policy allows, and reduced to the spec's placeholder once expired at home."""

import pytest
from django.contrib.auth import get_user_model

from access.models import PartnerAgreement, Role
from access.services import user_create
from families.models import Relative
from families.services import relative_add
from pfif.models import PfifPersonRecord

from .conftest import document
from .pfif14 import validate_feed

PERSON = "test.google.com/person.21009"


@pytest.fixture
def clone(post_pfif, partner_pf):
    assert post_pfif(partner_pf, document("test.pfif-1.4.xml")).status_code == 200
    record = PfifPersonRecord.objects.get(person_record_id=PERSON)
    relative_add(
        case=record.case,
        relationship="mother",
        relative=Relative(
            full_name_latn="S",
            sex="female",
            consent="given",
            consent_recorded_on="2016-01-01",
            consent_share_with_partners=True,
        ),
    )
    return record


def _persons(response):
    assert response.status_code == 200
    problems, persons, _notes = validate_feed(response.content)
    assert problems == []
    return persons


@pytest.mark.django_db
def test_casework_gets_the_clone_as_its_home_wrote_it(get_feed, caseworker_duhok, clone):
    [person] = _persons(get_feed(caseworker_duhok))
    assert person["person_record_id"] == PERSON
    assert person["full_name"] == "_test_full_name1\n_test_full_name2"
    assert person["author_email"] == "_test_author_email"
    assert person["home_street"] == "_test_home_street" and person["age"] == "35-45"
    assert person["source_date"] == "2000-01-01T00:00:00Z"
    assert person["entry_date"] != "2000-01-16T02:07:57Z"  # overwritten on import
    # Its notes keep their ids; our own bookkeeping (the registration) is not a note.
    notes = {note["note_record_id"]: note for note in person["notes"]}
    assert set(notes) == {"test.google.com/note.27009", "test.google.com/note.31095"}
    first = notes["test.google.com/note.27009"]
    assert first["linked_person_record_id"] == "test.google.com/person.999"
    assert first["email_of_found_person"] == "_test_email_of_found_person"
    assert first["text"] == "_test_text" and first["author_made_contact"] == "false"


@pytest.mark.django_db
def test_a_partner_gets_no_sensitive_field_text_or_author_of_a_clone(get_feed, offices, clone):
    reader = user_create(username="other-partner", role=Role.PARTNER)
    agreement = PartnerAgreement.objects.create(
        name="other", partner=reader, valid_from="2020-01-01", fields=["given_name_latn"]
    )
    agreement.offices.add(offices["duhok"])
    reader = get_user_model().objects.get(pk=reader.pk)
    [person] = _persons(get_feed(reader))
    assert person["full_name"] == "_test_given_name"  # only the name field it may see
    for name in ("author_email", "author_phone", "home_street", "date_of_birth", "sex"):
        assert name not in person
    assert "_test_" not in str(
        [{k: v for k, v in n.items() if k != "note_record_id"} for n in person["notes"]]
    ).replace("test.google.com", "")
    assert {n["author_name"] for n in person["notes"]} == {"test.google.com"}


@pytest.mark.django_db
def test_an_expired_clone_is_a_placeholder(get_feed, caseworker_duhok, clone):
    clone.expiry_date = "2001-01-01T00:00:00Z"
    clone.save()
    [person] = _persons(get_feed(caseworker_duhok))
    assert set(person) == {
        "person_record_id",
        "entry_date",
        "expiry_date",
        "source_date",
        "notes",
    }
    assert person["notes"] == []
    _problems, _persons_, notes = validate_feed(get_feed(caseworker_duhok, "note").content)
    assert notes == []
