"""The access matrix through the web pages (issue 3, "through the UI"): role x action x office.

Each role, logged in through the real login form, tries each case page on a case of its own
office and of another office. Allowed is the page; a case it may not see is a 404 (never a 403:
its existence must not leak); an action its role may not take on a case it does see is a 403.
Both refusals are audited. Fields a role may not see never appear in the HTML it receives.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_otp.oath import totp

from access import policy
from access.models import PartnerAgreement, Role
from access.second_factor import totp_device_enrol
from access.services import user_create
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.services import case_transition
from families.models import Relative
from families.services import reference_sample_record, relative_add

PASSWORD = "a-long-test-passphrase-2014"

PERSONAS = {
    "caseworker": (Role.CASEWORKER, ["DHK"]),
    "supervisor": (Role.SUPERVISOR, ["DHK"]),
    "forensic": (Role.FORENSIC, []),
    "aid_officer": (Role.AID_OFFICER, ["DHK"]),
    "analyst": (Role.ANALYST, []),
    "auditor": (Role.AUDITOR, []),
    "partner": (Role.PARTNER, []),
    "admin": (Role.ADMIN, []),
}

# Values of sensitive fields, each unmistakable in a page.
CAPTIVITY = "Held in Raqqa by the captor Abu-Testa"
HEALTH = "Needs trauma care HEALTH-NOTE"
BIRTH_DATE = "1991-04-17"
PHONE = "+964 750 123 4567"
ADDRESS = "Tent 42, Khanke camp"


def login(client, user):
    data = {"username": user.username, "password": PASSWORD}
    if policy.roles_of(user) & {Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}:
        device = totp_device_enrol(user=user)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        data["otp_token"] = f"{code:0{device.digits}d}"
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, response.content[:300]
    return client


def _case_with_family(make_case, office, *, rescued: bool):
    case = make_case(
        office=office,
        given_name_latn="Visiblename",
        captivity_notes=CAPTIVITY,
        health_notes=HEALTH,
        birth_date=BIRTH_DATE,
        age_at_abduction=None,
    )
    kinship = relative_add(
        case=case,
        relationship="mother",
        relative=Relative(
            full_name_latn="Mothername",
            sex="female",
            phone=PHONE,
            address=ADDRESS,
            consent="given",
            consent_recorded_on=dt.date(2016, 1, 1),
            consent_dna_matching=True,
            consent_share_with_partners=True,
        ),
    )
    # A sample, so that forensic sees this relative (those who gave samples).
    reference_sample_record(
        relative=kinship.relative, collected_on=dt.date(2016, 2, 1), lab_reference=""
    )
    if rescued:
        case_transition(
            case=case, event_type=EventType.RESCUED, on="2016-03", actor=None, source="office"
        )
    return case


@pytest.fixture
def world(offices, make_case):
    users = {
        name: user_create(username=name, role=role, offices=codes, password=PASSWORD)
        for name, (role, codes) in PERSONAS.items()
    }
    PartnerAgreement.objects.create(
        name="demo",
        partner=users["partner"],
        valid_from="2020-01-01",
        fields=["given_name_latn", "sex"],
        may_receive_deaths=True,
    ).offices.set([offices["duhok"], offices["sinjar"]])
    cases = {
        ("missing", "own"): _case_with_family(make_case, offices["duhok"], rescued=False),
        ("missing", "other"): _case_with_family(make_case, offices["sinjar"], rescued=False),
        ("rescued", "own"): _case_with_family(make_case, offices["duhok"], rescued=True),
        ("rescued", "other"): _case_with_family(make_case, offices["sinjar"], rescued=True),
    }
    return users, cases


# Who may open a case page: role -> {(case status, office): allowed}. Forensic works across
# offices on open fates; aid officers see the rescued cases of their office; the others none.
SEES = {
    "caseworker": {("missing", "own"), ("rescued", "own")},
    "supervisor": {("missing", "own"), ("rescued", "own")},
    "forensic": {("missing", "own"), ("missing", "other")},
    "aid_officer": {("rescued", "own")},
    "analyst": set(),
    "auditor": set(),
    "partner": set(),  # API only, whatever its agreement covers
    "admin": set(),
}
CASEWORK = {"caseworker", "supervisor"}

ACTIONS = ["detail", "edit", "event", "relative"]


def _request(client, action, case):
    if action == "detail":
        return client.get(reverse("cases:detail", args=[case.pk]))
    if action == "edit":
        return client.get(reverse("cases:edit", args=[case.pk]))
    if action == "relative":
        return client.get(reverse("cases:relative-create", args=[case.pk]))
    event = EventType.INFORMATION_RECEIVED
    return client.post(
        reverse("cases:event-create", args=[case.pk, event]),
        {
            f"{event}-type": event,
            f"{event}-version": case.version,
            f"{event}-date": "2017",
            f"{event}-source": "matrix",
        },
    )


@pytest.mark.parametrize("office", ["own", "other"])
@pytest.mark.parametrize("status", ["missing", "rescued"])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", list(PERSONAS))
def test_case_pages_matrix(client, world, role, action, status, office):
    users, cases = world
    case = cases[(status, office)]
    login(client, users[role])
    before = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    response = _request(client, action, case)
    sees = (status, office) in SEES[role]
    if not sees:
        expected = 404
    elif action == "detail" or role in CASEWORK:
        expected = 302 if action == "event" else 200
    else:
        expected = 403
    assert response.status_code == expected, (role, action, status, office)
    added = AuditEntry.objects.filter(sequence__gt=before, subject_id=str(case.pk))
    if expected in (403, 404):
        assert added.filter(action="denied").exists()
        assert "Visiblename" not in response.content.decode()
    if expected == 200 and action == "detail":
        # The view of the case itself, naming exactly the fields the policy let the page show.
        (viewed,) = [e for e in added.filter(action="view") if "timeline" not in e.changes]
        shown = policy.redact(policy.case_record(case), policy.case_fields_for(users[role], case))
        assert viewed.changes["fields"] == sorted(shown)


@pytest.mark.parametrize("role", list(PERSONAS))
def test_list_and_registration_matrix(client, world, role):
    users, cases = world
    login(client, users[role])
    listing = client.get(reverse("cases:list"))
    register = client.get(reverse("cases:create"))
    home = client.get(reverse("cases:home"))
    assert home.status_code == 200
    visible = {key for key in cases if key in SEES[role]}
    if not visible:
        assert listing.status_code == 403
        assert "Visiblename" not in home.content.decode()
    else:
        assert listing.status_code == 200
        page = listing.content.decode()
        for key, case in cases.items():
            assert (case.case_number in page) == (key in visible), (role, key)
    assert register.status_code == (200 if role in CASEWORK else 403)


# Sensitive values and who may see them (in their own office's case).
SENSITIVE = {
    "captivity_notes": CAPTIVITY,
    "health_notes": HEALTH,
    "birth_date": BIRTH_DATE,
    "relative phone": PHONE,
    "relative address": ADDRESS,
}


@pytest.mark.parametrize("role", ["caseworker", "supervisor", "forensic", "aid_officer"])
def test_sensitive_values_never_reach_a_role_that_may_not_see_them(client, world, role):
    users, cases = world
    login(client, users[role])
    pages = "".join(
        client.get(url).content.decode()
        for key, case in cases.items()
        for url in (
            reverse("cases:detail", args=[case.pk]),
            reverse("cases:edit", args=[case.pk]),
            reverse("cases:list"),
            reverse("cases:home"),
        )
    )
    for name, value in SENSITIVE.items():
        assert (value in pages) == (role in CASEWORK), (role, name)


def test_forensic_sees_identification_fields_and_relatives_who_gave_samples(client, world):
    users, cases = world
    login(client, users["forensic"])
    page = client.get(reverse("cases:detail", args=[cases[("missing", "other")].pk]))
    text = page.content.decode()
    assert "Visiblename" in text and "1991" in text  # the name, and the year of birth only
    assert "Mothername" in text  # a relative who gave a sample
    assert "Timeline" not in text  # the matrix gives forensic no timelines ("event")
    assert "Edit identity" not in text and "What can be recorded now" not in text


def test_aid_officer_sees_identity_and_status_only(client, world):
    users, cases = world
    login(client, users["aid_officer"])
    text = client.get(reverse("cases:detail", args=[cases[("rescued", "own")].pk])).content.decode()
    assert "Visiblename" in text and "Rescued (alive)" in text
    for absent in ("Kocho", "Mothername", "Timeline", "date of abduction", "1991"):
        assert absent.casefold() not in text.casefold(), absent
