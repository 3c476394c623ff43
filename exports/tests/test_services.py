"""Requesting, running, downloading and expiring exports through exports.services (Celery
eager: the task runs when the request commits)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os

import openpyxl
import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.models import Role
from audit.models import AuditEntry
from exports import services, writers
from exports.models import ExportJob
from exports.suppression import MARKER

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Request an export and let its task run (eagerly, on commit); the finished job."""

    def request(user, dataset, fmt="csv", params=None, language="en"):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.export_request(
                user=user, dataset=dataset, params=params or {}, fmt=fmt, language=language
            )
        job.refresh_from_db()
        return job

    return request


def read_csv(job) -> list[list[str]]:
    raw = (services.exports_root() / job.file_name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_a_caseworker_exports_the_cases_of_their_office(run, caseworker, some_cases):
    job = run(caseworker, "cases")
    assert job.status == ExportJob.Status.DONE, job.error
    assert (job.progress, job.row_count, job.deidentified) == (100, 4, False)
    rows = read_csv(job)
    header, body = rows[0], rows[1:]
    assert len(body) == 4
    numbers = {c.case_number for c in some_cases["duhok"]}
    number_at = header.index("case number")
    assert {row[number_at] for row in body} == numbers
    # casework sees the sensitive fields of its own cases
    assert "captivity notes" in header and "date of birth" in header
    text = "\n".join(",".join(row) for row in body)
    assert "sinjar" not in text
    # the request and what left the system are in the audit trail
    entries = AuditEntry.objects.filter(subject_type="exports.exportjob", subject_id=str(job.pk))
    assert {"export", "view"} <= set(entries.values_list("action", flat=True))
    view = entries.get(action="view")
    assert view.changes["rows"] == 4 and "captivity_notes" in view.changes["fields"]


def test_filters_of_the_case_list_apply(run, caseworker, some_cases):
    job = run(caseworker, "cases", params={"status": ["rescued"]})
    assert job.row_count == 1
    with pytest.raises(ValidationError):
        services.export_request(user=caseworker, dataset="cases", params={"nope": 1}, fmt="csv")
    with pytest.raises(ValidationError):
        services.export_request(
            user=caseworker, dataset="cases", params={"status": ["bogus"]}, fmt="csv"
        )


def test_forensic_exports_only_identification_fields(run, persona, some_cases):
    forensic = persona(Role.FORENSIC, ())
    job = run(forensic, "cases", fmt="json")
    records = json.loads((services.exports_root() / job.file_name).read_text())
    assert len(records) == 5  # the open cases of both offices, not the rescued one
    keys = set(records[0])
    assert "birth_year" in keys and records[0]["birth_year"] == 1990
    assert not keys & {"birth_date", "captivity_notes", "health_notes", "office"}
    assert "secret" not in (services.exports_root() / job.file_name).read_text()


def test_an_analyst_exports_no_case_records_but_a_suppressed_crosstab(run, analyst, some_cases):
    with pytest.raises(Http404):
        services.export_request(user=analyst, dataset="cases", fmt="csv")
    assert AuditEntry.objects.filter(action="denied", actor=analyst).exists()
    job = run(analyst, "cases_crosstab", fmt="xlsx", params={"rows": "fate", "columns": "sex"})
    assert job.status == ExportJob.Status.DONE and job.deidentified
    sheet = openpyxl.load_workbook(services.exports_root() / job.file_name).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    numbers = [v for row in values[1:] for v in row[1:] if isinstance(v, int)]
    assert all(not 1 <= v <= 9 for v in numbers)
    assert MARKER in {v for row in values for v in row}  # 5 and 1 cases: all small
    assert values[-1][0] == "Total"


def test_roles_without_any_export_are_refused(persona, some_cases):
    for role in (Role.AUDITOR, Role.PARTNER, Role.ADMIN):
        user = persona(role, ())
        with pytest.raises(PermissionDenied):
            services.export_request(user=user, dataset="cases", fmt="csv")
    assert not ExportJob.objects.exists()


def test_formulas_are_neutralised_and_numbers_stay_numbers(run, caseworker, make_case, offices):
    make_case(office=offices["duhok"], given_name_latn='=HYPERLINK("http://x")', age_at_abduction=7)
    make_case(office=offices["duhok"], given_name_latn="@SUM(A1)", family_name_latn="-1+2")
    csv_job = run(caseworker, "cases")
    rows = read_csv(csv_job)
    names = {row[rows[0].index("given name (Latin)")] for row in rows[1:]}
    assert names == {'\'=HYPERLINK("http://x")', "'@SUM(A1)"}
    assert "'-1+2" in {row[rows[0].index("family or tribe (Latin)")] for row in rows[1:]}
    xlsx_job = run(caseworker, "cases", fmt="xlsx")
    sheet = openpyxl.load_workbook(services.exports_root() / xlsx_job.file_name).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    given = header.index("given name (Latin)")
    age = header.index("age when abducted")
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[given] for row in data} == {'\'=HYPERLINK("http://x")', "'@SUM(A1)"}
    assert 7 in {row[age] for row in data}  # a number, not text
    for row in sheet.iter_rows(min_row=2):
        assert row[given].data_type == "s"


def test_neutralise_cases():
    assert writers.neutralise("=1+1") == "'=1+1"
    assert writers.neutralise("\tx") == "'\tx"
    assert writers.neutralise("\rx") == "'\rx"
    assert writers.neutralise("+x") == "'+x"
    assert writers.neutralise("a=b") == "a=b"
    assert writers.neutralise(-5) == -5
    assert writers.neutralise(3.5) == 3.5


