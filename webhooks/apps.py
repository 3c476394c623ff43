from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: signed deliveries to partners' endpoints, retried through Celery."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
