"""What `manage.py bench` does, step by step (issue 7, docs/performance.md):

1. refuse anything but PostgreSQL; create the database if it does not exist; migrate;
2. bring it to N scale cases with `seed --scale` (reused when it already holds N);
3. a bench account (a caseworker of every office, no administrator anywhere) and a bearer token;
4. gunicorn with config.settings.bench on a free localhost port;
5. for each path, ours and the raw-SQL view (bench.raw_views) under the same load, one after the
   other, and the database time of the main query (`EXPLAIN (ANALYZE)`, median of 5);
6. a full pull of the change feed by one client, ours and raw (capped in --quick);
7. the figures reconciliation and every report over the API, sequentially (p50);
8. the rows of bench.extras, each skippable: name search under load and batch sync (with the
   server), then the server stopped: audit_verify, a CSV export in a worker process, the seed
   rate, and the reports through a second server reading from a copy of the database as its
   replica;
9. the table, printed and written as JSON.

The result's table and rows are bench.table; the server bench.server; shared measuring helpers
bench.measure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from config.gc_tuning import gc_tune_from_settings

from . import extras, raw_views
from .load import run_load, wrk_available
from .measure import FEED_PULL_LIMIT, explain_ms, feed_pull, reports_p50, same_rows
from .offline import loaded_rate
from .server import Server
from .table import Row, failed_row, row_json, table_lines

__all__ = ["BenchOptions", "Row", "drf_cursor", "run", "table_lines"]

BENCH_USERNAME = "bench-caseworker"
FEED_PAGE_LIMIT = raw_views.FEED_PAGE_SIZE
DEEP_FRACTION = 0.9
DETAIL_SAMPLE = 200
WARM_UP_SECONDS = 2


@dataclass
class BenchOptions:
    cases: int
    quick: bool = False
    concurrency: int = 8
    duration: int = 30
    workers: int = 4
    driver: str = "auto"  # auto | wrk | python
    feed_cap: int | None = None  # records; None: the whole feed
    report_runs: int = 5
    audit_per_case: int = 10
    json_out: Path | None = None
    skip: frozenset[str] = frozenset()  # names of bench.extras.EXTRAS not to measure


# --- the database --------------------------------------------------------------------------------


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            "bench measures PostgreSQL, and the database here is "
            f"{connection.vendor} ({connection.settings_dict.get('NAME')}). Set DATABASE_URL to "
            "a PostgreSQL database of its own, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench (created if missing)."
        )


def ensure_database(log) -> None:
    """Create the database named by DATABASE_URL when it does not exist yet."""
    try:
        connection.ensure_connection()
        return
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
    import psycopg
    from psycopg import sql

    params = connection.get_connection_params()
    name = params.pop("dbname")
    params = {k: v for k, v in params.items() if k in {"host", "port", "user", "password"}}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"Created database {name}.")
    connection.close()
    connection.ensure_connection()


@dataclass
class Build:
    scale_cases: int
    # This run's `seed --scale`: cases, seconds (seed's own timing), audit entries per case;
    # None when the database was reused.
    load: dict[str, Any] | None = None


def database_build(cases: int, audit_per_case: int, log) -> Build:
    """Migrate and bring the database to `cases` scale cases."""
    import time

    from seeds.scale import scale_cases_loaded

    call_command("migrate", interactive=False, verbosity=0)
    loaded = scale_cases_loaded()
    if loaded >= cases:
        if loaded == cases:
            log(f"Reusing the database: {loaded:,} scale cases already loaded.")
        else:
            log(
                f"Warning: the database holds {loaded:,} scale cases, more than the {cases:,} "
                "asked; measuring what is there (use a fresh database for the asked size)."
            )
        # A database loaded by hand (or by an older loader) may have no planner statistics
        # yet: a table never analysed is planned as if nearly empty (the DNA worklist took
        # 30 s instead of 0.15 s). Only pages changed since the last VACUUM are read again.
        _vacuum_analyze()
        return Build(loaded)
    log(f"Loading {cases - loaded:,} scale cases (seed --scale) ...")
    writer = _Writer(log)
    started = time.perf_counter()
    call_command(
        "seed",
        scale=cases - loaded,
        audit_per_case=audit_per_case,
        no_progress=True,
        stdout=writer,
    )
    wall = time.perf_counter() - started
    # seed's own timing of the load (without the reference data it upserts first), or ours.
    measured = loaded_rate("\n".join(writer.lines)) or (cases - loaded, wall)
    _vacuum_analyze()
    load = {"cases": measured[0], "seconds": measured[1], "audit_per_case": audit_per_case}
    return Build(scale_cases_loaded(), load)


def _vacuum_analyze() -> None:
    """Fresh statistics and visibility map for the plans, as autovacuum keeps them in use."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


