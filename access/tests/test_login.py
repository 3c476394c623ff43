"""Logging in through the real view: password, session rotation, TOTP, lockout, logout."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from access.models import Role, UserSession

from .conftest import PASSWORD, current_code, logged_in_user_id, login_post

pytestmark = pytest.mark.django_db


def test_login_page_is_accessible_and_follows_the_language(client):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en" dir="ltr">' in page
    for name in ("username", "password", "otp_token"):
        assert f'<label for="id_{name}">' in page
    assert "http://" not in page and "https://" not in page  # no external assets
    arabic = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic


def test_caseworker_logs_in_with_password_only_and_gets_a_new_session_key(client, caseworker_duhok):
    session = client.session
    session["before_login"] = True
    session.save()
    key_before = session.session_key

    response = login_post(client, "caseworker-duhok")

    assert response.status_code == 302
    assert response["Location"] == reverse("root")
    assert logged_in_user_id(client) == str(caseworker_duhok.pk)
    key_after = client.session.session_key
    assert key_after != key_before
    assert not Session.objects.filter(session_key=key_before).exists()
    assert UserSession.objects.filter(user=caseworker_duhok, session_key=key_after).exists()
    assert client.get(reverse("account")).status_code == 200


def test_wrong_password_is_refused(client, caseworker_duhok):
    response = login_post(client, "caseworker-duhok", password="not-the-password-at-all")
    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_five_failures_lock_the_account_and_then_the_right_password_is_refused(
    client, caseworker_duhok, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [
        login_post(client, "caseworker-duhok", password=f"wrong-guess-{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]

    response = login_post(client, "caseworker-duhok")
    assert response.status_code == 429
    assert "Login locked" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_lockout_is_per_username_and_ip(client, caseworker_duhok, make_user):
    make_user("caseworker-sinjar", Role.CASEWORKER, office_codes=["SNJ"])
    for n in range(5):
        login_post(client, "caseworker-duhok", password=f"wrong-guess-{n}")
    assert login_post(client, "caseworker-sinjar").status_code == 302


def test_supervisor_must_give_a_valid_code(client, supervisor_device):
    no_code = login_post(client, "supervisor-duhok")
    assert no_code.status_code == 200
    assert "Enter the code" in no_code.content.decode()
    assert logged_in_user_id(client) is None
    # The typed password is not sent back into the page.
    assert PASSWORD not in no_code.content.decode()


def test_supervisor_wrong_code_is_refused(client, supervisor_device):
    right = current_code(supervisor_device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = login_post(client, "supervisor-duhok", code=wrong)
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_supervisor_with_a_valid_code_is_logged_in_and_verified(client, supervisor_device):
    response = login_post(client, "supervisor-duhok", code=current_code(supervisor_device))
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(supervisor_device.user_id)
    # Verified: the second-factor middleware lets the session through.
    assert client.get(reverse("account")).status_code == 200
    assert client.get(reverse("api-me")).status_code == 200


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN])
def test_second_factor_roles_without_a_device_cannot_log_in(client, make_user, role):
    make_user("no-device", role)
    response = login_post(client, "no-device")
    assert response.status_code == 200
    assert "Ask an administrator to enrol one" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_a_caseworker_who_has_a_device_must_use_it(client, caseworker_duhok):
    from access.second_factor import totp_device_enrol

    device = totp_device_enrol(user=caseworker_duhok)
    assert login_post(client, "caseworker-duhok").status_code == 200
    assert login_post(client, "caseworker-duhok", code=current_code(device)).status_code == 302


def test_unverified_supervisor_session_is_sent_to_login(client, supervisor_device):
    # force_login makes a session without the second factor (as would a role granted after
    # login, or a login through any other path).
    client.force_login(supervisor_device.user)
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=%2Faccounts%2F"
    api = client.get(reverse("api-me"))
    assert api.status_code == 403
    assert "authenticator" in api.json()["detail"]
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith(reverse("login"))
    # The login page itself stays reachable, so the person can give the code.
    assert client.get(reverse("login")).status_code == 200


def test_unverified_caseworker_session_is_fine(client, caseworker_duhok):
    client.force_login(caseworker_duhok)
    assert client.get(reverse("account")).status_code == 200


def test_logout_is_post_only_and_ends_the_tracked_session(client, caseworker_duhok):
    login_post(client, "caseworker-duhok")
    key = client.session.session_key
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert logged_in_user_id(client) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()


def test_admin_login_goes_through_the_one_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/"


def test_password_change_keeps_tracking_the_session(client, caseworker_duhok):
    login_post(client, "caseworker-duhok")
    key_before = client.session.session_key
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-15",
            "new_password2": "a-brand-new-passphrase-15",
        },
    )
    assert response.status_code == 302
    key_after = client.session.session_key
    assert key_after != key_before  # Django cycles the key on a password change
    tracked = list(
        UserSession.objects.filter(user=caseworker_duhok).values_list("session_key", flat=True)
    )
    assert tracked == [key_after]
    assert client.get(reverse("account")).status_code == 200

    other = Client()
    assert (
        login_post(other, "caseworker-duhok", password="a-brand-new-passphrase-15").status_code
        == 302
    )
