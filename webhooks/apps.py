from django.apps import AppConfig

# How often Celery beat runs the sweeper of overdue deliveries.
SWEEP_EVERY_SECONDS = 60.0


class WebhooksConfig(AppConfig):
    """Outbound webhooks: signed deliveries to partners' endpoints, retried through Celery."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        from config.celery import app

        from . import signals  # noqa: F401

        # The sweeper's schedule lives with the code it runs (added to whatever
        # CELERY_BEAT_SCHEDULE holds): `celery -A config beat` picks it up.
        app.conf.beat_schedule.setdefault(
            "webhooks-deliveries-due",
            {"task": "webhooks.tasks.deliveries_due", "schedule": SWEEP_EVERY_SECONDS},
        )
