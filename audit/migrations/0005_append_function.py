"""audit_append(): the chain's append in one database statement on PostgreSQL (audit.append)."""

from django.db import migrations


def install(apps, schema_editor):
    from audit import append

    append.install(schema_editor.connection)


def remove(apps, schema_editor):
    from audit import append

    append.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_mentions")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
