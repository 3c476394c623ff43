"""The database refuses UPDATE, DELETE and TRUNCATE of audit entries (audit.guard).

Rolling back a test transaction is not a DELETE, so tests that insert entries still roll back.
"""

from django.db import migrations


def install(apps, schema_editor):
    from audit import guard

    # guard picks the SQL for schema_editor.connection.vendor (PostgreSQL or SQLite) and refuses
    # any other backend rather than leave the trail unprotected.
    guard.install(schema_editor.connection)


def remove(apps, schema_editor):
    from audit import guard

    guard.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
