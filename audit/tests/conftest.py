"""Helpers for the audit tests: personas, running audit_verify, and tampering with the table the
way its owner could (bypassing the append-only triggers)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from access.models import OfficeMembership, Role
from audit import guard
from audit.models import AuditEntry

PASSWORD = "a-long-audit-test-passphrase"


@pytest.fixture
def make_user(offices):
    def make(username: str, role: str = Role.CASEWORKER, office_codes=("DHK",)):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        for code in office_codes:
            office = next(o for o in offices.values() if o.code == code)
            OfficeMembership.objects.create(user=user, office=office)
        return user

    return make


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker-duhok")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor-duhok", Role.SUPERVISOR)


def last_sequence() -> int:
    return AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def entries_after(sequence: int):
    return list(AuditEntry.objects.filter(sequence__gt=sequence).order_by("sequence"))


def run_verify(*args: str) -> tuple[int, str, str]:
    """audit_verify's exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def verify_json() -> dict:
    code, out, _ = run_verify("--json")
    report = json.loads(out)
    assert (code == 0) == report["intact"]
    return report


@contextlib.contextmanager
def triggers_bypassed():
    """What the table's owner can do: PostgreSQL disables the user triggers (transactional: the
    test's rollback restores them too); SQLite has no such switch, so drop and re-create them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {guard.TABLE} DISABLE TRIGGER USER")
        else:
            guard.remove(connection)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {guard.TABLE} ENABLE TRIGGER USER")
            else:
                guard.install(connection)
    assert guard.installed(connection)


def raw(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
