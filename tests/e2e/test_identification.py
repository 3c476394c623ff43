"""From a grave to the family, in a real browser: one forensic user proposes that remains are a
missing person's, a second confirms it, and the caseworker of the case's office records the
handover; the case then shows the remains returned."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from access.models import Role
from cases.lifecycle import Status
from graves.models import GraveSite, Identification, Remains
from graves.services import (
    exhumation_start,
    grave_site_confirm,
    grave_site_report,
    remains_record,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def remains(gazetteer):
    site = grave_site_report(
        site=GraveSite(code="KCH-01", name="Kocho school", place=gazetteer["kocho"]),
        reported_on=dt.date(2015, 3, 1),
        source="witness",
        estimated_victims=80,
    )
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    exhumation = exhumation_start(site=site, started_on=dt.date(2019, 3, 15), team="Team A")
    return remains_record(
        remains=Remains(
            code="KCH-01-017", recovered_on=dt.date(2019, 3, 20), sex_estimate="female"
        ),
        exhumation=exhumation,
    )


def test_forensic_identification_confirmed_by_a_second_person_then_handed_over(
    journey, person, make_case, remains
):
    case = make_case(case_number="DHK-E2E-30", given_name_latn="Gulê", given_name_ar="گولێ")
    person("forensic-1", Role.FORENSIC)
    person("forensic-2", Role.FORENSIC)
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    page = journey.page

    # The first forensic user proposes the identification from the worklist.
    journey.login("forensic-1")
    journey.goto("/graves/")
    page.get_by_role("navigation", name="Forensic pages").get_by_role(
        "link", name="Remains awaiting identification"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("1 set of remains awaits identification")
    journey.shot("worklist")
    page.get_by_role("link", name="KCH-01-017").click()
    page.get_by_role("link", name="Propose an identification").click()
    page.get_by_label("Case number").fill("DHK-E2E-30")
    page.get_by_label("Method").select_option(label="DNA kinship analysis")
    page.get_by_label("Identified on").fill("2019-11-04")
    page.get_by_label("Match statistic").fill("0.9999")
    journey.shot("propose")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("awaits confirmation by a second person")
    expect(page.get_by_test_id("identification-status")).to_have_text("Proposed")
    expect(page.get_by_text("You proposed this identification")).to_be_visible()
    # One may not confirm one's own proposal.
    expect(page.get_by_role("link", name="Confirm", exact=True)).to_have_count(0)
    journey.shot("proposed")
    journey.logout()

    # A second forensic user finds it through the site and confirms it.
    journey.login("forensic-2")
    journey.goto("/graves/")
    page.get_by_role("link", name="KCH-01", exact=True).click()
    page.get_by_role("link", name="KCH-01-017").click()
    page.get_by_role("link", name="Proposed").click()
    page.get_by_role("link", name="Confirm", exact=True).click()
    expect(page.get_by_label("Confirmed on")).to_have_value(dt.date.today().isoformat())
    page.get_by_label("Confirmed on").fill("2019-12-01")
    page.get_by_label("Source").fill("lab report 2019/117")
    journey.shot("confirm")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The identification is confirmed.")
    expect(page.get_by_test_id("identification-status")).to_have_text("Confirmed")
    expect(page.get_by_text("forensic-2, ")).to_be_visible()  # confirmed by
    # Forensic users do not record handovers: that is the case's office's work.
    expect(page.get_by_role("link", name="Record the handover to the family")).to_have_count(0)
    journey.shot("confirmed")
    journey.logout()

    # The caseworker of the case's office sees it among what needs action and hands over.
    journey.login("caseworker-duhok")
    journey.goto("/cases/")
    to_notify = page.get_by_role("region", name="Remains identified: family to be told")
    expect(to_notify.get_by_role("link", name="DHK-E2E-30")).to_be_visible()
    journey.shot("home-to-notify")
    to_notify.get_by_role("link", name="DHK-E2E-30").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remains identified")
    section = page.get_by_role("region", name="Identification and handover")
    expect(section).to_contain_text("Confirmed")
    section.get_by_role("link", name="Remains KCH-01-017").click()
    page.get_by_role("link", name="Record the handover to the family").click()
    page.get_by_label("Handed over on").fill("2020-02-06")
    page.get_by_label("Source").fill("Duhok office")
    page.get_by_label("Ceremony or batch").fill("Kocho reburial, February 2020")
    journey.shot("handover")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("The handover is recorded")
    expect(page.get_by_text("The remains were returned to the family on")).to_be_visible()

    page.get_by_role("link", name="DHK-E2E-30").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remains returned to the family")
    expect(page.get_by_role("region", name="Identification and handover")).to_contain_text(
        re.compile(r"Returned to the family on .*2020.* · Kocho reburial, February 2020")
    )
    events = page.get_by_role("region", name="Timeline").get_by_role("listitem")
    identified = events.filter(has=page.get_by_text("Remains identified", exact=True))
    returned = events.filter(has=page.get_by_text("Remains returned to the family", exact=True))
    expect(identified).to_contain_text("2019-11-04")  # dated by the identification
    expect(returned).to_contain_text("2020-02-06")
    journey.shot("case-remains-returned")

    case.refresh_from_db()
    assert case.status == Status.REMAINS_RETURNED
    identification = Identification.objects.get(case=case)
    assert identification.proposed_by.username == "forensic-1"
    assert identification.confirmed_by.username == "forensic-2"
