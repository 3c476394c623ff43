"""Contract tests of the resource endpoints (issue 4): the same shape, paging, detail, 404/403,
redaction and filter rules for every resource of the registry (sync.resources)."""

import datetime as dt
import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import PartnerAgreement, Role
from access.policy import SENSITIVE_FIELDS
from access.tokens import token_issue
from aid.models import AidProgramme, Disbursement
from cases.lifecycle import EventType
from cases.models import Office
from cases.services import case_transition
from families.models import Handover, ReferenceSample, Relative
from families.services import relative_add
from graves.models import Exhumation, GraveSite, Identification, Remains
from sync.resources import RESOURCES

API = "/api/v1"
PHONE = "+964-750-000-0001"
ADDRESS = "Street of the test, Duhok"
LAB = "LAB-SECRET-0001"
NOTES = "testimony-text"

# resource -> (a role that may read it, a role that may not)
READERS = {
    "cases": ("caseworker", "analyst"),
    "events": ("caseworker", "aid_officer"),
    "grave-sites": ("forensic", "aid_officer"),
    "exhumations": ("forensic", "caseworker"),
    "remains": ("forensic", "caseworker"),
    "identifications": ("forensic", "aid_officer"),
    "relatives": ("caseworker", "aid_officer"),
    "reference-samples": ("forensic", "aid_officer"),
    "handovers": ("caseworker", "forensic"),
    "aid-programmes": ("aid_officer", "forensic"),
    "disbursements": ("aid_officer", "forensic"),
    "offices": ("analyst", "nobody"),
    "places": ("analyst", "nobody"),
}


def test_every_resource_of_the_registry_is_covered():
    assert set(READERS) == set(RESOURCES)


@pytest.fixture
def personas(api_user):
    """role name -> bearer header; `nobody` is an account without a role."""
    made = {
        "caseworker": api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])[1],
        "forensic": api_user("forensic", Role.FORENSIC, [])[1],
        "aid_officer": api_user("aid-officer-duhok", Role.AID_OFFICER, ["DHK"])[1],
        "analyst": api_user("analyst", Role.ANALYST, [])[1],
    }
    nobody = get_user_model().objects.create_user(username="nobody")
    made["nobody"] = f"Bearer {token_issue(user=nobody, days=1)[1]}"
    return made


@pytest.fixture
def world(make_case, offices, gazetteer):
    """At least three records of every resource, visible to its reading persona."""
    kocho = gazetteer["kocho"]
    Office.objects.create(code="ZKH", name="Zakho")  # a third office, for paging
    cases = [
        make_case(office=offices["duhok"], captivity_notes=NOTES, birth_date="1990-03-04")
        for _ in range(4)
    ]
    rescued = cases[0]
    case_transition(
        case=rescued, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="office"
    )
    other_office = make_case(office=offices["sinjar"])
    relatives = []
    for number, case in enumerate(cases[1:]):
        relative = Relative(
            full_name_latn=f"Relative {number}",
            sex="female",
            phone=PHONE,
            address=ADDRESS,
            consent="given",
            consent_recorded_on=dt.date(2016, 1, 1),
            consent_dna_matching=True,
        )
        relative_add(case=case, relative=relative, relationship="mother")
        relatives.append(relative)
        ReferenceSample.objects.create(
            relative=relative,
            collected_on=dt.date(2017, 1, 1 + number),
            lab_reference=f"{LAB}-{number}",
        )
    sites = [
        GraveSite.objects.create(
            code=f"G-{n}", name=f"Site {n}", place=kocho, reported_on=dt.date(2015, 1, 1)
        )
        for n in range(3)
    ]
    exhumations = [
        Exhumation.objects.create(site=site, started_on=dt.date(2018, 1, 1), team="team")
        for site in sites
    ]
    remains = [
        Remains.objects.create(
            code=f"R-{n}",
            site=sites[n],
            exhumation=exhumations[n],
            recovered_on=dt.date(2018, 2, 1),
        )
        for n in range(3)
    ]
    identifications = [
        Identification.objects.create(
            remains=remains[n],
            case=cases[n + 1],
            method="dna_kinship",
            identified_on=dt.date(2019, 1, 1),
        )
        for n in range(3)
    ]
    for n in range(3):
        Handover.objects.create(
            case=cases[n + 1],
            identification=identifications[n],
            handed_over_on=dt.date(2019, 6, 1),
        )
    programmes = [
        AidProgramme.objects.create(
            code=f"prog-{n}",
            name=f"Programme {n}",
            administered_by="directorate",
            frequency="monthly",
            standard_amount=100,
            starts_on=dt.date(2016, 1, 1),
        )
        for n in range(3)
    ]
    for month in (1, 2, 3):
        Disbursement.objects.create(
            programme=programmes[0],
            case=rescued,
            period=dt.date(2016, month, 1),
            amount=100,
            approved_on=dt.date(2016, month, 1),
        )
    return {"cases": cases, "rescued": rescued, "other_office": other_office}


