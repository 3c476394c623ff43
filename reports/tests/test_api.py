"""The reports API: the list, a report as of a day with the same numbers as the page, 400s that
name the parameter at fault, and the figures reconciliation."""

import datetime as dt

import pytest

from access.models import Role
from cases.lifecycle import EventType
from reports.models import PublishedFigure
from reports.registry import REPORTS
from reports.tests.conftest import transition

D = dt.date


@pytest.fixture
def analyst(api_persona):
    return api_persona(Role.ANALYST)[1]


def get(client, auth, url, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=auth)


def test_the_list_names_every_report_the_role_may_read(client, analyst, api_persona):
    listed = get(client, analyst, "/api/v1/reports/").json()["results"]
    assert {r["key"] for r in listed} == set(REPORTS) - {"dna_worklist"}
    rescues = next(r for r in listed if r["key"] == "rescues_over_time")
    assert rescues["parameters"] == [
        {"name": "grouping", "label": "Per", "choices": ["month", "year"], "default": "year"}
    ]
    assert rescues["url"] == "/api/v1/reports/rescues_over_time/"
    _user, caseworker = api_persona(Role.CASEWORKER)
    keys = {r["key"] for r in get(client, caseworker, "/api/v1/reports/").json()["results"]}
    assert "dna_worklist" in keys


def test_a_report_as_of_a_day(client, analyst, make_case):
    for on in ("2015-01-10", "2016-05-01"):
        transition(make_case(), EventType.RESCUED, on)
    data = get(
        client, analyst, "/api/v1/reports/rescues_over_time/", as_of="2015-12-31", grouping="year"
    ).json()
    assert data["key"] == "rescues_over_time" and data["as_of"] == "2015-12-31"
    assert [c["key"] for c in data["columns"]][:2] == ["period", "total"]
    assert {c["kind"] for c in data["columns"][1:]} == {"count"}
    assert data["rows"] == [["2015", 1, 1, 0, 1, 0, 0, 0], ["Total", 1, 1, 0, 1, 0, 0, 0]]
    assert data["has_total_row"] is True and data["notes"]


def test_the_default_day_is_today(client, analyst):
    data = get(client, analyst, "/api/v1/reports/lifecycle_funnel/").json()
    assert data["as_of"] == dt.date.today().isoformat()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2020-02-30"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": (dt.date.today() + dt.timedelta(days=1)).isoformat()}, "as_of"),
        ({"grouping": "week"}, "grouping"),
        ({"level": "grave"}, "level"),  # a parameter this report does not take
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(client, analyst, params, field):
    response = get(client, analyst, "/api/v1/reports/rescues_over_time/", **params)
    assert response.status_code == 400
    assert field in response.json()


def test_an_unknown_report_is_not_found(client, analyst):
    assert get(client, analyst, "/api/v1/reports/no_such_report/").status_code == 404


def test_the_page_shows_the_same_numbers_and_a_400_for_a_bad_date(persona, make_case):
    transition(make_case(), EventType.RESCUED, "2015-01-10")
    client = persona(Role.ANALYST)
    page = client.get("/reports/lifecycle_funnel/", {"as_of": "2015-12-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<caption>" in html and 'scope="col"' in html
    assert "/api/v1/reports/lifecycle_funnel/?as_of=2015-12-31" in html
    api = client.get("/api/v1/reports/lifecycle_funnel/", {"as_of": "2015-12-31"}).json()
    rescued = next(row for row in api["rows"] if row[0] == "rescued")
    assert page.context["table"].rows[0] == tuple(rescued)
    bad = client.get("/reports/lifecycle_funnel/", {"as_of": "2015-13-01"})
    assert bad.status_code == 400 and bad.context["form"].errors["as_of"]


def test_the_figures_reconciliation_api(client, analyst, api_persona, make_case):
    transition(make_case(), EventType.RESCUED, "2015-03-01")
    PublishedFigure.objects.create(
        ref="rescued-2016",
        key="rescued_total",
        label="Rescued",
        as_of=D(2016, 1, 1),
        value=2,
        publisher="Rescue office (test)",
        definition="People rescued",
        conflict_reason="The office counted a person twice.",
    )
    [figure] = get(client, analyst, "/api/v1/reports/figures/").json()["figures"]
    assert (figure["computed"], figure["status"]) == (1, "conflict")
    assert figure["note"] == "The office counted a person twice."
    assert figure["cases_url"] is None  # analysts never drill down to cases
    _user, caseworker = api_persona(Role.CASEWORKER)
    [figure] = get(client, caseworker, "/api/v1/reports/figures/").json()["figures"]
    assert figure["cases_url"] == "/reports/figures/rescued-2016/cases/"
    assert get(client, analyst, "/api/v1/reports/figures/", as_of="2016-01-02").json() == {
        "figures": []
    }
    assert "as_of" in get(client, analyst, "/api/v1/reports/figures/", as_of="x").json()


def test_the_schema_describes_the_reports(client, analyst):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/", HTTP_AUTHORIZATION=analyst).content)
    detail = schema["paths"]["/api/v1/reports/{key}/"]["get"]
    names = {p["name"] for p in detail["parameters"]}
    assert {"key", "as_of", "grouping", "level"} <= names
    assert "/api/v1/reports/figures/" in schema["paths"]
