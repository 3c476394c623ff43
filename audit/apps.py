from django.apps import AppConfig
from django.db import connections


def _reinstall_append_only_guard(sender, using, **kwargs) -> None:
    """After every migrate (and flush): a migration that alters the audit table rebuilds it on
    SQLite, dropping its triggers; putting them back each time is idempotent and cheap."""
    from . import guard

    connection = connections[using]
    if guard.TABLE in connection.introspection.table_names():
        guard.install(connection)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401 - connect login, account and agreement signals

        post_migrate.connect(
            _reinstall_append_only_guard, sender=self, dispatch_uid="audit_append_only_guard"
        )

        from celery.schedules import crontab

        from config.celery import app

        # Nightly, like the other sweeps: the schedule lives with the code it runs.
        app.conf.beat_schedule.setdefault(
            "audit-chain-verify",
            {"task": "audit.tasks.audit_chain_verify_task", "schedule": crontab(hour=1, minute=0)},
        )
