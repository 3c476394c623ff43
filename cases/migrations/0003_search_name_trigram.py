"""Trigram search on the names' key, on PostgreSQL only (cases.search falls back to a substring
match elsewhere). TrigramExtension itself does nothing on other databases; the GIN indexes are
created only on PostgreSQL, which is why they are not in the models' Meta."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class TrigramExtensionIfPostgreSQL(TrigramExtension):
    """Creates pg_trgm on PostgreSQL and does nothing elsewhere (as Django's does). Unapplying
    leaves the extension in place: other tables may use it, and Django's own reverse would query
    pg_extension on SQLite too."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return


INDEXES = {
    "cases_case_search_name_trgm": "cases_case",
    "cases_alternatename_search_name_trgm": "cases_alternatename",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_name gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_case_search_name")]

    operations = [
        TrigramExtensionIfPostgreSQL(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
