"""Logging in and out in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from access.models import Role
from access.second_factor import totp_device_enrol
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


def test_a_supervisor_logs_in_with_an_authenticator_code(journey, person):
    supervisor = person("e2e-supervisor", Role.SUPERVISOR, "DHK")
    totp_device_enrol(user=supervisor)
    page = journey.page
    journey.login("e2e-supervisor")  # the password alone is not enough for this role
    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    journey.shot("code-needed")

    journey.login_with_code(supervisor)
    assert "/accounts/login/" not in page.url
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    journey.shot("audit-trail")
    assert AuditEntry.objects.filter(action="login", actor_username="e2e-supervisor").exists()
