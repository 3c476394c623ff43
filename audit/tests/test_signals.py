"""Logins, logouts, failed logins, and changes to accounts, roles, offices and partner
agreements reach the trail, and no credential ever does."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from access.models import OfficeMembership, PartnerAgreement, Role
from audit.context import audit_actor
from audit.models import AuditEntry
from audit.services import audit_log

from .conftest import PASSWORD, entries_after, last_sequence

pytestmark = pytest.mark.django_db


def test_login_through_the_login_page_is_recorded_with_request_context(client, caseworker):
    start = last_sequence()
    response = client.post(
        reverse("login"),
        {"username": "caseworker-duhok", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_REQUEST_ID="login-req-1",
    )
    assert response.status_code == 302
    login = AuditEntry.objects.get(sequence__gt=start, action="login")
    assert (login.actor_id, login.subject_type, login.subject_id) == (
        caseworker.pk,
        "auth.user",
        str(caseworker.pk),
    )
    assert (login.role, login.offices) == ("caseworker", "DHK")
    assert (login.ip, login.request_id) == ("198.51.100.4", "login-req-1")
    # last_login changed too, but that is the login itself, not an account change.
    assert not AuditEntry.objects.filter(sequence__gt=start, action="user_change").exists()


def test_a_failed_login_records_the_username_tried_and_never_the_password(client, caseworker):
    start = last_sequence()
    response = client.post(
        reverse("login"),
        {"username": "caseworker-duhok", "password": "the-wrong-secret-42"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    failed = AuditEntry.objects.get(sequence__gt=start, action="login_failed")
    assert failed.changes == {"username": "caseworker-duhok"}
    assert (failed.actor_id, failed.ip) == (None, "203.0.113.9")
    every_value = str(
        list(AuditEntry.objects.filter(sequence__gt=start).values_list("changes", flat=True))
    )
    assert "the-wrong-secret-42" not in every_value
    assert "****" not in every_value


def test_a_failed_authenticate_outside_a_request_is_recorded_too(caseworker):
    start = last_sequence()
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.50")
    assert authenticate(request=request, username="nobody-like-this", password="guess-1") is None
    failed = AuditEntry.objects.get(sequence__gt=start, action="login_failed")
    assert failed.changes == {"username": "nobody-like-this"}
    # No middleware ran: the context comes from the request the signal carries.
    assert failed.ip == "192.0.2.50"
    assert len(failed.request_id) == 32


def test_logout_is_recorded(client, caseworker):
    client.force_login(caseworker)
    start = last_sequence()
    response = client.post(reverse("logout"), REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 302
    logout = AuditEntry.objects.get(sequence__gt=start, action="logout")
    assert (logout.actor_id, logout.subject_id, logout.ip) == (
        caseworker.pk,
        str(caseworker.pk),
        "198.51.100.4",
    )


def test_force_login_sends_user_logged_in_and_is_recorded(client, caseworker):
    start = last_sequence()
    client.force_login(caseworker)
    assert AuditEntry.objects.filter(
        sequence__gt=start, action="login", actor_id=caseworker.pk
    ).exists()


def test_account_changes_are_recorded_without_the_password(caseworker, supervisor):
    start = last_sequence()
    with audit_actor(supervisor):
        user = get_user_model().objects.get(pk=caseworker.pk)
        user.email = "cw@example.org"
        user.is_staff = True
        user.first_name = "Not audited"
        user.set_password("a-new-long-passphrase-2024")
        user.save()
    (entry,) = entries_after(start)
    assert (entry.action, entry.subject_id, entry.actor_id) == (
        "user_change",
        str(caseworker.pk),
        supervisor.pk,
    )
    assert entry.changes == {
        "email": ["", "cw@example.org"],
        "is_staff": [False, True],
        "password_changed": True,
    }
    assert "a-new-long-passphrase-2024" not in str(entry.changes)
    assert user.password not in str(entry.changes)

    start = last_sequence()
    user.set_password("another-long-passphrase-25")
    user.save(update_fields=["password"])
    assert [e.changes for e in entries_after(start)] == [{"password_changed": True}]

    start = last_sequence()
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert [e.changes for e in entries_after(start)] == [{"is_active": [True, False]}]

    start = last_sequence()
    user.save(update_fields=["last_login"])  # nothing audited changed
    user.password = user.password  # as a hash upgrade at login saves it: not set_password()
    user.save(update_fields=["password"])
    assert entries_after(start) == []


def test_creating_and_deleting_an_account_are_recorded():
    start = last_sequence()
    user = get_user_model().objects.create_user(username="temp", password="x-long-passphrase-1")
    created = AuditEntry.objects.get(sequence__gt=start, action="user_change")
    assert created.changes == {
        "created": {
            "username": "temp",
            "email": "",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
        }
    }
    user_pk = user.pk
    start = last_sequence()
    user.delete()
    deleted = AuditEntry.objects.get(sequence__gt=start, action="user_change")
    assert (deleted.subject_id, deleted.changes["deleted"]["username"]) == (str(user_pk), "temp")
    # The account's own entries are untouched by its deletion.
    assert AuditEntry.objects.get(pk=created.pk).subject_id == str(user_pk)


def test_role_changes_are_recorded_from_either_side(caseworker):
    supervisor_group = Group.objects.get_or_create(name=Role.SUPERVISOR)[0]
    caseworker_group = Group.objects.get(name=Role.CASEWORKER)
    start = last_sequence()
    caseworker.groups.add(supervisor_group)
    caseworker.groups.remove(caseworker_group)
    # Removing a group the user does not have changes nothing, and records nothing.
    caseworker.groups.remove(caseworker_group)
    supervisor_group.user_set.remove(caseworker)
    entries = entries_after(start)
    assert [(e.action, e.subject_id, e.changes) for e in entries] == [
        ("role_change", str(caseworker.pk), {"groups_added": ["supervisor"]}),
        ("role_change", str(caseworker.pk), {"groups_removed": ["caseworker"]}),
        ("role_change", str(caseworker.pk), {"groups_removed": ["supervisor"]}),
    ]
    start = last_sequence()
    caseworker.groups.add(caseworker_group)
    caseworker.groups.clear()
    assert [e.changes for e in entries_after(start)] == [
        {"groups_added": ["caseworker"]},
        {"groups_removed": ["caseworker"]},
    ]


def test_direct_permissions_are_recorded(caseworker):
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="change_case")
    start = last_sequence()
    caseworker.user_permissions.add(permission)
    permission.user_set.remove(caseworker)
    assert [(e.action, e.subject_id, e.changes) for e in entries_after(start)] == [
        ("role_change", str(caseworker.pk), {"user_permissions_added": ["cases.change_case"]}),
        ("role_change", str(caseworker.pk), {"user_permissions_removed": ["cases.change_case"]}),
    ]


def test_the_actors_roles_are_looked_up_again_after_they_change(caseworker, offices):
    supervisor_group = Group.objects.get_or_create(name=Role.SUPERVISOR)[0]
    with audit_actor(caseworker):
        before = audit_log(action="view", subject_type="cases.case", subject_id="c1")
        caseworker.groups.add(supervisor_group)
        OfficeMembership.objects.create(user=caseworker, office=offices["sinjar"])
        after = audit_log(action="view", subject_type="cases.case", subject_id="c1")
    assert (before.role, before.offices) == ("caseworker", "DHK")
    assert (after.role, after.offices) == ("caseworker,supervisor", "DHK,SNJ")


def test_office_changes_are_recorded(caseworker, offices):
    start = last_sequence()
    OfficeMembership.objects.create(user=caseworker, office=offices["sinjar"])
    OfficeMembership.objects.filter(user=caseworker, office=offices["duhok"]).delete()
    assert [(e.action, e.subject_id, e.changes) for e in entries_after(start)] == [
        ("role_change", str(caseworker.pk), {"office_added": "SNJ"}),
        ("role_change", str(caseworker.pk), {"office_removed": "DHK"}),
    ]


def test_partner_agreement_changes_are_recorded(make_user, offices, supervisor):
    partner = make_user("partner-registry", Role.PARTNER, office_codes=())
    start = last_sequence()
    with audit_actor(supervisor):
        agreement = PartnerAgreement.objects.create(
            name="Registry agreement",
            partner=partner,
            fields=["sex"],
            valid_from=dt.date(2024, 1, 1),
        )
        agreement.offices.set([offices["duhok"]])
        agreement.fields = ["sex", "age_at_abduction"]
        agreement.valid_until = dt.date(2025, 1, 1)
        agreement.save()
        agreement.save()  # nothing changed: nothing recorded
        agreement.offices.set([offices["sinjar"]])
        agreement_pk = agreement.pk
        agreement.delete()
    entries = entries_after(start)
    assert all(e.action == "agreement_change" for e in entries)
    assert all(e.actor_id == supervisor.pk for e in entries)
    assert all(e.subject_id == str(agreement_pk) for e in entries)
    changes = [e.changes for e in entries]
    assert changes[0]["created"]["fields"] == ["sex"]
    assert changes[0]["created"]["partner_id"] == partner.pk
    assert changes[1] == {"offices_added": ["DHK"]}
    assert changes[2] == {
        "fields": [["sex"], ["sex", "age_at_abduction"]],
        "valid_until": [None, "2025-01-01"],
    }
    assert changes[3] == {"offices_removed": ["DHK"]}
    assert changes[4] == {"offices_added": ["SNJ"]}
    assert changes[5]["deleted"]["name"] == "Registry agreement"
    assert len(changes) == 6
