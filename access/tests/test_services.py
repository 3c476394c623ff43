"""Account services: user_create (create and idempotent update), user_disable."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from access.models import ApiToken, OfficeMembership, Role, UserSession
from access.services import user_create, user_disable
from access.tokens import token_issue

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def role_names(user):
    return sorted(user.groups.values_list("name", flat=True))


def office_codes(user):
    return sorted(user.office_memberships.values_list("office__code", flat=True))


@pytest.mark.parametrize("role", Role.values)
def test_user_create_every_role(offices, role):
    user = user_create(username=f"u-{role}", role=role, offices=["dhk"])
    assert role_names(user) == [role]
    assert office_codes(user) == ["DHK"]
    assert not user.has_usable_password()
    assert user.is_active
    assert user.is_staff == (role == Role.ADMIN)
    assert not user.is_superuser


def test_offices_by_code_or_name_case_insensitive(offices):
    user = user_create(username="u", role=Role.CASEWORKER, offices=["dhk", "SINJAR"])
    assert office_codes(user) == ["DHK", "SNJ"]


def test_unknown_role_and_office_are_named(offices):
    with pytest.raises(ValidationError, match="chief"):
        user_create(username="u", role="chief", offices=[])
    with pytest.raises(ValidationError, match="Mosul"):
        user_create(username="u", role=Role.CASEWORKER, offices=["DHK", "Mosul"])
    assert not get_user_model().objects.filter(username="u").exists()


def test_password_is_validated(offices):
    with pytest.raises(ValidationError, match="too short"):
        user_create(username="u", role=Role.CASEWORKER, offices=[], password="short")
    assert not get_user_model().objects.filter(username="u").exists()


def test_rerun_sets_exactly_the_role_and_offices(offices):
    user_create(username="u", role=Role.CASEWORKER, offices=["DHK"], password=PASSWORD)
    user_create(username="u", role=Role.CASEWORKER, offices=["DHK"])
    user = get_user_model().objects.get(username="u")
    assert role_names(user) == ["caseworker"]
    assert OfficeMembership.objects.filter(user=user).count() == 1

    user = user_create(username="u", role=Role.SUPERVISOR, offices=["SNJ"])
    assert role_names(user) == ["supervisor"]
    assert office_codes(user) == ["SNJ"]
    assert user.check_password(PASSWORD)  # no password given: kept


def test_rerun_keeps_groups_that_are_not_roles(offices):
    from django.contrib.auth.models import Group

    user = user_create(username="u", role=Role.CASEWORKER, offices=[])
    user.groups.add(Group.objects.create(name="newsletter"))
    user = user_create(username="u", role=Role.ANALYST, offices=[])
    assert role_names(user) == ["analyst", "newsletter"]


def test_rerun_never_overwrites_a_different_password(offices):
    user_create(username="u", role=Role.CASEWORKER, offices=[], password=PASSWORD)
    with pytest.raises(ValidationError, match="changepassword"):
        user_create(
            username="u", role=Role.CASEWORKER, offices=[], password="another-passphrase-99"
        )
    user = get_user_model().objects.get(username="u")
    assert user.check_password(PASSWORD)
    # The same password again is not an overwrite: the re-run succeeds.
    user_create(username="u", role=Role.CASEWORKER, offices=[], password=PASSWORD)


def test_rerun_gives_a_token_only_account_its_first_password(offices):
    user_create(username="u", role=Role.PARTNER, offices=[])
    user = user_create(username="u", role=Role.PARTNER, offices=[], password=PASSWORD)
    assert user.check_password(PASSWORD)


def test_leaving_the_admin_role_leaves_the_admin_site(offices):
    assert user_create(username="u", role=Role.ADMIN, offices=[]).is_staff
    assert not user_create(username="u", role=Role.ANALYST, offices=[]).is_staff


def test_user_disable_ends_sessions_and_revokes_tokens(caseworker_duhok):
    client = Client()
    client.force_login(caseworker_duhok)
    key = client.session.session_key
    assert UserSession.objects.filter(user=caseworker_duhok, session_key=key).exists()
    token, _raw = token_issue(user=caseworker_duhok)

    user_disable(user=caseworker_duhok)

    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=caseworker_duhok).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    caseworker_duhok.refresh_from_db()
    assert not caseworker_duhok.is_active


def test_saving_an_inactive_user_through_any_path_ends_access(caseworker_duhok):
    """The signal path (the admin's "active" box, a shell): no service called."""
    client = Client()
    client.force_login(caseworker_duhok)
    key = client.session.session_key
    token_issue(user=caseworker_duhok)

    user = get_user_model().objects.get(pk=caseworker_duhok.pk)
    user.is_active = False
    user.save()

    assert not Session.objects.filter(session_key=key).exists()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_saving_an_active_user_leaves_sessions_alone(caseworker_duhok):
    client = Client()
    client.force_login(caseworker_duhok)
    key = client.session.session_key
    caseworker_duhok.first_name = "Renamed"
    caseworker_duhok.save()
    assert Session.objects.filter(session_key=key).exists()


def test_base_settings_hash_new_passwords_with_argon2(offices):
    """The test settings use MD5 for speed; production and development use the base list."""
    from config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = user_create(username="u", role=Role.CASEWORKER, offices=[], password=PASSWORD)
        assert user.password.startswith("argon2$")
        assert user.check_password(PASSWORD)
