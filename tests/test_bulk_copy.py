"""config.bulk_copy.copy_create: on PostgreSQL a COPY that stores what bulk_create stores;
elsewhere bulk_create itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import AuditEntry
from cases.models import AlternateName, Case
from config.bulk_copy import copy_create

pytestmark = pytest.mark.django_db


def _case(gazetteer, offices, number: str) -> Case:
    return Case(
        case_number=number,
        given_name_latn="Xêrî",
        given_name_ar="خيري",
        family_name_latn='Qa"sim \\ {x}',  # COPY and array quoting both escape these
        sex="female",
        age_at_abduction=19,
        origin=gazetteer["kocho"],
        office=offices["duhok"],
        abducted_on="2014-08",
        abducted_by=dt.date(2014, 8, 31),
        captivity_notes="line one\nline two\ttab",
    )


def test_copy_stores_what_bulk_create_stores(gazetteer, offices):
    Case.objects.bulk_create([_case(gazetteer, offices, "BC-1")])
    by_copy = copy_create(Case, [_case(gazetteer, offices, "BC-2")])[0]
    assert by_copy.pk is not None and not by_copy._state.adding
    columns = [field.attname for field in Case._meta.concrete_fields]
    stored = {
        row["case_number"]: row
        for row in Case.objects.filter(case_number__startswith="BC-").values(*columns)
    }
    for row in stored.values():
        for different in ("id", "case_number", "created_at", "updated_at"):
            row.pop(different)
    assert stored["BC-1"] == stored["BC-2"]
    copied = Case.objects.get(pk=by_copy.pk)
    # pre_save ran: the search key and auto_now.
    assert copied.search_name.startswith("خيري xeri") and 'qa"sim' in copied.search_name
    assert copied.updated_at is not None
    assert copied.captivity_notes == "line one\nline two\ttab"
    # Related rows can point at it at once.
    AlternateName.objects.create(case=copied, full_name="Kheri", script="latn")


def test_a_refused_row_refuses_the_whole_copy(gazetteer, offices):
    Case.objects.bulk_create([_case(gazetteer, offices, "BC-9")])
    rows = [_case(gazetteer, offices, "BC-10"), _case(gazetteer, offices, "BC-9")]
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_create(Case, rows)
    assert not Case.objects.filter(case_number="BC-10").exists()


def test_a_database_numbered_key_is_left_to_the_database(make_case):
    """AuditEntry's id is a BigAutoField: the COPY leaves it out; audit.services reads it back
    (test_batch_bulk checks the chain and the mentions that point at it)."""
    make_case()
    before = AuditEntry.objects.count()
    entry = AuditEntry.objects.order_by("-sequence").first()
    copy = AuditEntry(
        **{
            field.attname: getattr(entry, field.attname)
            for field in AuditEntry._meta.concrete_fields
            if not field.primary_key
        }
    )
    copy.sequence = entry.sequence + 1
    copy_create(AuditEntry, [copy])
    assert AuditEntry.objects.count() == before + 1
    stored = AuditEntry.objects.get(sequence=copy.sequence)
    assert stored.pk != entry.pk and stored.changes == entry.changes
    if connection.vendor == "postgresql":
        assert copy.pk is None  # not known to the COPY
