"""Issue 6's "done when", in one journey: in Arabic, on a 360 px phone, a caseworker registers a
case and records the rescue, and an aid officer approves and pays the survivor's aid. Names on
buttons and labels are looked up in the Arabic catalogue, so the test reads the page as an
Arabic speaker does (and fails if a step is left in English)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from playwright.sync_api import expect

from access.models import Role
from aid.models import AidProgramme, Disbursement
from cases.lifecycle import EventType, Status
from cases.models import Case

pytestmark = pytest.mark.django_db(transaction=True)


def ar(text: str, **values) -> str:
    with translation.override("ar"):
        translated = gettext(text)
    return translated % values if values else translated


def ar_field(name: str) -> str:
    with translation.override("ar"):
        return str(capfirst(Case._meta.get_field(name).verbose_name))


def ar_label(choice) -> str:
    with translation.override("ar"):
        return str(choice.label)


def test_registration_rescue_and_aid_in_arabic_on_a_phone(
    phone_journey, person, gazetteer, offices
):
    AidProgramme.objects.create(
        code="survivor-salary",
        name="Survivors' monthly salary",
        administered_by="Directorate of Survivors' Affairs",
        frequency=AidProgramme.Frequency.MONTHLY,
        standard_amount=Decimal("800000"),
        starts_on=dt.date(2021, 1, 1),
    )
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    person("aid-officer-duhok", Role.AID_OFFICER, "DHK")
    journey, page = phone_journey, phone_journey.page

    journey.login("caseworker-duhok")
    journey.use_language("ar")
    journey.goto("/cases/new/")
    expect(page.locator("html[dir=rtl][lang=ar]")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(ar("Register a new case"))
    page.get_by_label(ar_field("given_name_ar"), exact=True).fill("هدية")
    page.get_by_label(ar_field("family_name_ar"), exact=True).fill("خيري")
    page.get_by_label(ar_field("sex"), exact=True).select_option("female")
    page.get_by_label(ar_field("origin"), exact=True).select_option(label="Kocho")
    page.get_by_label(ar_field("abducted_on"), exact=True).fill("2014-08-03")
    page.get_by_label(ar("Reported on"), exact=True).fill("2015-01-10")
    page.get_by_label(ar("Source of the report"), exact=True).fill("مكتب دهوك")
    assert journey.has_no_horizontal_scroll()
    journey.shot("register-ar")
    page.get_by_role("button", name=ar("Register"), exact=True).click()

    case = Case.objects.get(given_name_ar="هدية")
    expect(page).to_have_url(f"{journey.base_url}/cases/{case.pk}/")
    assert journey.has_no_horizontal_scroll()
    journey.shot("case-ar")

    rescued = ar_label(EventType.RESCUED)
    actions = page.locator("details", has=page.get_by_text(rescued, exact=True))
    actions.get_by_text(rescued, exact=True).click()
    actions.get_by_label(ar("Date")).fill("2019-04-02")
    actions.get_by_label(ar("Source")).fill("مقابلة في المخيم")
    journey.shot("rescue-form-ar")
    actions.get_by_role("button", name=ar("Record: %(event)s", event=rescued)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ar_label(Status.RESCUED))
    assert journey.has_no_horizontal_scroll()
    journey.shot("rescued-ar")
    case.refresh_from_db()
    assert case.status == Status.RESCUED

    journey.logout()
    journey.login("aid-officer-duhok")
    journey.use_language("ar")
    journey.goto("/aid/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ar("Aid programmes"))
    page.get_by_role("link", name="Survivors' monthly salary").click()
    row = page.get_by_role("row").filter(has_text=case.case_number)
    expect(row).to_contain_text("هدية")
    journey.shot("eligible-ar")
    row.get_by_role("button", name=ar("Approve")).click()
    payment = Disbursement.objects.get(case=case)
    expect(page.get_by_role("link", name=ar("Record the payment"))).to_be_visible()
    page.get_by_role("link", name=ar("Record the payment")).click()
    page.get_by_label(ar("Paid on")).fill(dt.date.today().isoformat())
    page.get_by_role("button", name=ar("Save")).click()
    expect(page.get_by_role("status")).to_contain_text(ar("The payment is recorded."))
    assert journey.has_no_horizontal_scroll()
    journey.shot("paid-ar")
    payment.refresh_from_db()
    assert payment.status == Disbursement.Status.PAID
