"""No page issues more queries as its lists grow (issue 6): each list page is loaded with a few
rows and with many, and must cost the same number of queries both times."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import Role
from aid.models import AidProgramme
from audit.services import audit_log
from cases.lifecycle import EventType
from cases.services import case_transition
from exports.models import ExportJob
from graves.models import Exhumation, GraveSite, Remains
from graves.services import exhumation_start, grave_site_confirm, grave_site_report

pytestmark = pytest.mark.django_db


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def same_cost(client, url, grow, few=2, many=12):
    grow(few)
    small = queries(client, url)
    grow(many - few)
    assert queries(client, url) == small, url


@pytest.fixture
def site(gazetteer):
    site = grave_site_report(
        site=GraveSite(code="G-Q", name="Q", place=gazetteer["kocho"]),
        reported_on=dt.date(2015, 1, 1),
        source="s",
    )
    grave_site_confirm(site=site, on=dt.date(2015, 2, 1), source="s")
    return site


def test_grave_pages(client, web_user, web_login, site):
    web_login(web_user("lab", Role.FORENSIC))
    exhumation = exhumation_start(site=site, started_on=dt.date(2015, 3, 1), team="A")
    made = [0]

    def more_remains(n):
        for _ in range(n):
            made[0] += 1
            Remains.objects.create(
                code=f"R-{made[0]:03d}",
                site=site,
                exhumation=exhumation,
                recovered_on=dt.date(2015, 3, 2),
            )

    same_cost(client, "/graves/remains/", more_remains)
    same_cost(client, site.get_absolute_url(), more_remains)

    def more_exhumations(n):
        for k in range(n):
            Exhumation.objects.create(site=site, started_on=dt.date(2016, 1, 1 + k), team="B")

    same_cost(client, site.get_absolute_url(), more_exhumations)


def test_aid_programme_page(client, web_user, web_login, make_case):
    programme = AidProgramme.objects.create(
        code="q-salary",
        name="Q",
        administered_by="d",
        frequency="monthly",
        standard_amount=Decimal(1000),
        starts_on=dt.date(2020, 1, 1),
    )
    web_login(web_user("aid", Role.AID_OFFICER, "DHK"))

    def more_rescued(n):
        for _ in range(n):
            case = make_case()
            case_transition(
                case=case, event_type=EventType.RESCUED, on="2019-01-01", actor=None, source="s"
            )

    same_cost(client, f"/aid/programmes/{programme.pk}/?period=2021-01", more_rescued)


def test_exports_list(client, web_user, web_login):
    user = web_user("cw", Role.CASEWORKER, "DHK")
    web_login(user)

    def more_jobs(n):
        for _ in range(n):
            ExportJob.objects.create(requested_by=user, dataset="cases", format="csv")

    same_cost(client, "/exports/", more_jobs)


def test_audit_list(client, web_user, web_login):
    web_login(web_user("auditor", Role.AUDITOR))

    def more_entries(n):
        for k in range(n):
            audit_log(action="view", subject_type="cases.case", subject_id=f"c{k}")

    same_cost(client, "/audit/", more_entries)