class _Writer:
    def __init__(self, log) -> None:
        self.log = log
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        if text.strip():
            self.lines.append(text.rstrip())
            self.log("  " + text.rstrip())

    def flush(self) -> None:
        pass


# --- the account and what it asks for ----------------------------------------------------------


@dataclass
class Subject:
    user: Any
    token: Any
    raw_token: str
    office_codes: list[str]
    offices: list[Any]
    visible: int
    deep_position: str | None
    detail_ids: list[str]
    feed_since: str


def subject_prepare() -> Subject:
    """The bench account: a caseworker of every office, so that its case list is every case
    (the deep page is DEEP_FRACTION of all of them in) and its feed pull a pull of every case."""
    from django.db.models import Max, Min

    from access import policy
    from access.models import Role
    from access.services import user_create
    from access.tokens import token_issue
    from cases.models import Case, Office
    from sync.feed import cursor_encode
    from sync.models import FeedEntry

    if not Case.objects.exists():
        raise CommandError("no cases in the database: the scale load did not run")
    office_codes = list(Office.objects.order_by("code").values_list("code", flat=True))
    user = user_create(username=BENCH_USERNAME, role=Role.CASEWORKER, offices=office_codes)
    token, raw = token_issue(user=user, days=1, name="manage.py bench")
    visible_cases = policy.cases_visible_to(user).order_by("case_number")
    visible = visible_cases.count()
    deep_index = int(visible * DEEP_FRACTION)
    deep_position = (
        visible_cases.values_list("case_number", flat=True)[deep_index - 1]
        if deep_index > 0
        else None
    )
    detail_ids = [
        str(pk) for pk in visible_cases.order_by("?").values_list("id", flat=True)[:DETAIL_SAMPLE]
    ]
    offices = list(user.office_memberships.values_list("office_id", flat=True))
    # The feed page starts in the middle of the cases' feed (the user sees every case).
    bounds = FeedEntry.objects.filter(resource="cases").aggregate(first=Min("seq"), last=Max("seq"))
    since = (bounds["first"] + bounds["last"]) // 2 if bounds["first"] is not None else 0
    return Subject(
        user=user,
        token=token,
        raw_token=raw,
        office_codes=office_codes,
        offices=offices,
        visible=visible,
        deep_position=deep_position,
        detail_ids=detail_ids,
        feed_since=cursor_encode(since),
    )


def drf_cursor(position: str) -> str:
    """The cursor our keyset pages give out for `position` (DRF's CursorPagination)."""
    import base64

    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


@dataclass
class BenchPath:
    name: str
    ours: list[str]
    raw: list[str]
    explain: tuple[str, list]


def paths_for(subject: Subject) -> list[BenchPath]:
    deep = drf_cursor(subject.deep_position) if subject.deep_position else ""
    deep_query = "?" + urlencode({"cursor": deep}) if deep else ""
    feed_query = "?" + urlencode({"since": subject.feed_since, "limit": FEED_PAGE_LIMIT})
    page_size = raw_views.PAGE_SIZE
    return [
        BenchPath(
            "case list, page 1 (50, keyset)",
            ["/api/v1/cases/"],
            ["/bench/raw/cases/"],
            raw_views.case_page_sql(offices=subject.offices, after=None, limit=page_size + 1),
        ),
        BenchPath(
            f"case list, deep page ({DEEP_FRACTION:.0%} in)",
            [f"/api/v1/cases/{deep_query}"],
            [f"/bench/raw/cases/{deep_query}"],
            raw_views.case_page_sql(
                offices=subject.offices, after=subject.deep_position, limit=page_size + 1
            ),
        ),
        BenchPath(
            "case detail",
            [f"/api/v1/cases/{pk}/" for pk in subject.detail_ids],
            [f"/bench/raw/cases/{pk}/" for pk in subject.detail_ids],
            raw_views.case_detail_sql(offices=subject.offices, pk=subject.detail_ids[0]),
        ),
        BenchPath(
            f"change feed page (cases, {FEED_PAGE_LIMIT})",
            [f"/api/v1/changes/{feed_query}&resource=cases"],
            [f"/bench/raw/changes/{feed_query}"],
            raw_views.feed_page_sql(
                user_id=subject.user.pk,
                offices=subject.offices,
                after=_feed_after(subject.feed_since),
                limit=FEED_PAGE_LIMIT + 1,
            ),
        ),
    ]


def _feed_after(cursor: str) -> int:
    from sync.feed import cursor_decode

    return cursor_decode(cursor)


# --- the run -------------------------------------------------------------------------------------


