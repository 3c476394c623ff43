from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Keeping partner systems in step: the change feed, batch upserts keyed by the partner's
    own ids, idempotent POSTs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "sync"

    def ready(self) -> None:
        from . import signals  # noqa: F401
