"""The case number in code-point order on PostgreSQL (collation "C"), as Python and SQLite order
strings: case numbers are identifiers, not words, and the DNA worklist walks their index in the
order it has always listed them (reports.queries.families). The unique index is rebuilt; the
table is not rewritten. Nothing changes on SQLite, whose default (BINARY) is that order already,
and Django's model state is unchanged (the column type is the same)."""

from django.db import migrations


def _alter(collation: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f'ALTER TABLE cases_case ALTER COLUMN case_number TYPE varchar(32) COLLATE "{collation}"'
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_redundant_indexes")]

    operations = [migrations.RunPython(_alter("C"), _alter("default"))]
