"""`GET /api/v1/cases/?name=...`: the case list's search by name over the API (sync.resources,
CaseFilter.name), the same search as the case list pages (cases.search.name_matches). Any
spelling finds the person, a case outside the caller's offices is not found, and a role that
cannot see names cannot ask about them. Runs on SQLite and PostgreSQL alike."""

import datetime as dt

import pytest
from django.test import Client

from access.models import PartnerAgreement, Role
from access.services import user_create
from access.tokens import token_issue
from cases.models import AlternateName


def _client(username, role, office_codes):
    user = user_create(username=username, role=role, offices=list(office_codes))
    _token, raw = token_issue(user=user, days=1)
    return user, Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def caseworker_duhok(offices):
    return _client("caseworker-duhok", Role.CASEWORKER, ["DHK"])[1]


@pytest.fixture
def people(make_case, offices):
    """Ehmed Xêrî of Duhok (also recorded as "Ahmad Kheri"), a namesake of Sinjar (outside the
    Duhok caseworker's scope), and Leyla Qasim of Duhok (never found by his name)."""
    same_names = {
        "given_name_ar": "أحمد",
        "family_name_ar": "خيرى",
        "given_name_latn": "Ehmed",
        "family_name_latn": "Xêrî",
    }
    wanted = make_case(office=offices["duhok"], **same_names)
    AlternateName.objects.create(case=wanted, full_name="Ahmad Kheri", script="latn")
    namesake = make_case(office=offices["sinjar"], **same_names)
    other = make_case(
        office=offices["duhok"],
        given_name_ar="ليلى",
        given_name_latn="Leyla",
        family_name_latn="Qasim",
    )
    return wanted, namesake, other


def _found(client, query):
    response = client.get("/api/v1/cases/", {"name": query})
    assert response.status_code == 200, response.content
    return [record["case_number"] for record in response.json()["results"]]


@pytest.mark.parametrize(
    "query",
    [
        "أحمد خيرى",  # as recorded
        "احمد خيري",  # no hamza on the alef, ya for alef maqsura
        "أَحْمَد",  # with tashkeel
        "أحـــمد",  # with tatweel
        "خیری",  # Farsi yeh (Kurdish keyboards)
        "Ehmed Xêrî",  # Latin as recorded
        "ehmed xeri",  # Latin without accents, lower case
        "XÊRÎ",  # Latin, upper case
        "Kheri",  # the alternate spelling recorded for the case
    ],
)
@pytest.mark.django_db
def test_any_spelling_finds_the_case_and_only_within_scope(caseworker_duhok, people, query):
    wanted, _namesake, _other = people
    assert _found(caseworker_duhok, query) == [wanted.case_number]


@pytest.mark.django_db
def test_the_name_filter_combines_with_the_others(caseworker_duhok, people):
    wanted, _namesake, other = people
    assert _found(caseworker_duhok, "Leyla") == [other.case_number]
    assert _found(caseworker_duhok, "") == sorted([wanted.case_number, other.case_number])
    response = caseworker_duhok.get("/api/v1/cases/", {"name": "xeri", "sex": "male"})
    assert response.status_code == 200
    assert response.json()["results"] == []  # make_case's cases are female


@pytest.mark.django_db
def test_the_namesake_is_found_by_its_own_office_only(people, offices):
    _wanted, namesake, _other = people
    _user, sinjar = _client("caseworker-sinjar", Role.CASEWORKER, ["SNJ"])
    assert _found(sinjar, "احمد خيري") == [namesake.case_number]
    assert _found(sinjar, "Leyla") == []


@pytest.mark.django_db
def test_a_role_that_cannot_see_names_cannot_search_by_name(people, offices):
    partner, client = _client("partner-no-names", Role.PARTNER, [])
    agreement = PartnerAgreement.objects.create(
        name="no names",
        partner=partner,
        valid_from=dt.date(2020, 1, 1),
        fields=["sex", "origin", "abducted_on", "office"],
        may_receive_deaths=False,
    )
    agreement.offices.set([offices["duhok"]])
    response = client.get("/api/v1/cases/", {"name": "xeri"})
    assert response.status_code == 400
    assert "name" in response.json()
    # The same partner may still list (and filter on what it sees).
    assert client.get("/api/v1/cases/", {"sex": "female"}).status_code == 200


@pytest.mark.django_db
def test_seeing_one_name_is_not_enough_to_search_them_all(people, offices):
    """The search key holds every name: a partner sharing only the Latin given name could
    otherwise find people by names it may not see."""
    partner, client = _client("partner-given-name", Role.PARTNER, [])
    agreement = PartnerAgreement.objects.create(
        name="given name only",
        partner=partner,
        valid_from=dt.date(2020, 1, 1),
        fields=["given_name_latn", "sex", "office"],
        may_receive_deaths=False,
    )
    agreement.offices.set([offices["duhok"]])
    response = client.get("/api/v1/cases/", {"name": "xeri"})
    assert response.status_code == 400
    assert "name" in response.json()
