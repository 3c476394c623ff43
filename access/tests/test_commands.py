"""create_user, issue_token, revoke_token and enrol_totp, run as an operator would."""

import hashlib
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import ApiToken, Role

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_RE = re.compile(r"mpt_[A-Za-z0-9_-]{43}")


def run(*args, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("role", Role.values)
def test_create_user_every_role_without_password(offices, role):
    out, _err = run("create_user", f"u-{role}", "--role", role, "--office", "dhk")
    user = get_user_model().objects.get(username=f"u-{role}")
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert list(user.office_memberships.values_list("office__code", flat=True)) == ["DHK"]
    assert not user.has_usable_password()
    assert "No usable password" in out


def test_create_user_several_offices_by_code_and_name(offices):
    run("create_user", "u", "--role", "caseworker", "--office", "DHK", "--office", "sinjar")
    user = get_user_model().objects.get(username="u")
    codes = sorted(user.office_memberships.values_list("office__code", flat=True))
    assert codes == ["DHK", "SNJ"]


def test_create_user_password_from_stdin(offices, monkeypatch):
    out, _err = run(
        "create_user",
        "u",
        "--role",
        "caseworker",
        "--password-stdin",
        "--email",
        "u@example.org",
        stdin=PASSWORD + "\n",
        monkeypatch=monkeypatch,
    )
    user = get_user_model().objects.get(username="u")
    assert user.check_password(PASSWORD)
    assert user.email == "u@example.org"
    assert "No usable password" not in out


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short-pw", "too short"), ("381204957261", "entirely numeric"), ("", "no password")],
)
def test_create_user_refuses_bad_passwords_naming_the_problem(
    offices, monkeypatch, password, problem
):
    with pytest.raises(CommandError, match=problem):
        run(
            "create_user",
            "u",
            "--role",
            "caseworker",
            "--password-stdin",
            stdin=password + "\n",
            monkeypatch=monkeypatch,
        )
    assert not get_user_model().objects.filter(username="u").exists()


def test_create_user_names_an_unknown_role_or_office(offices):
    with pytest.raises(CommandError, match="overseer"):
        run("create_user", "u", "--role", "overseer")
    with pytest.raises(CommandError, match="Erbil"):
        run("create_user", "u", "--role", "caseworker", "--office", "Erbil")


def test_create_user_rerun_updates_and_refuses_a_new_password(offices, monkeypatch):
    run("create_user", "u", "--role", "caseworker", "--office", "DHK")
    out, _err = run("create_user", "u", "--role", "supervisor", "--office", "SNJ")
    assert out.startswith("Updated u")
    user = get_user_model().objects.get(username="u")
    assert list(user.groups.values_list("name", flat=True)) == ["supervisor"]
    run(
        "create_user",
        "u",
        "--role",
        "supervisor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        monkeypatch=monkeypatch,
    )
    with pytest.raises(CommandError, match="not overwritten"):
        run(
            "create_user",
            "u",
            "--role",
            "supervisor",
            "--password-stdin",
            stdin="a-different-passphrase-7\n",
            monkeypatch=monkeypatch,
        )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_issue_token_prints_only_the_token_and_stores_its_digest(caseworker_duhok):
    out, err = run("issue_token", "caseworker-duhok", "--name", "sync script")
    assert TOKEN_RE.fullmatch(out.strip()), out
    assert out.count("\n") == 1
    raw = out.strip()
    token = ApiToken.objects.get(user=caseworker_duhok)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:12]
    assert token.name == "sync script"
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert all(raw not in value for value in stored)
    assert (token.expires_at - token.created_at).days == 90
    assert token.prefix in err and raw not in err


def test_issue_token_days_and_unknown_user(caseworker_duhok):
    run("issue_token", "caseworker-duhok", "--days", "7")
    token = ApiToken.objects.get(user=caseworker_duhok)
    assert (token.expires_at - token.created_at).days == 7
    with pytest.raises(CommandError, match="nobody"):
        run("issue_token", "nobody")
    with pytest.raises(CommandError, match="between 1 and"):
        run("issue_token", "caseworker-duhok", "--days", "0")


def test_revoke_token_by_prefix_id_or_whole_token(caseworker_duhok):
    raw_tokens = [run("issue_token", "caseworker-duhok")[0].strip() for _ in range(3)]
    by_prefix, by_id, whole = (ApiToken.objects.get(prefix=raw[:12]) for raw in raw_tokens)

    run("revoke_token", by_prefix.prefix)
    run("revoke_token", str(by_id.pk))
    run("revoke_token", raw_tokens[2])
    for token in (by_prefix, by_id, whole):
        token.refresh_from_db()
        assert token.revoked_at is not None

    out, _err = run("revoke_token", by_prefix.prefix)
    assert "already revoked" in out
    with pytest.raises(CommandError, match="No token"):
        run("revoke_token", "mpt_nothing0")


def test_enrol_totp_prints_the_otpauth_url_and_refuses_to_replace_silently(supervisor_duhok):
    out, _err = run("enrol_totp", "supervisor-duhok")
    assert out.startswith("otpauth://totp/") and out.count("\n") == 1
    device = TOTPDevice.objects.get(user=supervisor_duhok)
    assert device.confirmed
    with pytest.raises(CommandError, match="replace"):
        run("enrol_totp", "supervisor-duhok")
    out_again, _err = run("enrol_totp", "supervisor-duhok", "--replace")
    assert out_again != out
    assert TOTPDevice.objects.filter(user=supervisor_duhok).count() == 1
