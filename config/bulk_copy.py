"""Bulk inserts by COPY on PostgreSQL, for the batch paths that insert many rows per request
(batch sync's cases, events and audit entries; docs/performance.md, "Batch sync").

Django 5.2 sends a bulk insert on PostgreSQL as one array per column (`UNNEST`), which psycopg
writes out as text in Python, escaping every quote and backslash with a regular expression: for
rows full of JSON (the audit entries' changes) that was the largest single cost of a batch.
COPY rows are formatted by psycopg's C code. Everything else is what bulk_create does: the
primary key's default, the related objects' checks, each field's pre_save (search keys,
auto_now) and the value the field makes for the database; like bulk_create, no signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import AutoFieldMixin


def copy_create(
    model: type[models.Model], objs: Sequence[models.Model], *, using: str = DEFAULT_DB_ALIAS
) -> Sequence[models.Model]:
    """Insert `objs` (new instances of `model`) as bulk_create would, by COPY on PostgreSQL and
    by bulk_create elsewhere. A primary key the database numbers (an AutoField) is not set on
    the objects by the COPY: the caller reads it back if it needs it (audit.services does)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs)
    if not objs:
        return objs
    opts = model._meta
    database_numbered = isinstance(opts.pk, AutoFieldMixin)
    fields = [
        field for field in opts.concrete_fields if not (field.primary_key and database_numbered)
    ]
    for obj in objs:
        if obj.pk is None and not database_numbered:
            obj.pk = opts.pk.get_pk_value_on_save(obj)
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    quote = connection.ops.quote_name
    copy_sql = (
        f"COPY {quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        "FROM STDIN"
    )
    # The psycopg cursor under Django's wrapper: COPY is psycopg 3's own API.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(copy_sql) as copy,
    ):
        for obj in objs:
            copy.write_row(_database_values(obj, fields, connection))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def _database_values(obj: models.Model, fields: list[Any], connection: Any) -> list[Any]:
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
