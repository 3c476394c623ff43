"""A caseworker's day in a real browser: find a case by another spelling of the name, record a
rescue and see it on the timeline; be refused a case of another office; register a new case past
the possible duplicates. Data is arranged through the ORM and services; only the steps under test
go through the browser."""

import re

import pytest
from playwright.sync_api import expect

from access.models import Role
from cases.lifecycle import EventType, Status
from cases.models import Case

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_caseworker_finds_a_case_by_an_arabic_spelling_and_records_a_rescue(
    journey, person, make_case
):
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    # Stored with alef maqsura (ليلى) and hamza under the alef (إبراهيم).
    case = make_case(
        case_number="DHK-E2E-1",
        given_name_ar="ليلى",
        father_name_ar="إبراهيم",
        given_name_latn="Layla",
        father_name_latn="Ibrahim",
    )
    make_case(case_number="DHK-E2E-2", given_name_ar="خالدة", given_name_latn="Khalida")
    page = journey.page

    journey.login("caseworker-duhok")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    journey.shot("case-list")
    # Searched with ya for the alef maqsura, a bare alef, and tashkeel on the first name.
    page.get_by_label("Name or case number").fill("لَيْلِي ابراهيم")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name=re.compile("found"))
    expect(results.get_by_role("heading")).to_have_text("1 case found")
    expect(results.get_by_role("link", name="DHK-E2E-1")).to_be_visible()
    expect(results).not_to_contain_text("DHK-E2E-2")
    journey.shot("found-by-another-spelling")

    results.get_by_role("link", name="DHK-E2E-1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DHK-E2E-1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reported missing")
    journey.shot("case-page")

    actions = page.get_by_role("region", name="What can be recorded now")
    actions.get_by_text("Rescued", exact=True).click()  # the action's <summary>
    rescue = actions.locator("details", has=page.get_by_text("Rescued", exact=True))
    rescue.get_by_label("Date").fill("2016-05-14")
    rescue.get_by_label("Source").fill("Duhok office interview")
    rescue.get_by_label("Note").fill("Reached the camp with her brother.")
    journey.shot("rescue-form")
    rescue.get_by_role("button", name="Record: Rescued").click()

    expect(page.get_by_role("status")).to_contain_text("Recorded: Rescued.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rescued (alive)")
    timeline = page.get_by_role("region", name="Timeline")
    rescued_item = timeline.get_by_role("listitem").filter(has_text="Rescued")
    expect(rescued_item).to_contain_text("2016-05-14")
    expect(rescued_item).to_contain_text("Duhok office interview")
    expect(rescued_item).to_contain_text("recorded by caseworker-duhok")
    journey.shot("rescue-on-the-timeline")

    case.refresh_from_db()
    assert case.status == Status.RESCUED
    assert case.events.filter(type=EventType.RESCUED, source="Duhok office interview").exists()


def test_a_caseworker_is_refused_a_case_of_another_office(journey, person, make_case, offices):
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    theirs = make_case(
        case_number="SNJ-E2E-1",
        office=offices["sinjar"],
        given_name_ar="نادية",
        given_name_latn="Nadiya",
        captivity_notes="held in Raqqa",
    )
    page = journey.page
    journey.login("caseworker-duhok")

    # Not in the search either: the case does not exist for this caseworker.
    journey.goto("/cases/list/?q=Nadiya")
    expect(page.get_by_role("heading", name="0 cases found")).to_be_visible()
    journey.shot("not-in-the-search")

    response = page.goto(f"{journey.base_url}/cases/{theirs.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_text(re.compile("not found", re.I)).first).to_be_visible()
    body = page.locator("body")
    for shown in ("SNJ-E2E-1", "Nadiya", "نادية", "Raqqa", "Sinjar"):
        expect(body).not_to_contain_text(shown)
    journey.shot("not-found")


def test_a_caseworker_registers_a_case_past_its_possible_duplicates(
    journey, person, make_case, gazetteer
):
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    make_case(
        case_number="DHK-E2E-7",
        given_name_ar="سعاد",
        father_name_ar="خلف",
        given_name_latn="Suad",
        father_name_latn="Khalaf",
    )
    page = journey.page
    journey.login("caseworker-duhok")
    journey.goto("/cases/list/")
    page.get_by_role("link", name="Register a new case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a new case")

    page.get_by_label("Given name (Arabic script)", exact=True).fill("سُعاد")
    page.get_by_label("Father's name (Arabic script)", exact=True).fill("خلف")
    page.get_by_label("Given name (Latin)", exact=True).fill("Su'ad")
    page.get_by_label("Father's name (Latin)", exact=True).fill("Khalaf")
    page.get_by_label("Sex", exact=True).select_option("female")
    page.get_by_label("Place of origin", exact=True).select_option(label="Kocho")
    page.get_by_label("Date of abduction", exact=True).fill("2014-08")
    page.get_by_label("Reported on", exact=True).fill("2024-05-02")
    page.get_by_label("Source of the report", exact=True).fill("her sister, at the Duhok office")
    expect(page.get_by_label("Registering office")).to_have_value(
        str(Case.objects.get(case_number="DHK-E2E-7").office_id)
    )
    journey.shot("registration-form")
    page.get_by_role("button", name="Register", exact=True).click()

    duplicates = page.get_by_role("alert").filter(has_text="Possible duplicates")
    expect(duplicates).to_be_visible()
    expect(duplicates.get_by_role("link", name="DHK-E2E-7")).to_be_visible()
    assert Case.objects.count() == 1  # nothing registered yet
    journey.shot("possible-duplicates")

    page.get_by_role("button", name="Not a duplicate: register the case").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Case \S+ registered\."))
    new_case = Case.objects.exclude(case_number="DHK-E2E-7").get()
    assert page.url.endswith(f"/cases/{new_case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(new_case.case_number)
    identity = page.get_by_role("region", name="Identity")
    expect(identity).to_contain_text("سُعاد")
    expect(identity).to_contain_text("Su'ad")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("her sister, at the Duhok office")
    journey.shot("new-case-page")
