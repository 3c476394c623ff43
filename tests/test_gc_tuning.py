"""The garbage-collector tuning of server processes (config/gc_tuning.py): what it changes, and
that the web and Celery worker processes get it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.gc_tuning import gc_tune_for_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def restored_gc():
    """Whatever a test does to the collector is undone for the rest of the suite."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_freezes_the_loaded_objects_and_raises_the_first_threshold(restored_gc):
    middle, old = gc.get_threshold()[1:]
    assert gc_tune_for_server(40_000) is True
    assert gc.get_threshold() == (40_000, middle, old)
    # Everything alive now (modules, Django's registries) is out of the collector's reach.
    assert gc.get_freeze_count() > 10_000


def test_threshold_zero_keeps_pythons_defaults(restored_gc):
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert gc_tune_for_server(0) is False
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen


def _python(code: str, **env: str) -> str:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_a_web_worker_is_tuned_once_the_application_is_loaded():
    # What gunicorn does in each worker: import config.wsgi.
    out = _python(
        "import gc, config.wsgi; print(gc.get_threshold()[0], gc.get_freeze_count())",
        PYTHON_GC_THRESHOLD="12345",
    )
    threshold, frozen = map(int, out.split())
    assert threshold == 12345
    assert frozen > 10_000


def test_the_setting_can_turn_it_off():
    out = _python(
        "import gc; default = gc.get_threshold()\n"
        "import config.wsgi; print(gc.get_threshold() == default, gc.get_freeze_count())",
        PYTHON_GC_THRESHOLD="0",
    )
    assert out == "True 0"


def test_a_celery_worker_process_is_tuned_when_it_starts(restored_gc, settings):
    from celery.signals import worker_process_init

    settings.PYTHON_GC_THRESHOLD = 23_456
    worker_process_init.send(sender=None)
    assert gc.get_threshold()[0] == 23_456
    assert gc.get_freeze_count() > 0
