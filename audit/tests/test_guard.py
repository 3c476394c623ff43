"""The database itself refuses to change or remove audit entries, whoever asks."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit import guard
from audit.models import AuditEntry
from audit.services import audit_log

from .conftest import raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    return audit_log(action="view", subject_type="cases.case", subject_id="c1")


def test_the_triggers_are_installed_by_the_migrations():
    assert guard.installed(connection)


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {guard.TABLE} SET actor_username = 'someone-else' WHERE id = %s",
        f"UPDATE {guard.TABLE} SET sequence = sequence + 1000 WHERE id = %s",
        f"DELETE FROM {guard.TABLE} WHERE id = %s",
    ],
)
def test_raw_sql_update_and_delete_are_refused(entry, sql):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw(sql, [entry.pk])
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.actor_username, stored.sequence) == ("", entry.sequence)


def test_deleting_every_row_is_refused(entry):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw(f"DELETE FROM {guard.TABLE}")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"TRUNCATE {guard.TABLE}")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_orm_is_refused_too(entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="delete")
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.subject_id = "c2"
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).subject_id == "c1"


def test_installing_again_is_harmless():
    # What every `migrate` does (audit.apps): on SQLite a table rebuild would have lost them.
    guard.install(connection)
    guard.install(connection)
    assert guard.installed(connection)


@pytest.mark.django_db(transaction=True)
def test_flush_empties_everything_but_the_trail_and_records_that_it_did(make_case):
    case = make_case()
    before = AuditEntry.objects.count()
    assert AuditEntry.objects.filter(subject_id=str(case.pk)).exists()

    call_command("flush", interactive=False, verbosity=0)

    assert not type(case).objects.exists()
    assert AuditEntry.objects.count() == before + 1
    last = AuditEntry.objects.latest("sequence")
    assert (last.action, last.subject_type, last.changes) == ("delete", "database", {"flush": True})
    assert guard.installed(connection)
