"""`manage.py bench_reports`: time every report (and the figures reconciliation) on the data
in the database, median of N runs, and flag those over the budget (200 ms on the seed data).

A benchmark, not a test: run it on the seed (`seed`) or a large one (`seed --scale 1000000`:
that many cases, loaded with COPY)."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.registry import REPORTS
from reports.selectors import figures_reconcile


class Command(BaseCommand):
    help = "Time each report (median over --runs) and print a table; exit 1 if any is over budget."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5, help="Runs per report (default 5).")
        parser.add_argument("--as-of", help="The day to compute the reports as of (default today).")
        parser.add_argument(
            "--budget-ms", type=float, default=200.0, help="Budget per report (default 200 ms)."
        )
        parser.add_argument(
            "--user",
            help="Username to run the reports as (the worklist lists only the cases this user "
            "may see); default: nobody, so the worklist is empty.",
        )
        parser.add_argument("--report", action="append", help="Only this report (repeatable).")

    def handle(self, *args, **options):
        import datetime as dt

        runs = options["runs"]
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        as_of = (
            dt.date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
        )
        user = None
        if options["user"]:
            user = get_user_model().objects.get(username=options["user"])
        keys = options["report"] or list(REPORTS)
        unknown = set(keys) - set(REPORTS) - {"figures"}
        if unknown:
            raise CommandError(f"unknown report(s): {', '.join(sorted(unknown))}")
        jobs = {
            key: (
                lambda report=REPORTS[key]: list(
                    report.compute_shown(
                        user, as_of, **{p.name: p.default for p in report.parameters}
                    ).rows
                )
            )
            for key in keys
            if key in REPORTS
        }
        if not options["report"] or "figures" in keys:
            jobs["figures"] = lambda: figures_reconcile()
        header = f"{'report':<34} {'p50 ms':>8} {'max ms':>8} {'queries':>8} {'rows':>6}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        over = []
        for key, job in jobs.items():
            timings = []
            for _run in range(runs):
                reset_queries()
                # Rolled back: the worklist's audit entries (it lists cases) are not kept for a
                # benchmark, and nothing else is written.
                with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = job()
                    timings.append((time.perf_counter() - started) * 1000)
                    transaction.set_rollback(True)
            p50 = statistics.median(timings)
            flag = ""
            if p50 > options["budget_ms"]:
                over.append(key)
                flag = "  OVER BUDGET"
            self.stdout.write(
                f"{key:<34} {p50:>8.1f} {max(timings):>8.1f} {len(queries):>8} "
                f"{len(result):>6}{flag}"
            )
        self.stdout.write(
            f"\n{connection.vendor}, as of {as_of}, {runs} run(s) each, "
            f"budget {options['budget_ms']:.0f} ms"
        )
        if over:
            raise CommandError(f"over budget: {', '.join(over)}")
