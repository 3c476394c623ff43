"""Personas for the account tests, named by role and office, and login helpers.

Passwords pass the project's validators; the test settings hash with MD5 for speed.
"""

import pytest
from django.urls import reverse
from django_otp.oath import totp

from access.models import Role
from access.second_factor import totp_device_enrol
from access.services import user_create

PASSWORD = "a-long-test-passphrase-2014"


@pytest.fixture
def make_user(offices):
    def make(username: str, role: str, office_codes=("DHK",), password=PASSWORD):
        return user_create(
            username=username, role=role, offices=list(office_codes), password=password
        )

    return make


@pytest.fixture
def caseworker_duhok(make_user):
    return make_user("caseworker-duhok", Role.CASEWORKER)


@pytest.fixture
def supervisor_duhok(make_user):
    return make_user("supervisor-duhok", Role.SUPERVISOR)


@pytest.fixture
def supervisor_device(supervisor_duhok):
    return totp_device_enrol(user=supervisor_duhok)


def current_code(device) -> str:
    device.refresh_from_db()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def login_post(client, username, password=PASSWORD, code=None, **extra):
    data = {"username": username, "password": password, **extra}
    if code is not None:
        data["otp_token"] = code
    return client.post(reverse("login"), data)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")
