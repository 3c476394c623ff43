"""The broker path: a real Celery worker (in a thread of this process) consuming from the real
Redis broker runs an export requested through the service, and a second delivery of the same
message (what acks_late does after a worker dies) makes no second file.

Redis database 13 is used and emptied for this test only. Without Redis on 127.0.0.1:6379 the
test is skipped with that reason (shown by -ra), never silently. The test does not touch the
database while the worker runs (it waits for the task's postrun signal).
"""

from __future__ import annotations

import os
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from config.celery import app, broker_connections_reset
from exports import services
from exports.models import ExportJob
from exports.tasks import export_run

BROKER = "redis://127.0.0.1:6379/13"


class Finished:
    """Counts export tasks as the worker finishes them."""

    def __init__(self) -> None:
        self.count = 0
        self.threads: set[int] = set()
        self.changed = threading.Condition()

    def __call__(self, sender=None, **kwargs) -> None:
        # The worker thread's own database connection: closed so the test database can go.
        connections.close_all()
        if sender is not None and sender.name == export_run.name:
            with self.changed:
                self.threads.add(threading.get_ident())
                self.count += 1
                self.changed.notify_all()

    def wait_for(self, count: int, seconds: float = 60.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.count >= count, timeout=seconds), (
                "timed out waiting for the worker"
            )


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
    finished = Finished()
    task_postrun.connect(finished, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=20):
            yield finished
    finally:
        task_postrun.disconnect(finished)
        app.conf.update(saved)
        broker_connections_reset()
        client.flushdb()


# PostgreSQL only (CI runs it there): SQLite's shared in-memory test database locks between the
# worker's connection and the test's whenever an earlier test left a statement open, which made
# this test depend on the order of the suite.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_export_once(redis_worker, caseworker, some_cases):
    # Committed at once (autocommit): on_commit publishes the task to Redis.
    job = services.export_request(user=caseworker, dataset="cases", fmt="csv")
    redis_worker.wait_for(1)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert (job.row_count, job.progress, job.attempts) == (4, 100, 1)
    # The same message again, as after a worker died before acknowledging it.
    export_run.delay(str(job.pk))
    redis_worker.wait_for(2)
    job.refresh_from_db()
    assert job.attempts == 1
    assert os.listdir(services.exports_root()) == [job.file_name]
    # Run by the worker's thread, not eagerly in this one.
    assert threading.get_ident() not in redis_worker.threads
