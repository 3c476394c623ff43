"""Benchmark: export N cases as CSV in a separate worker process and report its time and peak
memory against the targets of issue 5 (100,000 rows in under 60 s and 300 MB).

The cases are synthetic (`is_synthetic`, case numbers BENCH-...), in an office of their own,
created once and reused on later runs (`seed --reset` removes them with the other synthetic
data). Use a database of its own, e.g. DATABASE_URL=sqlite:////tmp/bench.sqlite3 after
`migrate`, or a scratch PostgreSQL database: the cases are real rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from access.models import Role
from access.services import user_create
from cases.lifecycle import EventType
from cases.models import Case, Office
from cases.services import NewCaseHistory, NewEvent, case_histories_bulk_create
from exports.datasets import dataset_get_for
from exports.models import ExportJob
from gazetteer.models import Place

TARGET_SECONDS = 60.0
TARGET_MB = 300.0
PREFIX = "BENCH-"


class Command(BaseCommand):
    help = "Export N synthetic cases as CSV in a child process; print time and peak RSS."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--format", default="csv", choices=ExportJob.Format.values)
        parser.add_argument("--create-only", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, rows: int, format: str, create_only: bool, **options):
        if create_only:
            self._ensure_cases(rows)
            return
        # Created in a process of its own: on Linux a child's peak RSS starts from its parent's
        # at the moment it was spawned, and creating 100,000 cases makes this process large.
        manage = str(settings.BASE_DIR / "manage.py")
        subprocess.run(  # noqa: S603
            [sys.executable, manage, "bench_export", "--rows", str(rows), "--create-only"],
            check=True,
        )
        office = Office.objects.get(code="BENCH")
        user = user_create(username="bench-exporter", role=Role.CASEWORKER, offices=[office])
        dataset = dataset_get_for(user, "cases")
        assert dataset is not None
        job = ExportJob.objects.create(
            requested_by=user,
            dataset="cases",
            params=dataset.clean(user, {"office_code": office.code}),
            format=format,
        )
        command = [sys.executable, manage, "exports_run", str(job.pk)]
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.monotonic() - started
        out, err = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
        if os.waitstatus_to_exitcode(status) != 0:
            self.stderr.write(err.decode(errors="replace")[-2000:])
            raise SystemExit(1)
        peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
        job.refresh_from_db()
        ok_time, ok_memory = elapsed <= TARGET_SECONDS, peak_mb <= TARGET_MB
        self.stdout.write(out.decode().strip())
        self.stdout.write(
            f"rows={job.row_count} bytes={job.size_bytes} format={format}\n"
            f"time={elapsed:.1f}s (target <= {TARGET_SECONDS:.0f}s: "
            f"{'ok' if ok_time else 'MISSED'})\n"
            f"peak_rss={peak_mb:.0f}MB (target <= {TARGET_MB:.0f}MB: "
            f"{'ok' if ok_memory else 'MISSED'})"
        )
        if not (ok_time and ok_memory):
            raise SystemExit(1)

    def _ensure_cases(self, rows: int) -> Office:
        office, _ = Office.objects.get_or_create(code="BENCH", defaults={"name": "Benchmark"})
        have = Case.objects.filter(case_number__startswith=PREFIX).count()
        if have >= rows:
            self.stdout.write(f"reusing {have} synthetic cases")
            return office
        village = self._village()
        started = time.monotonic()
        histories = (
            NewCaseHistory(
                Case(
                    case_number=f"{PREFIX}{number:07d}",
                    given_name_latn=f"Bench{number}",
                    family_name_latn="Synthetic",
                    given_name_ar="اختبار",
                    sex="female" if number % 2 else "male",
                    age_at_abduction=number % 70,
                    origin=village,
                    office=office,
                    abducted_on="2014-08-03",
                    captivity_notes="synthetic benchmark record",
                    is_synthetic=True,
                ),
                [NewEvent(EventType.REPORTED_MISSING, dt.date(2015, 1, 1), "benchmark")],
            )
            for number in range(have + 1, rows + 1)
        )
        with transaction.atomic():
            created = case_histories_bulk_create(histories=histories)
        self.stdout.write(f"created {created} synthetic cases in {time.monotonic() - started:.0f}s")
        return office

    @staticmethod
    def _village() -> Place:
        parent = None
        for kind in ("governorate", "district", "subdistrict", "village"):
            parent, _ = Place.objects.get_or_create(
                code=f"bench-{kind}",
                defaults={"kind": kind, "name_latn": f"Bench {kind}", "parent": parent},
            )
        return parent  # type: ignore[return-value]
