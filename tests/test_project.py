"""Project-level guarantees: production settings pass `check --deploy`, Celery falls back to
eager execution without a broker, and the admin covers every model (evidence read-only)."""

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 30 + "a-long-random-looking-secret-9f8e7d6c5b4a",
        "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _database_options(option="server_side_binding", **environment):
    script = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(sorted((alias, db.get('OPTIONS', {{}}).get({option!r})) "
        "for alias, db in settings.DATABASES.items()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_postgresql_binds_parameters_on_the_server_unless_turned_off():
    primary = "postgres://postgres@127.0.0.1:5432/tracker"
    both = {"DATABASE_URL": primary, "DATABASE_REPLICA_URL": primary}
    assert _database_options(**both) == "[('default', True), ('replica', True)]"
    assert (
        _database_options(**both, DATABASE_SERVER_SIDE_BINDING="false")
        == "[('default', None), ('replica', None)]"
    )
    # SQLite has no such option.
    sqlite = {"DATABASE_URL": "sqlite:///unused.sqlite3", "DATABASE_REPLICA_URL": ""}
    assert _database_options(**sqlite) == "[('default', None)]"


def test_postgresql_prepares_repeated_statements_unless_turned_off():
    primary = "postgres://postgres@127.0.0.1:5432/tracker"
    both = {"DATABASE_URL": primary, "DATABASE_REPLICA_URL": primary}
    options = functools.partial(_database_options, "prepare_threshold")
    assert options(**both) == "[('default', 5), ('replica', 5)]"
    assert options(**both, DATABASE_PREPARE_THRESHOLD="2") == "[('default', 2), ('replica', 2)]"
    assert (
        options(**both, DATABASE_PREPARE_THRESHOLD="0") == "[('default', None), ('replica', None)]"
    )
    # Client-side binding prepares nothing (psycopg's ClientCursor cannot).
    assert (
        options(**both, DATABASE_SERVER_SIDE_BINDING="false")
        == "[('default', None), ('replica', None)]"
    )


@pytest.mark.django_db
def test_a_statement_run_again_and_again_is_prepared_on_the_server():
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: prepared statements are psycopg's")
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    sql = "SELECT %s::int * 2 AS doubled_for_the_prepare_test"
    with connection.cursor() as cursor:
        for number in range(threshold + 1):
            cursor.execute(sql, [number])
            assert cursor.fetchone() == (number * 2,)
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%doubled_for_the_prepare_test%"],
        )
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_the_tests_run_with_the_binding_production_uses():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the option is psycopg's")
    import psycopg

    with connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)


def test_celery_runs_tasks_eagerly_without_a_broker(settings):
    from config.celery import app

    if os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("a broker is configured in this environment; eager mode does not apply")
    assert app.conf.task_always_eager is True
    assert app.conf.task_acks_late is True


@pytest.mark.django_db
def test_admin_lists_every_model_and_keeps_evidence_read_only(admin_client):
    ours = [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"gazetteer", "cases", "graves", "families", "aid", "reports"}
    ]
    assert ours
    for model in ours:
        if model._meta.model_name in {"kinship", "alternatename", "gravereport"}:
            continue  # edited inline on their parent
        assert admin.site.is_registered(model), model
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
    for name in (
        "cases_caseevent",
        "graves_identification",
        "families_handover",
        "aid_disbursement",
    ):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403, name