def get(client, auth, url, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=auth)


def walk(client, auth, resource, page_size=2):
    """Every page of a list; returns the records in order."""
    url, params, records = f"{API}/{resource}/", {"page_size": page_size}, []
    while url:
        response = get(client, auth, url, **params)
        assert response.status_code == 200, (resource, response.content)
        body = response.json()
        assert set(body) == {"next", "previous", "results"}, resource
        assert len(body["results"]) <= page_size
        records += body["results"]
        url, params = body["next"], {}
    return records


@pytest.mark.django_db
@pytest.mark.parametrize("resource", list(READERS))
def test_a_reader_lists_pages_and_reads_each_record(client, personas, world, resource):
    auth = personas[READERS[resource][0]]
    first = get(client, auth, f"{API}/{resource}/").json()
    assert set(first) == {"next", "previous", "results"}

    records = walk(client, auth, resource, page_size=2)
    ids = [record["id"] for record in records]
    assert len(ids) >= 3, resource  # so that page_size=2 walked more than one page
    assert len(ids) == len(set(ids)), f"{resource}: a record came twice"
    for record_id in ids:
        uuid.UUID(record_id)
    # The keyset pages together are exactly the one-page list.
    assert ids == [record["id"] for record in walk(client, auth, resource, page_size=500)]

    for record in records:
        detail = get(client, auth, f"{API}/{resource}/{record['id']}/")
        assert detail.status_code == 200, (resource, detail.content)
        assert detail.json() == record
        etag = detail["ETag"]
        assert etag.startswith('"') and etag.endswith('"') and etag[1:-1].isdigit()

    missing = get(client, auth, f"{API}/{resource}/{uuid.uuid4()}/")
    assert missing.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("resource", list(READERS))
def test_a_role_that_may_not_read_gets_403_on_the_list_and_404_on_a_record(
    client, personas, world, resource
):
    reader, outsider = (personas[role] for role in READERS[resource])
    some_id = get(client, reader, f"{API}/{resource}/").json()["results"][0]["id"]

    listing = get(client, outsider, f"{API}/{resource}/")
    assert listing.status_code == 403
    detail = get(client, outsider, f"{API}/{resource}/{some_id}/")
    assert detail.status_code == 404
    assert some_id not in detail.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resource", "role", "hidden"),
    [
        ("relatives", "forensic", {"phone", "address"}),
        ("reference-samples", "caseworker", {"lab_reference"}),
        ("cases", "forensic", {"captivity_notes", "health_notes", "birth_date"}),
        ("cases", "aid_officer", {"captivity_notes", "health_notes", "birth_date"}),
    ],
)
def test_sensitive_fields_never_reach_roles_that_may_not_see_them(
    client, personas, world, resource, role, hidden
):
    auth = personas[role]
    records = walk(client, auth, resource, page_size=500)
    assert records, (resource, role)
    for record in records:
        assert not set(record) & hidden, (resource, role, record)
        detail = get(client, auth, f"{API}/{resource}/{record['id']}/").content.decode()
        for value in (PHONE, ADDRESS, LAB, NOTES, "1990-03-04"):
            assert value not in detail
    for value in (PHONE, ADDRESS, LAB, NOTES, "1990-03-04"):
        assert value not in json.dumps(records)


