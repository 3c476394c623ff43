"""Logging in and out in a real browser."""

import re

import pytest

from access.models import Role
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_caseworker_logs_in_and_out(journey, person):
    person("e2e-caseworker", Role.CASEWORKER, "DHK")
    journey.login("e2e-caseworker")
    page = journey.page
    assert "/accounts/login/" not in page.url
    journey.shot("logged-in")
    assert AuditEntry.objects.filter(action="login", actor_username="e2e-caseworker").exists()

    journey.goto("/accounts/")
    page.get_by_role("button", name=re.compile("log out", re.I)).click()
    page.wait_for_load_state()
    journey.shot("logged-out")
    assert AuditEntry.objects.filter(action="logout", actor_username="e2e-caseworker").exists()


def test_a_wrong_password_is_refused_with_a_message(journey, person):
    person("e2e-caseworker", Role.CASEWORKER, "DHK")
    journey.login("e2e-caseworker", password="not-the-password")
    page = journey.page
    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    journey.shot("refused")
    assert AuditEntry.objects.filter(action="login_failed").exists()
