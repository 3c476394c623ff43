"""Journey: auditors and supervisors read the audit trail in the UI and the API; other roles
are refused (and the refusal is itself audited); a case page's access history."""

import pytest
from django.urls import reverse
from django_otp.oath import totp

from access import policy
from access.models import Role
from access.second_factor import totp_device_enrol
from access.services import user_create
from access.tokens import token_issue
from audit.models import AuditEntry

PASSWORD = "a-long-test-passphrase-2014"


@pytest.fixture
def people(offices):
    return {
        name: user_create(username=name, role=role, offices=codes, password=PASSWORD)
        for name, role, codes in [
            ("caseworker-duhok", Role.CASEWORKER, ["DHK"]),
            ("caseworker-sinjar", Role.CASEWORKER, ["SNJ"]),
            ("supervisor-duhok", Role.SUPERVISOR, ["DHK"]),
            ("supervisor-sinjar", Role.SUPERVISOR, ["SNJ"]),
            ("auditor", Role.AUDITOR, []),
        ]
    }


def login(client, user):
    """Log in through the real login form, with a TOTP code where the role needs one."""
    data = {"username": user.username, "password": PASSWORD}
    if policy.roles_of(user) & {Role.SUPERVISOR, Role.AUDITOR}:
        device = totp_device_enrol(user=user)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        data["otp_token"] = f"{code:0{device.digits}d}"
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, response.content[:500]
    return client


def bearer(user):
    _token, raw = token_issue(user=user, days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def activity(people, make_case, offices):
    """Caseworkers of two offices each look at a case of their own office."""
    duhok_case = make_case(office=offices["duhok"])
    sinjar_case = make_case(office=offices["sinjar"])
    policy.case_as_dict(people["caseworker-duhok"], duhok_case)
    policy.case_as_dict(people["caseworker-sinjar"], sinjar_case)
    return duhok_case, sinjar_case


def test_auditor_reads_the_whole_trail_over_the_api_with_filters(client, people, activity):
    response = client.get(reverse("api-audit"), {"action": "view"}, **bearer(people["auditor"]))
    assert response.status_code == 200
    actors = {entry["actor_username"] for entry in response.json()["results"]}
    assert actors == {"caseworker-duhok", "caseworker-sinjar"}
    sequences = [entry["sequence"] for entry in response.json()["results"]]
    assert sequences == sorted(sequences, reverse=True)


def test_a_bad_filter_is_a_400_naming_the_field(client, people):
    response = client.get(
        reverse("api-audit"), {"since": "last tuesday"}, **bearer(people["auditor"])
    )
    assert response.status_code == 400
    assert "since" in response.json()["errors"]


def test_supervisor_reads_the_audit_of_their_offices_only(client, people, activity):
    response = client.get(
        reverse("api-audit"), {"action": "view"}, **bearer(people["supervisor-duhok"])
    )
    assert response.status_code == 200
    assert {e["actor_username"] for e in response.json()["results"]} == {"caseworker-duhok"}


def test_a_caseworker_may_not_read_the_trail_and_the_refusal_is_audited(client, people):
    response = client.get(reverse("api-audit"), **bearer(people["caseworker-duhok"]))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="denied", actor_username="caseworker-duhok").exists()


def test_audit_page_for_an_auditor_and_refused_to_a_caseworker(client, people, activity):
    login(client, people["auditor"])
    page = client.get(reverse("audit-list"), {"actor": "caseworker-sinjar"})
    assert page.status_code == 200
    assert b"caseworker-sinjar" in page.content
    assert b"<td>caseworker-duhok</td>" not in page.content
    client.logout()
    login(client, people["caseworker-duhok"])
    assert client.get(reverse("audit-list")).status_code == 403


def test_case_access_history_shows_who_has_seen_the_case(client, people, activity):
    duhok_case, _ = activity
    url = reverse("api-case-access-history", args=[duhok_case.pk])
    response = client.get(url, **bearer(people["supervisor-duhok"]))
    assert response.status_code == 200
    viewers = {e["actor_username"] for e in response.json()["results"] if e["action"] == "view"}
    assert viewers == {"caseworker-duhok"}
    # Another office's supervisor: the case does not exist for them.
    assert client.get(url, **bearer(people["supervisor-sinjar"])).status_code == 404
    # The caseworker sees the case but not its access history.
    assert client.get(url, **bearer(people["caseworker-duhok"])).status_code == 403


def test_issuing_and_revoking_a_token_is_audited_without_the_token(people):
    from access.tokens import token_revoke

    token, raw = token_issue(user=people["caseworker-duhok"], days=5)
    issued = AuditEntry.objects.get(action="token_issued")
    assert issued.changes["prefix"] == token.prefix
    assert raw not in str(issued.changes)
    token_revoke(token=token)
    assert AuditEntry.objects.filter(action="token_revoked", subject_id=str(token.pk)).exists()


def test_the_access_history_includes_the_list_pages_that_showed_the_case(
    client, people, activity, make_case
):
    """A list page shows many cases at once: it is one entry, yet each case's history has it,
    and the history of a case the page did not show does not."""
    duhok_case, _ = activity
    listed = client.get(reverse("api-case-list"), **bearer(people["caseworker-duhok"]))
    assert listed.status_code == 200
    listing = AuditEntry.objects.filter(
        action="view", actor_username="caseworker-duhok", subject_id=""
    ).latest("sequence")
    assert str(duhok_case.pk) in listing.changes["ids"]

    def history(case):
        url = reverse("api-case-access-history", args=[case.pk])
        results = client.get(url, **bearer(people["supervisor-duhok"])).json()["results"]
        return {entry["sequence"] for entry in results}

    assert listing.sequence in history(duhok_case)
    registered_later = make_case(case_number="LIST-LATER")
    assert listing.sequence not in history(registered_later)