def _path_rows(
    client: httpx.Client, server: Server, subject: Subject, options: BenchOptions, driver: str, log
) -> tuple[list[Row], int]:
    """Each path, ours and raw under the same load; the rows and the count of failed requests."""
    rows, errors = [], 0
    for path in paths_for(subject):
        same, detail = same_rows(client, path.ours[0], path.raw[0])
        log(f"- {path.name}: {'same rows' if same else 'MISMATCH'}, {detail}")
        # Every worker warm (code paths, connection, caches) before the measured runs.
        run_load(
            driver,
            server.base_url,
            [*path.ours, *path.raw],
            subject.raw_token,
            concurrency=options.concurrency,
            duration=WARM_UP_SECONDS,
        )
        results = {}
        for side, urls in (("ours", path.ours), ("raw", path.raw)):
            results[side] = run_load(
                driver,
                server.base_url,
                urls,
                subject.raw_token,
                concurrency=options.concurrency,
                duration=options.duration,
            )
        ours, raw = results["ours"], results["raw"]
        errors += ours.failures + raw.failures
        rows.append(
            Row(
                path=path.name,
                ours=ours.as_json(),
                raw=raw.as_json(),
                ratio=round(ours.rps / raw.rps, 2) if raw.rps else None,
                db_ms=round(explain_ms(path.explain), 2),
                note="" if same else f"rows differ: {detail}",
            )
        )
        log(
            f"  ours {ours.rps:,.0f} req/s p50 {ours.p50_ms:.1f} ms, "
            f"raw {raw.rps:,.0f} req/s p50 {raw.p50_ms:.1f} ms"
        )
    _targets(rows)
    return rows, errors


def _feed_row(client: httpx.Client, cap: int | None, log) -> Row:
    pulls = {
        "ours": feed_pull(client, "/api/v1/changes/", cap, resource="cases"),
        "raw": feed_pull(client, "/bench/raw/changes/", cap),
    }
    ours_rate, raw_rate = pulls["ours"]["records_per_s"], pulls["raw"]["records_per_s"]
    cap_note = f"capped at {cap:,} records" if cap and not pulls["ours"]["complete"] else ""
    if pulls["ours"]["complete"] and pulls["ours"]["records"] != pulls["raw"]["records"]:
        cap_note = "ours and raw pulled different counts of records"
    log(f"- feed pull: ours {ours_rate:,.0f} records/s, raw {raw_rate:,.0f} records/s")
    return Row(
        path=f"change feed, full pull by one client (cases, {FEED_PULL_LIMIT}/page)",
        ours=pulls["ours"],
        raw=pulls["raw"],
        ratio=round(ours_rate / raw_rate, 2) if raw_rate else None,
        target=">= 20,000 records/s",
        passed=ours_rate >= 20_000,
        note=cap_note,
    )


def _extra(name: str, path: str, target: str, options: BenchOptions, log, measure) -> list[Row]:
    """One of bench.extras' rows, unless skipped; a failure to measure becomes a FAIL row."""
    if name in options.skip:
        log(f"- {name}: skipped")
        return []
    log(f"- {name} ...")
    try:
        made = measure()
    except Exception as error:  # noqa: BLE001 - the other rows are still worth having
        log(f"  {name} could not be measured: {error!r}")
        return [failed_row(path, target, error)]
    made = made if isinstance(made, list) else [made]
    for row in made:
        log(f"  {row.path}: {'pass' if row.passed else 'FAIL'} {row.note}".rstrip())
    return made


