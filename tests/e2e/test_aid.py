"""Aid in a real browser: an aid officer approves a payment for a rescued case of the office and
records it as paid; the caseworker of the case then sees the payment on the case page."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from access.models import Role
from aid.models import AidProgramme, Disbursement
from cases.lifecycle import EventType
from cases.services import case_transition

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_aid_officer_approves_and_pays_a_rescued_survivor(journey, person, make_case, offices):
    AidProgramme.objects.create(
        code="survivor-salary",
        name="Survivors' monthly salary",
        administered_by="Directorate of Survivors' Affairs",
        frequency=AidProgramme.Frequency.MONTHLY,
        standard_amount=Decimal("800000"),
        starts_on=dt.date(2021, 1, 1),
    )
    case = make_case(case_number="DHK-E2E-50", given_name_latn="Hadiya", family_name_latn="Xeri")
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2019-04-02", actor=None, source="office"
    )
    make_case(case_number="DHK-E2E-51", given_name_latn="Still")  # missing: not eligible
    theirs = make_case(case_number="SNJ-E2E-52", office=offices["sinjar"])
    case_transition(
        case=theirs, event_type=EventType.RESCUED, on="2019-04-02", actor=None, source="office"
    )
    person("aid-officer-duhok", Role.AID_OFFICER, "DHK")
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    page = journey.page
    month = dt.date.today().strftime("%B %Y")

    journey.login("aid-officer-duhok")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Aid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aid programmes")
    journey.shot("programmes")
    page.get_by_role("link", name="Survivors' monthly salary").click()

    unpaid = page.get_by_role("table", name=f"Eligible without a payment for {month}")
    expect(unpaid.get_by_role("row").filter(has_text="DHK-E2E-50")).to_contain_text("Hadiya")
    expect(unpaid).not_to_contain_text("DHK-E2E-51")  # not rescued
    expect(unpaid).not_to_contain_text("SNJ-E2E-52")  # another office
    journey.shot("eligible")
    row = unpaid.get_by_role("row").filter(has_text="DHK-E2E-50")
    expect(row.get_by_label("Approved on")).to_have_value(dt.date.today().isoformat())
    row.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_contain_text("Payment to DHK-E2E-50 approved.")
    payments = page.get_by_role("table", name=f"Payments for {month}")
    payment_row = payments.get_by_role("row").filter(has_text="DHK-E2E-50")
    expect(payment_row).to_contain_text("800000")
    expect(payment_row).to_contain_text("Approved")
    expect(page.get_by_text("Every eligible case has a payment for this month.")).to_be_visible()
    journey.shot("approved")

    payment_row.get_by_role("link", name="Record the payment").click()
    page.get_by_label("Paid on").fill(dt.date.today().isoformat())
    page.get_by_label("Payment reference").fill("KRG-BANK-2291")
    journey.shot("record-payment")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The payment is recorded.")
    payment_row = payments.get_by_role("row").filter(has_text="DHK-E2E-50")
    expect(payment_row).to_contain_text("Paid")
    expect(payment_row.get_by_role("link", name="Reverse")).to_be_visible()
    journey.shot("paid")

    disbursement = Disbursement.objects.get(case=case)
    assert disbursement.status == Disbursement.Status.PAID
    assert disbursement.period == dt.date.today().replace(day=1)

    # The caseworker of the office sees the payment on the case page.
    journey.logout()
    journey.login("caseworker-duhok")
    journey.goto(f"/cases/{case.pk}/")
    aid = page.get_by_role("region", name="Aid disbursements")
    expect(aid.get_by_role("row").filter(has_text="Survivors' monthly salary")).to_contain_text(
        "Paid"
    )
    journey.shot("case-page-aid")