@pytest.mark.parametrize(("language", "rtl"), [("ar", True), ("ckb", True), ("en", False)])
def test_xlsx_sheets_are_right_to_left_in_arabic_and_kurdish(
    run, caseworker, some_cases, language, rtl
):
    job = run(caseworker, "cases", fmt="xlsx", language=language)
    book = openpyxl.load_workbook(services.exports_root() / job.file_name)
    assert bool(book.worksheets[0].sheet_view.rightToLeft) is rtl


def test_progress_is_reported_while_writing(run, caseworker, some_cases, monkeypatch):
    monkeypatch.setattr(writers, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    with CaptureQueriesContext(connection) as queries:
        job = run(caseworker, "cases")
    updates = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "progress" in q["sql"]
    ]
    # the claim, one per row, the finish
    assert len(updates) >= 1 + 4 + 1
    assert job.progress == 100


def test_a_second_delivery_of_the_task_makes_no_second_file(run, caseworker, some_cases):
    job = run(caseworker, "cases")
    before = sorted(os.listdir(services.exports_root()))
    services.export_run(job_id=job.pk)  # acks_late: the same message delivered again
    job.refresh_from_db()
    assert job.attempts == 1 and job.status == ExportJob.Status.DONE
    assert sorted(os.listdir(services.exports_root())) == before == [job.file_name]


def test_a_run_that_died_is_taken_over_once_it_stops_reporting(caseworker, some_cases, settings):
    job = ExportJob.objects.create(requested_by=caseworker, dataset="cases", format="csv")
    stale = timezone.now() - dt.timedelta(seconds=settings.EXPORTS_STALE_SECONDS + 1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, heartbeat_at=stale)
    # a live run (fresh heartbeat) is left alone
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "running" and job.attempts == 1
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    assert os.listdir(services.exports_root()) == [job.file_name]


def test_a_run_that_lost_its_claim_leaves_no_file(caseworker, some_cases, monkeypatch):
    job = ExportJob.objects.create(requested_by=caseworker, dataset="cases", format="csv")
    real_write = services._write

    def write_then_lose_the_claim(job_, token, dataset, part):
        count = real_write(job_, token, dataset, part)
        ExportJob.objects.filter(pk=job_.pk).update(claim=None)  # another run took it over
        return count

    monkeypatch.setattr(services, "_write", write_then_lose_the_claim)
    services.export_run(job_id=job.pk)
    assert os.listdir(services.exports_root()) == []
    job.refresh_from_db()
    assert job.status == "running"  # the other run will finish it


def test_a_failure_is_recorded_without_personal_data(caseworker, some_cases, monkeypatch):
    job = ExportJob.objects.create(requested_by=caseworker, dataset="cases", format="csv")

    def boom(*args, **kwargs):
        raise RuntimeError("Name duhok 0 broke it")

    monkeypatch.setattr(services, "_write", boom)
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "Name" not in job.error and job.file_name == ""
    assert os.listdir(services.exports_root()) == []


def test_downloads_need_the_owner_a_fresh_link_and_an_unexpired_file(
    run, caseworker, persona, some_cases, monkeypatch
):
    job = run(caseworker, "cases")
    token = services.download_token(job)
    found, path = services.export_download(user=caseworker, pk=job.pk, token=token)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert AuditEntry.objects.filter(action="download", subject_id=str(job.pk)).count() == 1
    other = persona(Role.CASEWORKER, ("DHK",), username="another-caseworker")
    with pytest.raises(Http404):
        services.export_download(user=other, pk=job.pk, token=token)
    with pytest.raises(Http404):
        services.export_download(user=caseworker, pk=job.pk, token=token + "x")
    # a link older than EXPORTS_LINK_MAX_AGE_SECONDS
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 3600)
    old_token = services.download_token(job)
    monkeypatch.setattr(signing.time, "time", real_time)
    with pytest.raises(Http404):
        services.export_download(user=caseworker, pk=job.pk, token=old_token)
    # an expired export
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(Http404):
        services.export_download(user=caseworker, pk=job.pk, token=services.download_token(job))
    assert AuditEntry.objects.filter(action="download", subject_id=str(job.pk)).count() == 1


def test_the_nightly_sweep_deletes_expired_files_and_orphans(run, caseworker, some_cases):
    old = run(caseworker, "cases")
    kept = run(caseworker, "cases", fmt="json")
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    root = services.exports_root()
    orphan = root / "leftover.part"
    orphan.write_bytes(b"x")
    an_hour_ago = (timezone.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    fresh = root / "just-written.part"
    fresh.write_bytes(b"x")
    result = services.exports_expire()
    assert result["expired"] == 1 and result["orphans"] == 1
    old.refresh_from_db()
    assert (old.status, old.file_name) == ("expired", "")
    assert sorted(os.listdir(root)) == sorted([kept.file_name, "just-written.part"])


def test_export_files_are_private(run, caseworker, some_cases, settings):
    job = run(caseworker, "cases")
    path = services.exports_root() / job.file_name
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not str(path).startswith(str(settings.STATIC_ROOT))


def test_an_analyst_exports_a_report_with_small_rows_suppressed(run, analyst, some_cases):
    job = run(analyst, "report:breakdown_by_office", fmt="json")
    assert job.status == "done" and job.deidentified
    records = json.loads((services.exports_root() / job.file_name).read_text())
    counts = [v for record in records for v in record.values() if isinstance(v, int)]
    assert all(not 1 <= v <= 9 for v in counts)
    # 4 and 2 cases per office: every row is small, so every number is suppressed (null)
    assert records and all(record["kidnapped"] is None for record in records)
