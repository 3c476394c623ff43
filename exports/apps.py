from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """Exports: jobs run by Celery, private files that expire, small-cell suppression."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = _("Exports")

    def ready(self) -> None:
        from celery.schedules import crontab

        from config.celery import app

        # The nightly sweep's schedule lives with the code it runs, as webhooks does:
        # `celery -A config beat` picks it up. 02:30 UTC, after the working day in Iraq.
        app.conf.beat_schedule.setdefault(
            "exports-expire",
            {"task": "exports.tasks.exports_expire_task", "schedule": crontab(hour=2, minute=30)},
        )
