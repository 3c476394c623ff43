"""A round trip: our case and its timeline exported as PFIF, imported into a fresh repository
(another installation, with its own PFIF domain) by a partner of our domain, and exported again
from there: the same person and notes, with the same record ids."""

import pytest
from django.test import override_settings

from access.models import PartnerAgreement, Role
from access.services import user_create
from cases.lifecycle import EventType
from cases.models import Case, CaseEvent
from cases.services import case_transition
from pfif.models import PfifDomain, PfifNote, PfifPersonRecord

from .pfif14 import validate_feed


def _strip_entry_dates(person):
    # entry_date is when *a* repository stored the record: the one field that must differ.
    same = {k: v for k, v in person.items() if k not in ("entry_date", "notes")}
    notes = [{k: v for k, v in n.items() if k != "entry_date"} for n in person["notes"]]
    return same, notes


@pytest.mark.django_db
def test_export_import_export(client, bearer, make_case, caseworker_duhok, offices, gazetteer):
    case = make_case(
        given_name_latn="Layla",
        family_name_latn="Haji",
        birth_date="1990-03",
        age_at_abduction=None,
        sex="female",
    )
    case_transition(
        case=case,
        event_type=EventType.CAPTIVITY_CONFIRMED,
        on="2015-05",
        actor=None,
        source="escaped witness",
        note="seen in Raqqa",
    )
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2017-06-01", actor=None, source="office"
    )
    exported = client.get("/api/v1/pfif/feeds/person", **bearer(caseworker_duhok))
    problems, [original], _ = validate_feed(exported.content)
    assert problems == [] and len(original["notes"]) == 3
    record_id = f"tracker.example.org/person.{case.pk}"
    assert original["person_record_id"] == record_id

    # A fresh database: none of our cases, and another installation's own domain.
    CaseEvent.objects.all().delete()
    Case.objects.all().delete()
    with override_settings(PFIF_DOMAIN="mirror.example.net"):
        mirror_partner = user_create(username="tracker-as-partner", role=Role.PARTNER)
        agreement = PartnerAgreement.objects.create(
            name="Tracker", partner=mirror_partner, valid_from="2020-01-01"
        )
        PfifDomain.objects.create(
            domain="tracker.example.org",
            agreement=agreement,
            office=offices["duhok"],
            default_origin=gazetteer["sinjar"],
            abducted_on="2014-08",
        )
        answer = client.post(
            "/api/v1/pfif/write",
            data=exported.content,
            content_type="application/atom+xml",
            **bearer(mirror_partner),
        ).json()
        assert answer["person"]["written"] == 1 and answer["note"]["written"] == 3
        assert answer["person"]["skipped"] == answer["note"]["skipped"] == []

        clone = PfifPersonRecord.objects.get(person_record_id=record_id)
        assert (clone.case.given_name_latn, clone.case.family_name_latn) == ("Layla", "Haji")
        assert str(clone.case.birth_date) == "1990-03"
        assert clone.case.origin.code == "kocho"  # home_city named a place of the gazetteer
        assert set(PfifNote.objects.values_list("note_record_id", flat=True)) == {
            note["note_record_id"] for note in original["notes"]
        }

        again = client.get("/api/v1/pfif/feeds/person", **bearer(caseworker_duhok))
        problems, [mirrored], _ = validate_feed(again.content)
        assert problems == []
    assert _strip_entry_dates(mirrored) == _strip_entry_dates(original)
    assert [n["status"] for n in mirrored["notes"]] == [
        "believed_missing",
        "believed_missing",
        "believed_alive",
    ]
    # Casework on both sides: the free text travelled too.
    assert "seen in Raqqa" in mirrored["notes"][1]["text"]
