"""The PFIF feeds: valid PFIF 1.4, only the cases and fields the policy allows, deaths only for
partners allowed to receive them, pages, bad parameters, refusals, and the audit of each page."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from access.models import PartnerAgreement, Role
from access.services import user_create
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.services import case_transition
from families.models import Relative
from families.services import relative_add

from .pfif14 import validate_feed


def _consent(case):
    relative_add(
        case=case,
        relationship="mother",
        relative=Relative(
            full_name_latn="R",
            sex="female",
            consent="given",
            consent_recorded_on="2016-01-01",
            consent_share_with_partners=True,
        ),
    )


def _move(case, event_type, on, **extra):
    case_transition(case=case, event_type=event_type, on=on, actor=None, source="office", **extra)


@pytest.fixture
def world(make_case, offices):
    missing = make_case(
        given_name_latn="Layla",
        father_name_latn="Khalaf",
        family_name_latn="Haji",
        given_name_ar="ليلى",
        birth_date="1990-03-04",
        age_at_abduction=None,
        captivity_notes="testimony of captivity",
    )
    rescued = make_case(sex="male", given_name_latn="Nadir")
    _move(rescued, EventType.RESCUED, "2016-02-01", note="found with family in camp")
    dead = make_case(given_name_latn="Dalal")
    _move(dead, EventType.DEATH_REPORTED, "2015-01")
    # No longer in a death status, but a death report is in its history.
    duplicate = make_case(given_name_latn="Dupa")
    _move(duplicate, EventType.DEATH_REPORTED, "2015-02")
    _move(duplicate, EventType.CLOSED_DUPLICATE, "2016-01", duplicate_of=missing)
    sinjar = make_case(office=offices["sinjar"], given_name_latn="Elsewhere")
    for case in (missing, rescued, dead, duplicate, sinjar):
        _consent(case)
    return {
        "missing": missing,
        "rescued": rescued,
        "dead": dead,
        "duplicate": duplicate,
        "sinjar": sinjar,
    }


def _partner(offices, name, deaths, fields=("given_name_latn", "sex", "age_at_abduction")):
    user = user_create(username=name, role=Role.PARTNER)
    agreement = PartnerAgreement.objects.create(
        name=name,
        partner=user,
        valid_from="2020-01-01",
        fields=list(fields) + ["captivity_notes", "birth_date"],  # never shared, whatever it says
        may_receive_deaths=deaths,
    )
    agreement.offices.add(offices["duhok"])
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def partner(offices):
    return _partner(offices, "partner-no-deaths", deaths=False)


@pytest.fixture
def partner_deaths(offices):
    return _partner(offices, "partner-deaths", deaths=True)


def _valid(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    problems, persons, notes = validate_feed(response.content)
    assert problems == []
    return persons, notes


def _ids(persons, world):
    names = {f"tracker.example.org/person.{case.pk}": name for name, case in world.items()}
    return {names[p["person_record_id"]] for p in persons}


@pytest.mark.django_db
def test_caseworker_feed_is_valid_pfif_with_full_read(get_feed, caseworker_duhok, world):
    persons, _ = _valid(get_feed(caseworker_duhok))
    assert _ids(persons, world) == {"missing", "rescued", "dead", "duplicate"}
    layla = next(p for p in persons if p.get("given_name") == "Layla")
    assert layla["full_name"] == "Layla Khalaf Haji\nليلى"
    assert layla["family_name"] == "Haji"
    assert layla["sex"] == "female" and layla["date_of_birth"] == "1990-03-04"
    assert layla["home_city"] == "Kocho"
    assert layla["source_name"] == "tracker.example.org"
    # Far ahead, on purpose: conflict cases stay open for decades.
    assert layla["expiry_date"] == f"{timezone.now().year + 50}-01-01T00:00:00Z"
    [registered] = layla["notes"]
    assert registered["status"] == "believed_missing"
    assert registered["note_record_id"].startswith("tracker.example.org/note.")

    rescued = next(p for p in persons if p.get("given_name") == "Nadir")
    statuses = [(n["status"], n.get("author_made_contact")) for n in rescued["notes"]]
    assert statuses == [("believed_missing", None), ("believed_alive", "true")]
    # Casework sees the note's free text.
    assert "found with family in camp" in rescued["notes"][1]["text"]
    dead = next(p for p in persons if p.get("given_name") == "Dalal")
    assert dead["notes"][-1]["status"] == "believed_dead"


@pytest.mark.django_db
def test_partner_gets_agreed_fields_no_sensitive_ones_and_no_deaths(get_feed, partner, world):
    persons, _ = _valid(get_feed(partner))
    # The policy removes cases in a death status; consent and office scope apply.
    assert _ids(persons, world) == {"missing", "rescued", "duplicate"}
    layla = next(p for p in persons if p.get("given_name") == "Layla")
    assert layla["full_name"] == "Layla"  # only the name fields of the agreement
    assert "family_name" not in layla and "date_of_birth" not in layla
    assert "home_city" not in layla  # origin is not in the agreement
    # 24 when abducted in August 2014; PFIF's age is as of the record's source date (today).
    years = timezone.now().year - 2014
    assert layla["age"] == f"{24 + years - 1}-{24 + years}"
    rescued = next(p for p in persons if p.get("given_name") == "Nadir")
    assert "found with family in camp" not in str(rescued)
    duplicate = next(p for p in persons if p.get("given_name") == "Dupa")
    # Its death report is history the partner may not receive.
    assert [n.get("status") for n in duplicate["notes"]] == ["believed_missing", None]
    assert "testimony" not in str(persons)


@pytest.mark.django_db
def test_partner_allowed_deaths_receives_them(get_feed, partner_deaths, world):
    persons, _ = _valid(get_feed(partner_deaths))
    assert _ids(persons, world) == {"missing", "rescued", "dead", "duplicate"}
    duplicate = next(p for p in persons if p.get("given_name") == "Dupa")
    assert "believed_dead" in [n.get("status") for n in duplicate["notes"]]


@pytest.mark.django_db
def test_note_feed_deaths_and_order(get_feed, partner, partner_deaths, world):
    _, notes = _valid(get_feed(partner, "note"))
    assert "believed_dead" not in {n.get("status") for n in notes}
    assert [n["entry_date"] for n in notes] == sorted(n["entry_date"] for n in notes)
    _, with_deaths = _valid(get_feed(partner_deaths, "note"))
    assert sum(n.get("status") == "believed_dead" for n in with_deaths) == 2
    one = f"tracker.example.org/person.{world['rescued'].pk}"
    _, only = _valid(get_feed(partner, "note", person_record_id=one))
    assert {n["person_record_id"] for n in only} == {one} and len(only) == 2


@pytest.mark.django_db
def test_pages(get_feed, caseworker_duhok, world):
    seen = []
    for skip in range(0, 6, 2):
        persons, _ = _valid(get_feed(caseworker_duhok, max_results=2, skip=skip, omit_notes="yes"))
        assert all(p["notes"] == [] for p in persons)
        seen += [p["person_record_id"] for p in persons]
    assert len(seen) == len(set(seen)) == 4
    persons, _ = _valid(get_feed(caseworker_duhok, min_entry_date="2100-01-01T00:00:00Z"))
    assert persons == []
    persons, _ = _valid(get_feed(caseworker_duhok, min_entry_date="2000-01-01T00:00:00Z"))
    assert len(persons) == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_results": 201}, "max_results"),
        ({"max_results": 0}, "max_results"),
        ({"max_results": "ten"}, "max_results"),
        ({"skip": -1}, "skip"),
        ({"min_entry_date": "2014-01-01"}, "min_entry_date"),
        ({"omit_notes": "perhaps"}, "omit_notes"),
    ],
)
def test_bad_parameters_are_400_with_the_reason(get_feed, caseworker_duhok, params, field):
    response = get_feed(caseworker_duhok, **params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_roles_without_case_access_are_refused_and_audited(get_feed, offices, world):
    analyst = user_create(username="analyst", role=Role.ANALYST)
    aid = user_create(username="aid-officer", role=Role.AID_OFFICER, offices=["DHK"])
    assert get_feed(analyst).status_code == 403
    assert get_feed(analyst, "note").status_code == 403
    # Aid officers see rescued cases, never timelines.
    assert get_feed(aid).status_code == 200
    assert get_feed(aid, "note").status_code == 403
    assert AuditEntry.objects.filter(actor_id=analyst.pk, action="denied").count() == 2
    assert AuditEntry.objects.filter(actor_id=aid.pk, action="denied").count() == 1


@pytest.mark.django_db
def test_each_page_is_audited_with_the_cases_and_fields_shown(get_feed, partner, world):
    get_feed(partner)
    entry = AuditEntry.objects.filter(actor_id=partner.pk, action="view").latest("sequence")
    assert entry.changes["via"] == "pfif/person"
    assert set(entry.changes["cases"]) == {
        str(world[name].pk) for name in ("missing", "rescued", "duplicate")
    }
    assert "given_name_latn" in entry.changes["fields"]
    assert "captivity_notes" not in entry.changes["fields"]
    assert "date_of_birth" not in entry.changes["pfif_fields"]


@pytest.mark.django_db
def test_without_a_token_401(client):
    assert client.get("/api/v1/pfif/feeds/person").status_code == 401


@pytest.mark.django_db
def test_the_schema_lists_the_pfif_endpoints(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/pfif/feeds/person", "/api/v1/pfif/feeds/note", "/api/v1/pfif/write"):
        assert path in schema["paths"]
    assert (
        "application/xml" in schema["paths"]["/api/v1/pfif/write"]["post"]["requestBody"]["content"]
    )
