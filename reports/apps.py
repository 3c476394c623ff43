from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from celery.schedules import crontab

        from config.celery import app

        # Nightly, after the audit chain check: the schedule lives with the code it runs.
        app.conf.beat_schedule.setdefault(
            "figures-reconcile",
            {
                "task": "reports.tasks.figures_reconcile_task",
                "schedule": crontab(hour=1, minute=30),
            },
        )
