"""The account admin: offices inline on users, tokens revoked (never added) here, session keys
never shown, and administrators who are not superusers cannot make themselves superusers."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from access.models import PartnerAgreement, Role, UserSession
from access.second_factor import totp_device_enrol
from access.tokens import token_issue

from .conftest import current_code, login_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["apitoken", "usersession", "partneragreement"])
def test_access_changelists_render(admin_client, caseworker_duhok, model):
    token_issue(user=caseworker_duhok)
    Client().force_login(caseworker_duhok)
    assert admin_client.get(reverse(f"admin:access_{model}_changelist")).status_code == 200


def test_user_admin_edits_offices_inline_and_lists_roles(admin_client, caseworker_duhok):
    change = admin_client.get(reverse("admin:auth_user_change", args=[caseworker_duhok.pk]))
    assert "office_memberships-TOTAL_FORMS" in change.content.decode()
    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "caseworker" in listing


def test_tokens_are_not_added_in_the_admin_and_are_revoked_by_action(
    admin_client, caseworker_duhok
):
    assert admin_client.get(reverse("admin:access_apitoken_add")).status_code == 403
    token, _raw = token_issue(user=caseworker_duhok)
    change = admin_client.get(reverse("admin:access_apitoken_change", args=[token.pk]))
    assert 'name="digest"' not in change.content.decode()  # shown, never editable
    admin_client.post(
        reverse("admin:access_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [str(token.pk)]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_session_keys_are_not_shown_and_sessions_can_be_ended(admin_client, caseworker_duhok):
    user_client = Client()
    user_client.force_login(caseworker_duhok)
    tracked = UserSession.objects.get(user=caseworker_duhok)
    listing = admin_client.get(reverse("admin:access_usersession_changelist")).content.decode()
    assert tracked.session_key not in listing
    detail = admin_client.get(reverse("admin:access_usersession_change", args=[tracked.pk]))
    assert detail.status_code == 200
    assert tracked.session_key not in detail.content.decode()
    admin_client.post(
        reverse("admin:access_usersession_changelist"),
        {"action": "end_sessions", "_selected_action": [str(tracked.pk)]},
    )
    assert not UserSession.objects.filter(pk=tracked.pk).exists()
    assert user_client.get(reverse("account")).status_code == 302


def test_partner_agreements_choose_among_partner_accounts(admin_client, make_user):
    make_user("partner-registry", Role.PARTNER, office_codes=[])
    make_user("caseworker-duhok", Role.CASEWORKER)
    page = admin_client.get(reverse("admin:access_partneragreement_add")).content.decode()
    assert "partner-registry" in page
    assert "caseworker-duhok" not in page
    assert PartnerAgreement._meta.get_field("offices")


@pytest.fixture
def administrator(make_user):
    """An admin-role account (staff, not superuser) that logged in with its code."""
    user = make_user("admin-duhok", Role.ADMIN, office_codes=[])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth", codename__in=["view_user", "change_user"]
        )
    )
    device = totp_device_enrol(user=user)
    client = Client()
    assert login_post(client, "admin-duhok", code=current_code(device)).status_code == 302
    return user, client


def test_administrator_cannot_grant_superuser(administrator):
    user, client = administrator
    own = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert own.status_code == 200
    form = own.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields


def test_administrator_cannot_change_a_superuser(administrator, admin_user):
    _user, client = administrator
    url = reverse("admin:auth_user_change", args=[admin_user.pk])
    response = client.post(url, {"username": "taken-over", "is_active": "on"})
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.username == "admin"
