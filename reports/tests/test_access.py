"""Who may read reports, on the pages and the API: the roles of the policy's matrix; the others
are refused (403) and the refusal is audited. Aggregates are national; the worklist and the
drill-down list only the cases the user may see, with no personal data for analysts."""

import datetime as dt

import pytest
from django.urls import reverse

from access.models import Role
from audit.models import AuditEntry
from cases.lifecycle import EventType
from reports.models import PublishedFigure
from reports.registry import REPORTS
from reports.tests.conftest import ROLES_WITH_REPORTS, ROLES_WITHOUT_REPORTS, transition

D = dt.date
NAME = "Testa"  # the given name of every case made by the make_case fixture
PHONE = "+964 750 000 0000"  # every test relative's phone


@pytest.fixture
def two_offices(make_case, offices, add_relative):
    """A still-missing case in each office, neither with a sampled relative; one rescued."""
    duhok = make_case(office=offices["duhok"], captivity_notes="held in Raqqa")
    sinjar = make_case(office=offices["sinjar"])
    rescued = make_case(office=offices["duhok"])
    transition(rescued, EventType.RESCUED, "2016-01-01")
    add_relative(duhok)
    return {"duhok": duhok, "sinjar": sinjar, "rescued": rescued}


@pytest.fixture
def figure(db):
    return PublishedFigure.objects.create(
        ref="test-still-missing",
        key="still_missing",
        label="Still missing",
        as_of=D(2020, 1, 1),
        value=2,
        publisher="Rescue office (test)",
        source_url="https://example.org/source",
        definition="Kidnapped minus rescued minus returned.",
    )


@pytest.mark.parametrize("role", ROLES_WITHOUT_REPORTS)
def test_roles_without_reports_are_refused_on_every_page_and_audited(persona, role, figure):
    client = persona(role)
    urls = [
        reverse("reports:index"),
        reverse("reports:detail", args=["lifecycle_funnel"]),
        reverse("reports:figures"),
        reverse("reports:figure-cases", args=[figure.ref]),
    ]
    for url in urls:
        before = AuditEntry.objects.filter(action="denied").count()
        assert client.get(url).status_code == 403, url
        assert AuditEntry.objects.filter(action="denied").count() == before + 1, url


@pytest.mark.parametrize("role", [Role.AID_OFFICER, Role.PARTNER])
def test_roles_without_reports_are_refused_on_the_api(client, api_persona, role):
    _user, auth = api_persona(role)
    for url in (
        "/api/v1/reports/",
        "/api/v1/reports/lifecycle_funnel/",
        "/api/v1/reports/figures/",
    ):
        assert client.get(url, HTTP_AUTHORIZATION=auth).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in_and_the_api_wants_credentials(client, db):
    assert client.get(reverse("reports:index")).status_code == 302
    assert client.get("/api/v1/reports/").status_code == 401


@pytest.mark.parametrize("role", ROLES_WITH_REPORTS)
def test_roles_with_reports_see_the_index_and_national_figures(persona, two_offices, role):
    client = persona(role, "DHK")
    index = client.get(reverse("reports:index"))
    assert index.status_code == 200
    response = client.get(reverse("reports:detail", args=["breakdown_by_office"]))
    assert response.status_code == 200
    html = response.content.decode()
    # both offices count, whichever office the reader belongs to
    assert "Duhok" in html and "Sinjar" in html
    assert NAME not in html


def test_the_analyst_sees_no_case_list_and_no_personal_data(persona, two_offices, figure):
    client = persona(Role.ANALYST)
    index = client.get(reverse("reports:index")).content.decode()
    assert "dna_worklist" not in index
    assert client.get(reverse("reports:detail", args=["dna_worklist"])).status_code == 404
    figures = client.get(reverse("reports:figures")).content.decode()
    assert reverse("reports:figure-cases", args=[figure.ref]) not in figures
    assert client.get(reverse("reports:figure-cases", args=[figure.ref])).status_code == 403
    for key in REPORTS:
        if key == "dna_worklist":
            continue
        html = client.get(reverse("reports:detail", args=[key])).content.decode()
        for personal in (NAME, PHONE, "held in Raqqa", two_offices["duhok"].case_number):
            assert personal not in html, (key, personal)


def test_the_worklist_lists_only_the_cases_the_user_may_see_and_is_audited(persona, two_offices):
    client = persona(Role.CASEWORKER, "DHK")
    before = AuditEntry.objects.filter(action="view").count()
    html = client.get(reverse("reports:detail", args=["dna_worklist"])).content.decode()
    assert two_offices["duhok"].case_number in html
    assert two_offices["sinjar"].case_number not in html  # another office's case
    assert two_offices["rescued"].case_number not in html  # not missing
    assert NAME not in html and PHONE not in html
    view = AuditEntry.objects.filter(action="view").order_by("-sequence").first()
    assert AuditEntry.objects.filter(action="view").count() == before + 1
    assert view.changes["ids"] == [str(two_offices["duhok"].pk)]
    assert "case_number" in view.changes["fields"]


def test_the_forensic_worklist_spans_offices_without_the_office_field(persona, two_offices):
    client = persona(Role.FORENSIC)
    response = client.get("/api/v1/reports/dna_worklist/")
    data = response.json()
    numbers = {row[0] for row in data["rows"]}
    assert numbers == {two_offices["duhok"].case_number, two_offices["sinjar"].case_number}
    assert "office" not in [column["key"] for column in data["columns"]]


def test_the_drill_down_lists_the_counted_cases_the_user_may_see_and_is_audited(
    persona, two_offices, figure
):
    client = persona(Role.CASEWORKER, "DHK")
    figures = client.get(reverse("reports:figures")).content.decode()
    drill_url = reverse("reports:figure-cases", args=[figure.ref])
    assert drill_url in figures
    before = AuditEntry.objects.filter(action="view").count()
    html = client.get(drill_url).content.decode()
    assert two_offices["duhok"].case_number in html
    assert two_offices["sinjar"].case_number not in html  # counted, but another office's
    assert two_offices["rescued"].case_number not in html  # not counted
    assert NAME not in html and "held in Raqqa" not in html
    entry = AuditEntry.objects.filter(action="view").order_by("-sequence").first()
    assert AuditEntry.objects.filter(action="view").count() == before + 1
    assert entry.changes["ids"] == [str(two_offices["duhok"].pk)]
    assert entry.changes["figure"] == figure.ref


def test_the_drill_down_of_a_figure_that_counts_no_cases_is_not_found(persona, figure):
    figure.key = "mass_graves"
    figure.save()
    client = persona(Role.SUPERVISOR, "DHK")
    assert client.get(reverse("reports:figure-cases", args=[figure.ref])).status_code == 404
    assert client.get(reverse("reports:figure-cases", args=["no-such-ref"])).status_code == 404


def test_the_drill_down_pages_by_case_number(persona, make_case, figure, monkeypatch):
    from reports import views

    monkeypatch.setattr(views, "DRILL_PAGE_SIZE", 2)
    cases = sorted((make_case() for _ in range(3)), key=lambda c: c.case_number)
    client = persona(Role.CASEWORKER, "DHK")
    url = reverse("reports:figure-cases", args=[figure.ref])
    first = client.get(url)
    assert first.context["next_after"] == cases[1].case_number
    second = client.get(url, {"after": cases[1].case_number}).content.decode()
    assert cases[2].case_number in second and cases[0].case_number not in second
