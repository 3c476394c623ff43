"""The permission matrix, checked against the issue's words rather than the policy's own table:
every role x resource x action, and every role x office (own, other) x case status."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from access import policy
from access.models import OfficeMembership, Role
from cases.lifecycle import EventType
from cases.services import case_transition

ACTIONS = ["view", "create", "change", "transition", "approve", "export"]
RESOURCES = sorted({r for grants in policy.MATRIX.values() for r in grants} | {"nonexistent"})


def spec_allows(role: str, resource: str, action: str) -> bool:
    """Transcribed from issue #3, "Roles and scope"."""
    casework = {"case", "event", "relative", "handover"}
    # issue 5: reports (national aggregates) are read by analysts, casework and forensic teams;
    # only analysts export them (de-identified).
    readers = {Role.CASEWORKER, Role.SUPERVISOR, Role.FORENSIC, Role.ANALYST}
    if resource == "report" and action == "view" and role in readers:
        return True
    forensic = {"grave_site", "exhumation", "remains", "identification", "reference_sample"}
    if role in (Role.CASEWORKER, Role.SUPERVISOR):
        if resource in casework and action in {"view", "create"}:
            return True
        if resource == "case" and action in {"change", "transition"}:
            return True
        # issue 5, "Exports": any filtered list can be exported (of their own offices)
        if resource == "case" and action == "export":
            return True
        if resource == "relative" and action == "change":
            return True
        # supervisor: approving sensitive steps (closing, merging, correcting an event), and
        # reading the audit of their offices
        if role == Role.SUPERVISOR and (resource, action) in {
            ("case", "approve"),
            ("event", "approve"),
            ("audit", "view"),
        }:
            return True
        # caseworkers read what their cases' families are told: identifications, samples,
        # grave sites, aid given
        return action == "view" and resource in {
            "identification",
            "reference_sample",
            "grave_site",
            "disbursement",
            "aid_programme",
        }
    if role == Role.FORENSIC:
        if resource in forensic:
            return action in {"view", "create", "change"} or (
                resource == "identification" and action == "approve"
            )
        # issue 5: the cases they may see, with the fields they may see, can be exported
        if resource == "case" and action == "export":
            return True
        return resource in {"case", "relative"} and action == "view"
    if role == Role.AID_OFFICER:
        if resource == "disbursement":
            return action in {"view", "create", "change"}
        if resource == "case" and action == "export":
            return True  # issue 5: their list of eligible cases, identity and status only
        return resource in {"aid_programme", "case"} and action == "view"
    if role == Role.ANALYST:
        return resource == "report" and action in {"view", "export"}
    if role == Role.AUDITOR:
        return resource == "audit" and action == "view"
    if role == Role.PARTNER:
        # issue 4, "Writes from partners": partners push their own case records
        if resource == "case" and action in {"create", "change"}:
            return True
        return resource in {"case", "event"} and action == "view"
    if role == Role.ADMIN:
        return (
            resource in {"user", "role", "office", "agreement"}
            and action in {"view", "create", "change"}
            and not (resource == "role" and action == "create")
        )
    return False


@pytest.fixture
def user_with(db, offices):
    def make(role: str):
        user = get_user_model().objects.create_user(username=f"m-{role}")
        user.groups.add(Group.objects.get(name=role))
        OfficeMembership.objects.create(user=user, office=offices["duhok"])
        return user

    return make


@pytest.mark.parametrize("role", Role.values)
def test_every_resource_and_action_follows_the_issue(user_with, role):
    user = user_with(role)
    wrong = [
        (resource, action, policy.allowed(user, action, resource))
        for resource, action in itertools.product(RESOURCES, ACTIONS)
        if policy.allowed(user, action, resource) != spec_allows(role, resource, action)
    ]
    assert not wrong, wrong


# (role) -> which cases of (own office, other office) it sees, by status.
VISIBLE = {
    Role.CASEWORKER: {("own", "missing"), ("own", "rescued"), ("own", "reported_dead")},
    Role.SUPERVISOR: {("own", "missing"), ("own", "rescued"), ("own", "reported_dead")},
    Role.FORENSIC: {
        ("own", "missing"),
        ("other", "missing"),
        ("own", "reported_dead"),
        ("other", "reported_dead"),
    },
    Role.AID_OFFICER: {("own", "rescued")},
    Role.ANALYST: set(),
    Role.AUDITOR: set(),
    Role.PARTNER: set(),  # no agreement: nothing
    Role.ADMIN: set(),
}


@pytest.mark.parametrize("role", Role.values)
def test_which_cases_exist_for_each_role_by_office_and_status(user_with, make_case, offices, role):
    cases = {}
    for office_key, where in (("duhok", "own"), ("sinjar", "other")):
        cases[(where, "missing")] = make_case(office=offices[office_key])
        rescued = make_case(office=offices[office_key])
        case_transition(
            case=rescued, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="s"
        )
        cases[(where, "rescued")] = rescued
        dead = make_case(office=offices[office_key])
        case_transition(
            case=dead, event_type=EventType.DEATH_REPORTED, on="2016-01-01", actor=None, source="s"
        )
        cases[(where, "reported_dead")] = dead
    user = user_with(role)
    visible = set(policy.cases_visible_to(user))
    assert {key for key, case in cases.items() if case in visible} == VISIBLE[role]
    for key, case in cases.items():
        shown = set(policy.case_fields_for(user, case)) if key in VISIBLE[role] else set()
        sensitive = shown & policy.SENSITIVE_FIELDS["cases.case"]
        # Sensitive fields only for casework on the user's own office.
        if sensitive:
            assert role in {Role.CASEWORKER, Role.SUPERVISOR} and key[0] == "own"
