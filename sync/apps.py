from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Keeping partner systems in step: the change feed, batch upserts keyed by the partner's
    own ids, idempotent POSTs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "sync"

    def ready(self) -> None:
        from audit.services import BEFORE_APPEND

        from . import signals  # noqa: F401
        from .feed import feed_flush_pending

        if feed_flush_pending not in BEFORE_APPEND:
            BEFORE_APPEND.append(feed_flush_pending)