@pytest.mark.django_db
def test_sensitive_fields_are_shown_to_the_roles_that_may_see_them(client, personas, world):
    """The counterpart of the test above: the redaction is per role, not a blanket removal."""
    relatives = walk(client, personas["caseworker"], "relatives", page_size=500)
    assert {record["phone"] for record in relatives} == {PHONE}
    samples = walk(client, personas["forensic"], "reference-samples", page_size=500)
    assert all(record["lab_reference"].startswith(LAB) for record in samples)
    cases = walk(client, personas["caseworker"], "cases", page_size=500)
    assert {record["captivity_notes"] for record in cases} == {NOTES}
    assert SENSITIVE_FIELDS["families.relative"] == {"phone", "address"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "resource", "params", "expected"),
    [
        ("caseworker", "cases", {"status": "rescued"}, lambda w: {w["rescued"].pk}),
        ("caseworker", "cases", {"office_code": "DHK"}, lambda w: {c.pk for c in w["cases"]}),
        ("caseworker", "cases", {"office_code": "SNJ"}, lambda w: set()),
        ("caseworker", "events", {"type": "rescued"}, None),
        ("analyst", "places", {"kind": "village"}, None),
    ],
)
def test_filters_narrow_the_list(client, personas, world, role, resource, params, expected):
    response = get(client, personas[role], f"{API}/{resource}/", **params)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    if expected is not None:
        assert {uuid.UUID(r["id"]) for r in results} == expected(world)
    else:
        assert results
        for key, value in params.items():
            assert {record[key] for record in results} == {value}
        unfiltered = walk(client, personas[role], resource, page_size=500)
        assert len(results) < len(unfiltered)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "resource", "params"),
    [
        ("caseworker", "cases", {"status": "no-such-status"}),
        ("caseworker", "cases", {"age_min": "old"}),
        ("caseworker", "events", {"type": "no-such-type"}),
        ("caseworker", "events", {"date_from": "yesterday"}),
        ("analyst", "places", {"kind": "planet"}),
        ("caseworker", "relatives", {"case": "not-a-uuid"}),
        ("aid_officer", "disbursements", {"period_from": "2016-13-01"}),
    ],
)
def test_an_invalid_filter_value_is_400(client, personas, world, role, resource, params):
    response = get(client, personas[role], f"{API}/{resource}/", **params)
    assert response.status_code == 400, response.content
    assert set(params) <= set(response.json())


@pytest.mark.django_db
def test_filtering_on_a_field_the_role_cannot_see_is_400(client, personas, world, gazetteer):
    origin = gazetteer["kocho"].pk
    response = get(client, personas["aid_officer"], f"{API}/cases/", origin=origin)
    assert response.status_code == 400
    assert "origin" in response.json()
    # The forensic role sees no relative's contact details, but may filter on what it sees.
    assert get(client, personas["forensic"], f"{API}/relatives/", sex="female").status_code == 200


@pytest.mark.django_db
def test_a_partner_filters_only_on_the_fields_of_its_agreement(
    client, partner, api_user, consented, offices, gazetteer
):
    _user, auth, _agreement = partner  # its agreement shares `origin`
    case = consented(office=offices["duhok"])
    origin = gazetteer["kocho"].pk
    response = get(client, auth, f"{API}/cases/", origin=origin)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(case.pk)]

    other, other_auth = api_user("partner-narrow", Role.PARTNER, ())
    agreement = PartnerAgreement.objects.create(
        name="narrow",
        partner=other,
        valid_from=dt.date(2020, 1, 1),
        fields=["given_name_latn", "sex"],
    )
    agreement.offices.set([offices["duhok"]])
    refused = get(client, other_auth, f"{API}/cases/", origin=origin)
    assert refused.status_code == 400
    assert "origin" in refused.json()
    assert get(client, other_auth, f"{API}/cases/", sex="female").status_code == 200


def _queries(client, auth, url, page_size):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": page_size}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("resource", ["cases", "relatives", "events", "identifications"])
def test_query_count_does_not_grow_with_the_page_size(
    client, personas, world, make_case, offices, resource
):
    for number in range(6):
        relative_add(
            case=make_case(office=offices["duhok"]),
            relative=Relative(full_name_latn=f"More {number}", sex="male", phone=PHONE),
            relationship="father",
        )
    auth = personas["forensic" if resource == "identifications" else "caseworker"]
    url = f"{API}/{resource}/"
    _queries(client, auth, url, 1)  # the token's first use of the day records its last use
    small, shown_small = _queries(client, auth, url, 2)
    large, shown_large = _queries(client, auth, url, 20)
    assert shown_small == 2 and shown_large > 2
    assert small == large, (resource, small, large)
