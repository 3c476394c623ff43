"""On the seeded data: the reconciliation page and API show every ledger figure with its
status, the headline figures reproduced and the known conflicts explained; the reports agree
with the published snapshot of 2 March 2025."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from reports.models import PublishedFigure
from reports.selectors import EXPLAINED

pytestmark = pytest.mark.usefixtures("seeded")


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_the_reconciliation_page_and_api_show_every_ledger_figure_with_its_status(db):
    refs = set(PublishedFigure.objects.values_list("ref", flat=True))
    assert len(refs) > 100
    analyst = logged_in("analyst")
    api = analyst.get("/api/v1/reports/figures/").json()["figures"]
    assert {figure["ref"] for figure in api} == refs
    assert {figure["status"] for figure in api} <= EXPLAINED  # nothing unexplained
    by_ref = {figure["ref"]: figure for figure in api}
    headline = next(f for f in api if f["key"] == "rescued_total" and f["as_of"] == "2024-12-03")
    assert (headline["published"], headline["computed"], headline["status"]) == (
        3579,
        3579,
        "match",
    )
    conflict = by_ref["2024-08-03-still_missing_female"]
    assert conflict["status"] == "conflict" and conflict["note"]
    assert all(f["cases_url"] is None for f in api)

    page = analyst.get("/reports/figures/")
    assert page.status_code == 200
    html = page.content.decode()
    for ref in refs:
        assert f'id="{ref}"' in html
    assert "status-conflict" in html and "status-match" in html
    assert "/cases/" not in html.split("<table", 1)[1]  # no drill-down for analysts


def test_a_caseworker_drills_into_the_cases_of_their_office(db):
    client = logged_in("caseworker-duhok")
    html = client.get("/reports/figures/").content.decode()
    assert "/reports/figures/2025-03-02-rescued_total/cases/" in html
    page = client.get("/reports/figures/2025-03-02-rescued_total/cases/")
    assert page.status_code == 200
    # Duhok's share of the 3,585 rescued, never all of them
    assert 0 < page.context["visible_count"] < 3585


def test_the_funnel_reproduces_the_snapshot_of_2_march_2025(db):
    data = (
        logged_in("analyst")
        .get("/api/v1/reports/lifecycle_funnel/", {"as_of": "2025-03-02"})
        .json()
    )
    rows = {row[0]: row[2:] for row in data["rows"]}
    total, female, male, women, men, girls, boys = rows["rescued"]
    assert (total, women, men, girls, boys) == (3585, 1211, 339, 1074, 961)
    assert rows["remains_returned"][:3] == [274, 37, 237]
    assert rows["still_missing"][0] == 2558
    assert rows["kidnapped"][0] == 6417
    assert dt.date.fromisoformat(data["as_of"]) == dt.date(2025, 3, 2)
