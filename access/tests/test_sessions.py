"""Idle and absolute session timeouts, and disabling an account while it is logged in."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from access.middleware import LAST_SEEN_KEY, LOGIN_AT_KEY
from access.models import UserSession
from access.services import user_disable
from access.tokens import token_issue

from .conftest import logged_in_user_id

pytestmark = pytest.mark.django_db


def shift_clock(client, *, login_ago: float, last_seen_ago: float) -> str:
    session = client.session
    now = time.time()
    session[LOGIN_AT_KEY] = now - login_ago
    session[LAST_SEEN_KEY] = now - last_seen_ago
    session.save()
    return session.session_key


def test_login_starts_both_clocks(client, caseworker_duhok):
    before = time.time()
    client.force_login(caseworker_duhok)
    session = client.session
    assert session[LOGIN_AT_KEY] >= before
    assert session[LAST_SEEN_KEY] >= before


def test_active_session_within_limits_continues(client, caseworker_duhok):
    client.force_login(caseworker_duhok)
    shift_clock(client, login_ago=11 * 3600, last_seen_ago=29 * 60)
    assert client.get(reverse("account")).status_code == 200
    # The request counted as activity.
    assert time.time() - client.session[LAST_SEEN_KEY] < 5


def test_idle_timeout_logs_out(client, caseworker_duhok):
    client.force_login(caseworker_duhok)
    key = shift_clock(client, login_ago=40 * 60, last_seen_ago=31 * 60)
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=%2Faccounts%2F&expired=1"
    assert logged_in_user_id(client) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert "expired" in client.get(response["Location"]).content.decode()


def test_absolute_timeout_logs_out_even_an_active_session(client, caseworker_duhok):
    client.force_login(caseworker_duhok)
    shift_clock(client, login_ago=12 * 3600 + 60, last_seen_ago=10)
    assert client.get(reverse("account")).status_code == 302
    assert logged_in_user_id(client) is None


def test_expired_api_session_gets_401(client, caseworker_duhok):
    client.force_login(caseworker_duhok)
    shift_clock(client, login_ago=3600, last_seen_ago=31 * 60)
    response = client.get(reverse("api-me"))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_session_cookie_settings(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.ACCESS_SESSION_IDLE_SECONDS == 30 * 60


def _logged_in_with_token(user):
    client = Client()
    client.force_login(user)
    assert client.get(reverse("account")).status_code == 200
    _token, raw = token_issue(user=user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(reverse("api-me")).status_code == 200
    return client, client.session.session_key, api


def _assert_locked_out(client, key, api):
    assert not Session.objects.filter(session_key=key).exists()
    response = client.get(reverse("account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert api.get(reverse("api-me")).status_code == 401


def test_disabling_with_the_service_logs_out_and_stops_tokens(caseworker_duhok):
    client, key, api = _logged_in_with_token(caseworker_duhok)
    user_disable(user=caseworker_duhok)
    _assert_locked_out(client, key, api)


def test_unticking_active_in_the_admin_logs_out_and_stops_tokens(admin_client, caseworker_duhok):
    client, key, api = _logged_in_with_token(caseworker_duhok)
    url = reverse("admin:auth_user_change", args=[caseworker_duhok.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        "username": caseworker_duhok.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        # is_active left out: the box is unticked
        "groups": [g.pk for g in caseworker_duhok.groups.all()],
        "date_joined_0": form["date_joined"].value().strftime("%Y-%m-%d"),
        "date_joined_1": form["date_joined"].value().strftime("%H:%M:%S"),
        "office_memberships-TOTAL_FORMS": "1",
        "office_memberships-INITIAL_FORMS": "1",
        "office_memberships-MIN_NUM_FORMS": "0",
        "office_memberships-MAX_NUM_FORMS": "1000",
        "office_memberships-0-id": caseworker_duhok.office_memberships.get().pk,
        "office_memberships-0-user": caseworker_duhok.pk,
        "office_memberships-0-office": caseworker_duhok.office_memberships.get().office_id,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    caseworker_duhok.refresh_from_db()
    assert not caseworker_duhok.is_active
    _assert_locked_out(client, key, api)
