"""Journey over the API: each role, with a token from `issue_token`, sees exactly the cases and
fields the matrix allows; everything else does not exist for it."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from access.models import PartnerAgreement, Role
from access.policy import SENSITIVE_FIELDS
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.services import case_transition
from families.models import Relative
from families.services import relative_add

ROLES_AND_OFFICES = [
    ("caseworker-duhok", Role.CASEWORKER, ["DHK"]),
    ("caseworker-sinjar", Role.CASEWORKER, ["SNJ"]),
    ("supervisor-duhok", Role.SUPERVISOR, ["DHK"]),
    ("forensic", Role.FORENSIC, []),
    ("aid-officer-duhok", Role.AID_OFFICER, ["DHK"]),
    ("analyst", Role.ANALYST, []),
    ("auditor", Role.AUDITOR, []),
    ("partner-registry", Role.PARTNER, []),
    ("administrator", Role.ADMIN, []),
]


@pytest.fixture
def tokens(offices):
    """Accounts made and tokens issued with the real commands."""
    issued = {}
    for username, role, codes in ROLES_AND_OFFICES:
        args = [username, "--role", role] + [a for code in codes for a in ("--office", code)]
        call_command("create_user", *args, stdout=io.StringIO())
        out = io.StringIO()
        call_command("issue_token", username, "--days", "2", stdout=out)
        issued[username] = out.getvalue().strip()
    return issued


@pytest.fixture
def world(tokens, make_case, offices):
    from django.contrib.auth import get_user_model

    missing_duhok = make_case(
        office=offices["duhok"],
        captivity_notes="testimony",
        birth_date="1990-03-04",
        age_at_abduction=None,
    )
    relative_add(
        case=missing_duhok,
        relationship="mother",
        relative=Relative(
            full_name_latn="R",
            sex="female",
            consent="given",
            consent_recorded_on="2016-01-01",
            consent_share_with_partners=True,
        ),
    )
    rescued_duhok = make_case(office=offices["duhok"])
    case_transition(
        case=rescued_duhok,
        event_type=EventType.RESCUED,
        on="2016-02-01",
        actor=None,
        source="office",
        note="found with family in camp",
    )
    missing_sinjar = make_case(office=offices["sinjar"])
    agreement = PartnerAgreement.objects.create(
        name="demo",
        partner=get_user_model().objects.get(username="partner-registry"),
        valid_from="2020-01-01",
        fields=["given_name_latn", "sex", "captivity_notes"],
    )
    agreement.offices.add(offices["duhok"])
    return {
        "missing_duhok": missing_duhok,
        "rescued_duhok": rescued_duhok,
        "missing_sinjar": missing_sinjar,
    }


# username -> the cases (of `world`) that exist for it
EXPECTED = {
    "caseworker-duhok": {"missing_duhok", "rescued_duhok"},
    "caseworker-sinjar": {"missing_sinjar"},
    "supervisor-duhok": {"missing_duhok", "rescued_duhok"},
    "forensic": {"missing_duhok", "missing_sinjar"},
    "aid-officer-duhok": {"rescued_duhok"},
    "analyst": set(),
    "auditor": set(),
    "partner-registry": {"missing_duhok"},
    "administrator": set(),
}
CASEWORK = {"caseworker-duhok", "caseworker-sinjar", "supervisor-duhok"}


def get(client, token, url):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("username", list(EXPECTED))
def test_each_role_sees_exactly_its_cases_and_fields(client, tokens, world, username):
    token = tokens[username]
    for name, case in world.items():
        response = get(client, token, reverse("api-case-detail", args=[case.pk]))
        if name not in EXPECTED[username]:
            assert response.status_code == 404, (username, name)
            continue
        assert response.status_code == 200, (username, name)
        body = response.json()
        assert response["ETag"] == f'"{case.version}"'
        sensitive = set(body) & SENSITIVE_FIELDS["cases.case"]
        assert not sensitive or username in CASEWORK, (username, sensitive)
        assert "testimony" not in json.dumps(body) or username in CASEWORK
    listing = get(client, token, reverse("api-case-list"))
    if not EXPECTED[username]:  # roles with no access to case records at all
        assert listing.status_code == 403
    else:
        ids = {row["id"] for row in listing.json()["results"]}
        assert ids == {str(world[name].pk) for name in EXPECTED[username]}


def test_the_partner_gets_its_agreed_fields_but_never_sensitive_ones(client, tokens, world):
    body = get(
        client,
        tokens["partner-registry"],
        reverse("api-case-detail", args=[world["missing_duhok"].pk]),
    ).json()
    assert set(body) == {"id", "case_number", "given_name_latn", "sex"}


def test_forensic_sees_the_birth_year_not_the_date(client, tokens, world):
    body = get(
        client, tokens["forensic"], reverse("api-case-detail", args=[world["missing_duhok"].pk])
    ).json()
    assert body["birth_year"] == "1990"
    assert "birth_date" not in body


def test_timeline_notes_are_for_casework_only(client, tokens, world):
    url = reverse("api-case-events", args=[world["rescued_duhok"].pk])
    casework = get(client, tokens["caseworker-duhok"], url).json()["results"]
    assert [e["type"] for e in casework] == ["reported_missing", "rescued"]
    assert casework[1]["note"] == "found with family in camp"
    # The aid officer sees the case but not its timeline.
    assert get(client, tokens["aid-officer-duhok"], url).status_code == 403
    assert get(client, tokens["caseworker-sinjar"], url).status_code == 404


def test_listing_cases_is_audited_with_the_cases_and_fields_shown(client, tokens, world):
    get(client, tokens["caseworker-duhok"], reverse("api-case-list"))
    entry = AuditEntry.objects.filter(action="view", actor_username="caseworker-duhok").latest(
        "sequence"
    )
    assert set(entry.changes["ids"]) == {
        str(world["missing_duhok"].pk),
        str(world["rescued_duhok"].pk),
    }
    assert "captivity_notes" in entry.changes["fields"]


def test_list_pages_are_keyset_paginated(client, tokens, world, make_case, offices):
    for _ in range(3):
        make_case(office=offices["duhok"])
    url = reverse("api-case-list") + "?page_size=2"
    seen = []
    while url:
        page = get(client, tokens["caseworker-duhok"], url).json()
        seen += [row["case_number"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == 5 and seen == sorted(seen)


def test_without_a_token_the_api_answers_401(client, world):
    response = client.get(reverse("api-case-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
