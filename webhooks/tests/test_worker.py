"""The broker path: a real Celery worker consuming from Redis delivers an event, and a failed
attempt is retried by a message scheduled with the back-off as its countdown.

Redis database 14 is used and emptied for this test only. Without Redis on 127.0.0.1:6379 the
test is skipped with that reason (shown by -ra), never silently.

PostgreSQL only: the worker runs in a thread of the test process with its own database
connection, and SQLite's shared in-memory test database locks whole tables between connections
("database table is locked"), so the worker and the test's polling collide at random.
"""

from __future__ import annotations

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from cases.lifecycle import EventType
from cases.services import case_transition
from config.celery import app, broker_connections_reset
from webhooks.models import Delivery
from webhooks.signing import signature_verify

BROKER = "redis://127.0.0.1:6379/14"


def _close_connections(**kwargs) -> None:
    # The worker's thread opens its own database connection; close it after each task so the
    # test database can be flushed and dropped.
    connections.close_all()


@pytest.fixture
def redis_worker():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs Redis at {BROKER}")
    client.flushdb()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=BROKER, task_always_eager=False, result_backend=None)
    broker_connections_reset()
    task_postrun.connect(_close_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=20):
            yield
    finally:
        task_postrun.disconnect(_close_connections)
        app.conf.update(saved)
        broker_connections_reset()
        client.flushdb()


def _wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_and_retries_with_a_countdown(
    redis_worker, receiver, partner, subscribe, shared_case, settings
):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 1.0
    # Rescues only: the worker is already consuming, and the case's first event ("reported
    # missing", recorded by the fixture) may still be in its queue.
    subscription = subscribe(partner, event_types=[EventType.RESCUED])
    receiver.statuses = [500]

    started = time.monotonic()
    # Committed at once (autocommit): on_commit publishes the fan-out to Redis.
    case_transition(
        case=shared_case, event_type=EventType.RESCUED, on="2016-02-01", actor=None, source="x"
    )
    delivery = _wait_for(lambda: Delivery.objects.filter(state=Delivery.State.DELIVERED).first())
    elapsed = time.monotonic() - started

    assert delivery.subscription_id == subscription.pk
    assert delivery.attempts == 2
    first, second = delivery.attempt_log.all()
    assert (first.status_code, second.status_code) == (500, 200)
    # The retry waited for its countdown (1 s) rather than running at once.
    assert (second.started_at - first.started_at).total_seconds() >= 0.9
    assert elapsed >= 0.9
    received = receiver.requests[-1]
    assert signature_verify(
        secret=subscription.secret,
        timestamp=received.headers["X-Tracker-Timestamp"],
        body=received.body,
        signature=received.headers["X-Tracker-Signature"],
    )
    assert json.loads(received.body)["event"]["type"] == "rescued"
    assert len(receiver.requests) == 2
    assert Delivery.objects.count() == 1
