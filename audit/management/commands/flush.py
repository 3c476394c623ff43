"""`flush`, keeping the audit trail.

Django's flush empties every table in one statement (TRUNCATE on PostgreSQL, DELETE on SQLite),
which the audit table's triggers refuse, so the whole flush would fail. The trail outlives a
flush by design: this empties every other table and then records, in the trail, that the data
was wiped. Tests rely on it too: pytest-django flushes the database after each
`transaction=True` test.
"""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import connections

from audit.guard import TABLE


class Command(flush.Command):
    help = flush.Command.help + " The audit trail is kept, with an entry recording the flush."

    def handle(self, **options):
        connection = connections[options["database"]]
        introspection, ops = connection.introspection, connection.ops
        every_table, execute_flush = introspection.django_table_names, ops.execute_sql_flush
        flushed = []

        def all_but_the_trail(*args, **kwargs):
            return [table for table in every_table(*args, **kwargs) if table != TABLE]

        def execute_and_note(sql_list):
            execute_flush(sql_list)
            flushed.append(True)  # not when the operator answered "no"

        # Django's flush asks the connection for the tables to empty and then runs the SQL:
        # answer without the audit table, and note that it ran, for this command only.
        introspection.django_table_names = all_but_the_trail
        ops.execute_sql_flush = execute_and_note
        try:
            result = super().handle(**options)
        finally:
            del introspection.django_table_names
            del ops.execute_sql_flush
        if flushed and TABLE in introspection.table_names():
            from audit.services import audit_log

            audit_log(
                action="delete",
                subject_type="database",
                subject_id=options["database"],
                changes={"flush": True},
            )
        return result
