"""`manage.py bench`: the side-by-side benchmark of issue 7 (docs/performance.md).

Builds (or reuses) a PostgreSQL database of `seed --scale` cases, serves the app with gunicorn
and production-like settings (config.settings.bench), and measures each API path against a
raw-SQL view of the same rows under the same load (wrk, or httpx with threads), with the
database time of the main query; then a full pull of the change feed and every report; then
the other rows of issue 7 (name search, batch sync, audit_verify, a CSV export, the seed rate,
the reports through a read replica), each of which `--skip` leaves out. Prints a table and
writes it as JSON. The steps are in bench.runner."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.extras import EXTRAS

FULL_CASES, QUICK_CASES = 1_000_000, 100_000


class Command(BaseCommand):
    help = "Benchmark our API paths against raw-SQL views on a large PostgreSQL database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--quick",
            action="store_true",
            help=f"{QUICK_CASES:,} cases, 10 s per path, the feed pull capped at 20,000 "
            "records, 3 runs per report (under 10 minutes from an empty database).",
        )
        parser.add_argument(
            "--cases",
            type=int,
            help=f"Scale cases to measure on (default {FULL_CASES:,}; --quick {QUICK_CASES:,}).",
        )
        parser.add_argument("--concurrency", type=int, default=8, help="Connections (default 8).")
        parser.add_argument(
            "--duration", type=int, help="Seconds of load per path (default 30; --quick 10)."
        )
        parser.add_argument("--workers", type=int, help="gunicorn workers (default 2 per CPU).")
        parser.add_argument(
            "--driver",
            choices=["auto", "wrk", "python"],
            default="auto",
            help="Load tool: wrk if installed (auto), or httpx with threads (python).",
        )
        parser.add_argument(
            "--feed-cap",
            type=int,
            help="Stop the feed pull after this many records (default: none; --quick 20,000).",
        )
        parser.add_argument(
            "--report-runs", type=int, help="Runs per report (default 5; --quick 3)."
        )
        parser.add_argument(
            "--audit-per-case",
            type=int,
            default=10,
            help="Audit entries per case when loading (default 10: ~10,000,000 at full size).",
        )
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            choices=EXTRAS,
            help="Leave out one of the extra rows (repeatable): " + ", ".join(EXTRAS) + ".",
        )
        parser.add_argument(
            "--json-out",
            type=Path,
            help="Where to write the JSON (default artifacts/bench/<timestamp>.json).",
        )

    def handle(self, *args, **options):
        import os

        from bench import runner

        # First, before anything touches a database: PostgreSQL only.
        runner.require_postgresql()
        quick = options["quick"]
        bench_options = runner.BenchOptions(
            cases=options["cases"] or (QUICK_CASES if quick else FULL_CASES),
            quick=quick,
            concurrency=options["concurrency"],
            duration=options["duration"] or (10 if quick else 30),
            workers=options["workers"] or 2 * (os.cpu_count() or 1),
            driver=options["driver"],
            feed_cap=options["feed_cap"] or (20_000 if quick else None),
            report_runs=options["report_runs"] or (3 if quick else 5),
            audit_per_case=options["audit_per_case"],
            json_out=options["json_out"],
            skip=frozenset(options["skip"]),
        )
        for name in ("cases", "concurrency", "duration", "workers", "report_runs"):
            if getattr(bench_options, name) < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be 1 or more")
        if bench_options.audit_per_case < 0:
            raise CommandError("--audit-per-case must be 0 or more")

        result = runner.run(bench_options, self.stdout.write)
        self.stdout.write("")
        for line in runner.table_lines(result):
            self.stdout.write(line)
        machine = result["machine"]
        self.stdout.write(
            f"\n{result['database']['scale_cases']:,} scale cases, "
            f"{machine['cpus']} CPUs, PostgreSQL {machine['postgresql']}, load average "
            f"{machine['load_average_before'][0]} before / {machine['load_average_after'][0]} "
            f"after; {result['seconds']:.0f} s in all. JSON: {result['json_out']}"
        )
        failed = result["run"]["failed_requests"]
        if failed:
            raise CommandError(
                f"{failed} requests failed under load: the numbers above are not valid "
                "(see the server log next to the JSON)"
            )
