"""Bearer tokens end to end: /api/v1/me/ with `Authorization: Bearer <token>`."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import ApiToken
from access.tokens import token_authenticate, token_issue, token_revoke

pytestmark = pytest.mark.django_db


def me(raw=None, header=None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif raw is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get(reverse("api-me"))


def test_token_authenticates_me(caseworker_duhok):
    _token, raw = token_issue(user=caseworker_duhok)
    response = me(raw)
    assert response.status_code == 200
    assert response.json() == {
        "username": "caseworker-duhok",
        "roles": ["caseworker"],
        "offices": [{"code": "DHK", "name": "Duhok"}],
    }
    assert token_authenticate(raw) == caseworker_duhok


def test_tokens_of_second_factor_roles_work_without_totp(supervisor_duhok):
    _token, raw = token_issue(user=supervisor_duhok)
    assert me(raw).status_code == 200


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer mpt_not-a-real-token", "Bearer a b", "Token abc"]
)
def test_missing_or_invalid_credentials_get_401_with_bearer_challenge(caseworker_duhok, header):
    response = me(header=header) if header else me()
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_refused(caseworker_duhok):
    token, raw = token_issue(user=caseworker_duhok)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - dt.timedelta(days=91), expires_at=now - dt.timedelta(seconds=1)
    )
    assert me(raw).status_code == 401
    assert token_authenticate(raw) is None


def test_revoked_token_is_refused(caseworker_duhok):
    token, raw = token_issue(user=caseworker_duhok)
    assert token_revoke(token=token) is True
    assert token_revoke(token=token) is False
    assert me(raw).status_code == 401


def test_token_of_inactive_user_is_refused_even_if_not_revoked(caseworker_duhok):
    _token, raw = token_issue(user=caseworker_duhok)
    # A queryset update skips the signal that would revoke the token: this tests the check in
    # token authentication itself.
    get_user_model().objects.filter(pk=caseworker_duhok.pk).update(is_active=False)
    assert ApiToken.objects.get().revoked_at is None
    assert me(raw).status_code == 401


def test_inactive_user_gets_no_token(caseworker_duhok):
    from django.core.exceptions import ValidationError

    caseworker_duhok.is_active = False
    with pytest.raises(ValidationError):
        token_issue(user=caseworker_duhok)


def test_last_used_at_is_written_at_most_once_a_minute(caseworker_duhok):
    token, raw = token_issue(user=caseworker_duhok)
    assert token.last_used_at is None
    me(raw)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    me(raw)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    me(raw)
    token.refresh_from_db()
    assert token.last_used_at > first - dt.timedelta(minutes=2)


def test_token_of_one_user_is_not_another_users(caseworker_duhok, make_user):
    outsider = make_user("caseworker-sinjar", "caseworker", office_codes=["SNJ"])
    _token, raw = token_issue(user=outsider)
    assert me(raw).json()["username"] == "caseworker-sinjar"


def test_session_authentication_also_works_for_the_api(client, caseworker_duhok):
    client.force_login(caseworker_duhok)
    assert client.get(reverse("api-me")).json()["username"] == "caseworker-duhok"
