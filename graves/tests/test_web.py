"""The forensic pages: who may see and do what, the services' refusals shown on the form, and the
identification path from a proposal to the family, done by three different people."""

import datetime as dt

import pytest

from access.models import Role
from audit.models import AuditEntry
from cases.lifecycle import Status
from families.models import Handover, Relative
from families.services import relative_add
from graves.models import Exhumation, GraveSite, Identification, Remains
from graves.services import exhumation_start, grave_site_confirm, grave_site_report, remains_record


@pytest.fixture
def person(web_user, web_login):
    """make(username, role, *offices) -> a user; `client.force_login` is replaced by the real
    login (second factor included) through the `login` attribute."""
    return web_user


@pytest.fixture
def site(gazetteer):
    site = grave_site_report(
        site=GraveSite(code="G-W1", name="Test site", place=gazetteer["kocho"]),
        reported_on=dt.date(2015, 11, 20),
        source="survey",
    )
    return site


@pytest.fixture
def remains(site):
    grave_site_confirm(site=site, on=dt.date(2015, 12, 1), source="survey")
    exhumation = exhumation_start(site=site, started_on=dt.date(2016, 2, 1), team="team A")
    return remains_record(
        remains=Remains(code="R-W1", recovered_on=dt.date(2016, 2, 3)), exhumation=exhumation
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,status",
    [
        (Role.FORENSIC, 200),
        (Role.CASEWORKER, 200),
        (Role.SUPERVISOR, 200),
        (Role.AID_OFFICER, 403),
        (Role.ANALYST, 403),
        (Role.AUDITOR, 403),
        (Role.PARTNER, 403),
        (Role.ADMIN, 403),
    ],
)
def test_who_may_see_the_sites(client, web_login, person, site, role, status):
    user = person(f"u-{role}", role, "DHK")
    web_login(user)
    assert client.get("/graves/").status_code == status
    assert client.get(site.get_absolute_url()).status_code == status
    if status == 403:
        assert AuditEntry.objects.filter(action="denied", actor_username=user.username).exists()


@pytest.mark.django_db
def test_only_forensic_may_report_a_site_and_a_caseworker_is_refused(
    client, web_login, person, gazetteer
):
    caseworker = person("cw", Role.CASEWORKER, "DHK")
    web_login(caseworker)
    body = {
        "code": "G-W9",
        "name": "New",
        "place": gazetteer["kocho"].pk,
        "reported_on": "2016-01-01",
        "source": "a witness",
    }
    assert client.post("/graves/sites/new/", body).status_code == 403
    assert not GraveSite.objects.filter(code="G-W9").exists()

    web_login(person("lab", Role.FORENSIC))
    page = client.get("/graves/")
    assert b"Report a grave site" in page.content
    response = client.post("/graves/sites/new/", body)
    assert response.status_code == 302
    created = GraveSite.objects.get(code="G-W9")
    assert created.status == GraveSite.Status.SUSPECTED
    assert response["Location"] == created.get_absolute_url()


@pytest.mark.django_db
def test_a_refusal_of_the_service_comes_back_on_the_form(client, web_login, person, site):
    web_login(person("lab", Role.FORENSIC))
    # Confirmation before the first report: the service refuses, the form says why.
    response = client.post(
        f"/graves/sites/{site.pk}/confirm/", {"on": "2015-01-01", "source": "team"}
    )
    assert response.status_code == 400
    assert "Confirmation cannot precede the first report." in response.content.decode()
    assert 'value="team"' in response.content.decode()  # what was typed is kept
    site.refresh_from_db()
    assert site.status == GraveSite.Status.SUSPECTED

    # Exhuming a suspected site: refused by the service too.
    response = client.post(
        f"/graves/sites/{site.pk}/exhumations/new/", {"started_on": "2016-01-01", "team": "A"}
    )
    assert response.status_code == 400
    assert "must be confirmed" in response.content.decode()
    assert not Exhumation.objects.exists()


@pytest.mark.django_db
def test_the_worklist_lists_remains_until_an_identification_is_proposed(
    client, web_login, person, remains, make_case
):
    lab = person("lab", Role.FORENSIC)
    web_login(lab)
    assert remains.code in client.get("/graves/remains/").content.decode()
    case = make_case(case_number="C-77")
    response = client.post(
        f"/graves/remains/{remains.pk}/identify/",
        {"case_number": "C-77", "method": "dna_kinship", "identified_on": "2019-05-01"},
    )
    assert response.status_code == 302
    assert Identification.objects.get().case == case
    assert remains.code not in client.get("/graves/remains/").content.decode()

    unknown = client.post(
        f"/graves/remains/{remains.pk}/identify/",
        {"case_number": "NOPE", "method": "dna_kinship", "identified_on": "2019-05-01"},
    )
    assert unknown.status_code == 400


