"""Celery application. Broker: CELERY_BROKER_URL (Redis); tasks run eagerly when it is unset."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _gc_tune(**_kwargs) -> None:
    """Each worker process, once started: the web workers' garbage-collector tuning
    (config/gc_tuning.py); an export task builds as many short-lived rows as a feed page."""
    from config.gc_tuning import gc_tune_from_settings

    gc_tune_from_settings()


def broker_connections_reset() -> None:
    """Forget every pooled broker connection and producer, so that the next task is sent with
    the current settings. For code that switches brokers at run time (the tests that start a
    real worker on Redis and then go back to eager tasks). kombu keeps its pools in global
    registries keyed by connection: closing only the app's pool would leave a closed pool there
    for the next caller of the same broker URL ("Acquire on closed pool")."""
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