def run(options: BenchOptions, log) -> dict[str, Any]:
    require_postgresql()
    # The bench is the clients too (the feed pull, the sync load): their own garbage collection
    # must not be what is measured. The servers it starts tune theirs (config.wsgi).
    gc_tune_from_settings()
    ensure_database(log)
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    build = database_build(options.cases, options.audit_per_case, log)
    loaded = build.scale_cases
    subject = subject_prepare()
    driver = options.driver
    if driver == "auto":
        driver = "wrk" if wrk_available() else "python"
    elif driver == "wrk" and not wrk_available():
        raise CommandError("wrk is not installed (apt-get install wrk), or use --driver python")
    log(
        f"Bench user {BENCH_USERNAME} (caseworker of all {len(subject.office_codes)} offices) "
        f"sees {subject.visible:,} cases ({loaded:,} scale cases). Driver: {driver}, "
        f"{options.concurrency} connections, {options.duration}s per path, "
        f"{options.workers} gunicorn workers."
    )
    warning = other_cases_warning(visible=subject.visible, scale_cases=loaded)
    if warning:
        log(warning)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    out = options.json_out or Path(settings.BASE_DIR) / "artifacts" / "bench" / f"{stamp}.json"
    server = Server(workers=options.workers, log_path=out.with_suffix(".server.log"))
    rows: list[Row] = []
    errors = 0
    try:
        try:
            server.start()
            server.wait_ready(subject.raw_token)
            headers = {"Authorization": f"Bearer {subject.raw_token}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=120.0) as client:
                path_rows, errors = _path_rows(client, server, subject, options, driver, log)
                rows += path_rows
                try:
                    rows.append(_feed_row(client, options.feed_cap, log))
                except httpx.HTTPError as error:  # the rest is still worth measuring
                    log(f"- feed pull failed: {error!r}")
                    rows.append(failed_row("change feed, full pull", ">= 20,000 records/s", error))
                    errors += 1
                rows += reports_p50(client, options.report_runs)
                rows += _extra(
                    "name-search",
                    "name search (Arabic and Latin spellings)",
                    "p95 <= 150 ms",
                    options,
                    log,
                    lambda: extras.name_search_rows(
                        client=client,
                        server=server,
                        subject=subject,
                        options=options,
                        driver=driver,
                    ),
                )
                rows += _extra(
                    "sync",
                    "batch sync upsert",
                    ">= 2,000 records/s",
                    options,
                    log,
                    lambda: extras.sync_row(
                        server=server,
                        subject=subject,
                        run=started_at.strftime("%y%m%d%H%M%S"),
                        options=options,
                    ),
                )
        finally:
            server.stop()
        # Without the server: nothing else competes for the two cores.
        rows += _extra(
            "audit",
            "audit_verify (every entry)",
            ">= 150,000 entries/s",
            options,
            log,
            extras.audit_row,
        )
        rows += _extra(
            "export",
            "CSV export (~100,000 rows, worker process)",
            "<= 60 s, <= 300 MB",
            options,
            log,
            lambda: extras.export_row(subject),
        )
        rows += _extra(
            "seed-rate",
            "seed --scale load",
            ">= 10,000 cases/s",
            options,
            log,
            lambda: extras.seed_row(
                load=build.load, audit_per_case=options.audit_per_case, log=log
            ),
        )
        rows += _extra(
            "replica",
            "replica: reports",
            "p50 <= 1000 ms",
            options,
            log,
            lambda: extras.replica_rows(
                subject=subject, scale_cases=loaded, options=options, out=out, log=log
            ),
        )
    finally:
        from access.tokens import token_revoke

        token_revoke(token=subject.token)
    errors += sum(
        (row.ours or {}).get("failures") or 0
        for row in rows
        if row.path.startswith(("name search", "batch sync"))
    )

    result = {
        "started_at": started_at.isoformat(),
        "seconds": round((dt.datetime.now(dt.UTC) - started_at).total_seconds(), 1),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": _server_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "database": {
            "name": connection.settings_dict.get("NAME"),
            "scale_cases": loaded,
            "loaded_this_run": build.load,
            "visible_to_bench_user": subject.visible,
            "other_cases": subject.visible - loaded,
            "bench_user": f"{BENCH_USERNAME} (caseworker of {', '.join(subject.office_codes)})",
            "replica": bool(getattr(settings, "DATABASE_READ_REPLICA", None)),
        },
        "run": {
            "quick": options.quick,
            "driver": driver,
            "concurrency": options.concurrency,
            "duration_s": options.duration,
            "gunicorn_workers": options.workers,
            "feed_cap": options.feed_cap,
            "report_runs": options.report_runs,
            "skipped": sorted(options.skip),
            "failed_requests": errors,
        },
        "rows": [row_json(row) for row in rows],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    result["json_out"] = str(out)
    return result


def other_cases_warning(*, visible: int, scale_cases: int) -> str | None:
    """A warning when more than 1% of the cases are not scale cases. Each run's batch sync adds
    cases that cannot be taken out again (their timelines and audit entries stay), so a database
    reused run after run drifts from the size asked for, and every row of the table with it (the
    DNA coverage report counts every case)."""
    others = visible - scale_cases
    if others <= scale_cases // 100:
        return None
    return (
        f"Warning: besides the {scale_cases:,} scale cases the database holds {others:,} other "
        "cases (earlier runs' batch sync, the demo population): for figures comparable with a "
        "fresh load, bench a fresh database."
    )


def _targets(rows: list[Row]) -> None:
    first, deep, detail, _feed = rows
    first.target, first.passed = ">= 0.7x raw", (first.ratio or 0) >= 0.7
    detail.target, detail.passed = ">= 0.6x raw", (detail.ratio or 0) >= 0.6
    limit = 1.5 * first.ours["p50_ms"]
    deep.target = "p50 <= 1.5x page 1 p50"
    deep.passed = deep.ours["p50_ms"] <= limit
    deep.extra["p50_limit_ms"] = round(limit, 2)
    for row in rows:
        if (row.ours or {}).get("failures") or (row.raw or {}).get("failures"):
            row.passed = False
            row.note = (row.note + "; " if row.note else "") + "failed requests"


def _server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]
