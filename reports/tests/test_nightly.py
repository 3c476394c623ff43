"""The nightly jobs (issue 5): the figures reconciliation and the audit chain check, run as
Celery tasks; running one twice the same night records one result."""

import datetime as dt

import pytest

from audit.models import ChainCheck
from audit.services import audit_log
from audit.tasks import audit_chain_verify_task, chain_check_record
from audit.tests.conftest import raw, triggers_bypassed
from cases.lifecycle import EventType
from cases.services import case_transition
from config.celery import app
from reports.models import FiguresRun, PublishedFigure
from reports.tasks import figures_reconcile_task, figures_run_record

pytestmark = pytest.mark.django_db


def test_both_jobs_are_on_the_nightly_schedule():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"audit.tasks.audit_chain_verify_task", "reports.tasks.figures_reconcile_task"} <= tasks


def test_the_chain_check_records_one_row_per_night_and_names_a_broken_entry():
    for n in range(3):
        audit_log(action="view", subject_type="cases.case", subject_id=f"c{n}")
    assert audit_chain_verify_task.delay().get() is True
    assert audit_chain_verify_task.delay().get() is True  # redelivered: same row
    check = ChainCheck.objects.get()
    assert check.intact and check.entries >= 3

    with triggers_bypassed():
        raw("UPDATE audit_auditentry SET subject_id = 'x' WHERE sequence = 2")
    broken = chain_check_record(on=dt.date.today() + dt.timedelta(days=1))
    assert not broken.intact and broken.first_broken_sequence == 2
    assert ChainCheck.objects.count() == 2


def test_the_reconciliation_records_statuses_and_what_changed_since_the_night_before(
    make_case,
):
    PublishedFigure.objects.create(
        ref="t-rescued",
        key="rescued_total",
        label="Rescued",
        as_of=dt.date(2024, 12, 3),
        value=1,
        publisher="test",
        source_title="test",
        source_url="https://example.org/",
    )
    first = figures_run_record(on=dt.date(2025, 1, 1))
    assert first.results[0]["computed"] == 0 and first.counts
    was = first.results[0]["status"]

    case = make_case()
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2020-01-01", actor=None, source="test"
    )
    assert figures_reconcile_task.delay().get()  # today's run, through Celery (eager here)
    today = FiguresRun.objects.get(run_on=dt.date.today())
    assert today.results[0]["computed"] == 1
    assert today.changed == [{"ref": "t-rescued", "was": was, "now": today.results[0]["status"]}]
    figures_reconcile_task.delay().get()
    assert FiguresRun.objects.count() == 2


def test_the_pages_show_the_last_nightly_results(client, web_user, web_login):
    from access.models import Role

    chain_check_record()
    figures_run_record()
    web_login(web_user("auditor", Role.AUDITOR))
    assert "the chain of" in client.get("/audit/").content.decode()
    client.logout()
    web_login(web_user("analyst", Role.ANALYST))
    assert "Last nightly reconciliation" in client.get("/reports/figures/").content.decode()
