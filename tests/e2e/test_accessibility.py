"""Accessibility checks in the browser over the main pages of each area (WCAG 2.1 AA is the
target): landmarks, a language, a label for every input, a name for every button and link, a
visible focus ring, and the keyboard reaching the main content first."""

import pytest

from access.models import Role
from cases.lifecycle import EventType
from cases.services import case_transition

pytestmark = pytest.mark.django_db(transaction=True)

# Run in the page: what a screen reader or keyboard user would miss.
PROBLEMS = """() => {
  const problems = [];
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  if (!document.documentElement.lang) problems.push('html without lang');
  if (document.querySelectorAll('main').length !== 1) problems.push('not exactly one main');
  document.querySelectorAll('nav').forEach(n => {
    if (!n.getAttribute('aria-label') && !n.getAttribute('aria-labelledby'))
      problems.push('nav without a name');
  });
  document.querySelectorAll('input, select, textarea').forEach(e => {
    if (e.type === 'hidden' || !visible(e)) return;
    const named = (e.labels && e.labels.length) || e.getAttribute('aria-label')
      || e.getAttribute('aria-labelledby') || e.title;
    if (!named) problems.push('unlabelled ' + e.tagName + ' ' + (e.name || e.id));
  });
  document.querySelectorAll('button, a[href]').forEach(e => {
    if (!visible(e)) return;
    const name = (e.textContent || e.getAttribute('aria-label') || e.title || '').trim();
    if (!name) problems.push('unnamed ' + e.tagName + ' ' + (e.getAttribute('href') || ''));
  });
  document.querySelectorAll('img, svg[role=img]').forEach(e => {
    if (e.tagName === 'IMG' && !e.hasAttribute('alt')) problems.push('img without alt');
    if (e.tagName === 'svg' && !e.getAttribute('aria-label') && !e.querySelector('title'))
      problems.push('svg image without a name');
  });
  document.querySelectorAll('table').forEach(t => {
    if (!t.querySelector('th')) problems.push('table without headers');
  });
  return problems;
}"""


def test_the_main_pages_have_no_accessibility_problems(journey, person, make_case, gazetteer):
    case = make_case(case_number="A11Y-1")
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2019-01-01", actor=None, source="office"
    )
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    person("analyst", Role.ANALYST)
    pages = {
        "caseworker-duhok": [
            "/cases/",
            "/cases/list/",
            f"/cases/{case.pk}/",
            "/cases/new/",
            "/graves/",
            "/graves/remains/",
            "/aid/",
            "/exports/new/",
            "/accounts/password/",
        ],
        "analyst": ["/reports/", "/reports/figures/", "/reports/lifecycle_funnel/"],
    }
    found = {}
    for username, paths in pages.items():
        journey.login(username)
        for path in paths:
            journey.goto(path)
            problems = journey.page.evaluate(PROBLEMS)
            if problems:
                found[path] = problems
        journey.logout()
    journey.goto("/accounts/login/")
    if problems := journey.page.evaluate(PROBLEMS):
        found["/accounts/login/"] = problems
    assert found == {}


def test_the_keyboard_reaches_the_content_first_with_a_visible_focus(journey, person):
    person("caseworker-duhok", Role.CASEWORKER, "DHK")
    journey.login("caseworker-duhok")
    journey.goto("/cases/list/")
    page = journey.page
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"  # the first stop skips the navigation
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.top]; })()"
    )
    assert style[0] != "none" and style[1] != "0px"
    journey.shot("skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
