"""The Arabic pages are laid out right to left, and the caseworker's pages fit a 360 px phone
(no sideways scrolling of the whole page; wide tables scroll inside their own box)."""

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from access.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

CASEWORKER_PAGES = ("home", "case-list", "case-page", "register")


def _(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


@pytest.fixture
def duhok_cases(make_case):
    """Cases with long names in both scripts, the widest rows the list shows."""
    return [
        make_case(
            case_number=f"DHK-E2E-{n:03d}",
            given_name_ar="عبدالرحمن",
            father_name_ar="خضر",
            grandfather_name_ar="عبدالكريم",
            family_name_ar="الهويري",
            given_name_latn="Abdulrahman",
            father_name_latn="Khidir",
            grandfather_name_latn="Abdulkarim",
            family_name_latn="Al-Huwairi",
            captivity_notes="Moved between Tal Afar, Mosul and Raqqa; " * 5,
        )
        for n in range(3)
    ]


def test_the_arabic_pages_are_right_to_left(journey, person, duhok_cases):
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    page = journey.page
    journey.login("caseworker-duhok")
    journey.goto("/cases/list/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    journey.use_language("ar")

    journey.goto("/cases/list/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    # The switcher marks the language in use.
    arabic = dict(settings.LANGUAGES)["ar"]
    expect(page.get_by_role("button", name=arabic, exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    journey.shot("case-list-ar")

    page.get_by_role("link", name=duhok_cases[0].case_number).click()
    expect(page.locator("html[dir=rtl][lang=ar]")).to_have_count(1)
    # The Arabic name reads right to left; the Latin one keeps its own direction.
    expect(page.get_by_text("عبدالرحمن", exact=True)).to_have_attribute("dir", "rtl")
    # The timeline heading is on the right-hand side of the page, as Arabic readers expect.
    heading = page.get_by_role("heading", name=_("Timeline", "ar"), exact=True).bounding_box()
    main = page.locator("main").bounding_box()
    assert heading and main
    assert heading["x"] + heading["width"] > main["x"] + main["width"] * 0.8
    journey.shot("case-page-ar")

    # The choice is remembered from page to page.
    journey.goto("/cases/")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    journey.shot("home-ar")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_caseworker_pages_fit_a_phone(phone_journey, person, duhok_cases, language):
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    page = phone_journey.page
    phone_journey.login("caseworker-duhok")
    if language != "en":
        phone_journey.use_language(language)
    too_wide = []
    for name, path in (
        ("home", "/cases/"),
        ("case-list", "/cases/list/?q=Abdulrahman"),
        ("case-page", f"/cases/{duhok_cases[0].pk}/"),
        ("register", "/cases/new/"),
    ):
        phone_journey.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        if name == "case-page":
            # With an action form open, the widest state of the page.
            page.get_by_text(_("Rescued", language), exact=True).click()
        phone_journey.shot(f"{name}-{language}")
        if not phone_journey.has_no_horizontal_scroll():
            too_wide.append(
                (name, page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))
            )
    assert not too_wide, f"pages wider than the phone (scrollWidth, innerWidth): {too_wide}"