@pytest.mark.django_db
def test_from_proposal_to_the_family_by_three_people(client, web_login, person, remains, make_case):
    proposer = person("lab-a", Role.FORENSIC)
    reviewer = person("lab-b", Role.FORENSIC)
    caseworker = person("cw-duhok", Role.CASEWORKER, "DHK")
    other_office = person("cw-sinjar", Role.CASEWORKER, "SNJ")
    case = make_case(case_number="C-88", captivity_notes="not for the lab")
    mother = Relative(full_name_latn="Mother of C-88", sex="female", phone="+964 750 000 0000")
    relative_add(case=case, relative=mother, relationship="mother")

    web_login(proposer)
    client.post(
        f"/graves/remains/{remains.pk}/identify/",
        {"case_number": "C-88", "method": "dna_kinship", "identified_on": "2019-05-01"},
    )
    identification = Identification.objects.get()
    page = client.get(identification.get_absolute_url()).content.decode()
    # The proposer may not confirm its own proposal, and the lab never sees the captivity notes.
    assert "/confirm/" not in page
    assert "not for the lab" not in page
    refused = client.post(
        f"/graves/identifications/{identification.pk}/confirm/",
        {"on": "2019-05-02", "source": "review"},
    )
    assert refused.status_code == 400
    assert "someone other than its proposer" in refused.content.decode()

    web_login(reviewer)
    assert "/confirm/" in client.get(identification.get_absolute_url()).content.decode()
    confirmed = client.post(
        f"/graves/identifications/{identification.pk}/confirm/",
        {"on": "2019-05-02", "source": "review"},
    )
    assert confirmed.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REMAINS_IDENTIFIED
    # Viewing the page showed the case: that view of personal data is in the trail.
    assert AuditEntry.objects.filter(
        action="view", actor_username="lab-b", subject_id=str(case.pk)
    ).exists()

    # A caseworker of another office does not see the identification at all.
    web_login(other_office)
    assert client.get(identification.get_absolute_url()).status_code == 404
    assert client.get(f"/graves/identifications/{identification.pk}/handover/").status_code == 404

    web_login(caseworker)
    page = client.get(identification.get_absolute_url()).content.decode()
    assert "/handover/" in page
    handover_form = client.get(f"/graves/identifications/{identification.pk}/handover/")
    assert "Mother of C-88" in handover_form.content.decode()
    too_early = client.post(
        f"/graves/identifications/{identification.pk}/handover/",
        {"handed_over_on": "2019-01-01", "source": "office"},
    )
    assert too_early.status_code == 400
    assert "before they were identified" in too_early.content.decode()
    done = client.post(
        f"/graves/identifications/{identification.pk}/handover/",
        {
            "handed_over_on": "2019-06-01",
            "source": "office",
            "receiving_relative": mother.pk,
            "ceremony": "reburial at Kocho",
        },
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REMAINS_RETURNED
    assert Handover.objects.get(case=case).receiving_relative == mother


@pytest.mark.django_db
def test_site_list_pages_by_keyset_with_a_constant_number_of_queries(
    client, web_login, person, gazetteer, django_assert_max_num_queries
):
    for n in range(60):
        GraveSite.objects.create(
            code=f"G-{n:03d}", name=f"S{n}", place=gazetteer["kocho"], reported_on="2015-01-01"
        )
    web_login(person("lab", Role.FORENSIC))
    with django_assert_max_num_queries(12):
        first = client.get("/graves/")
    body = first.content.decode()
    assert ">G-049</a>" in body and ">G-050</a>" not in body
    assert "60 sites" in body
    second = client.get("/graves/?after=G-049").content.decode()
    assert ">G-050</a>" in second and ">G-059</a>" in second and ">G-049</a>" not in second
    filtered = client.get("/graves/?q=G-00&status=suspected").content.decode()
    assert "10 sites" in filtered


@pytest.mark.django_db
def test_the_forensic_pages_link_to_the_map(client, web_login, person, site):
    web_login(person("lab", Role.FORENSIC))
    page = client.get("/graves/").content.decode()
    assert 'href="/reports/grave_site_map/"' in page
    assert client.get("/reports/grave_site_map/").status_code == 200
