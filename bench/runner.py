"""What `manage.py bench` does, step by step (issue 7, docs/performance.md):

1. refuse anything but PostgreSQL; create the database if it does not exist; migrate;
2. bring it to N scale cases with `seed --scale` (reused when it already holds N);
3. a bench account (a caseworker of one office, no administrator anywhere) and a bearer token;
4. gunicorn with config.settings.bench on a free localhost port;
5. for each path, ours and the raw-SQL view (bench.raw_views) under the same load, one after the
   other, and the database time of the main query (`EXPLAIN (ANALYZE)`, median of 5);
6. a full pull of the change feed by one client, ours and raw (capped in --quick);
7. the figures reconciliation and every report over the API, sequentially (p50);
8. the table, printed and written as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from . import raw_views
from .load import run_load, wrk_available

BENCH_USERNAME = "bench-caseworker"
FEED_PULL_LIMIT = raw_views.FEED_MAX_PAGE_SIZE
FEED_PAGE_LIMIT = raw_views.FEED_PAGE_SIZE
DEEP_FRACTION = 0.9
DETAIL_SAMPLE = 200
EXPLAIN_RUNS = 5
WARM_UP_SECONDS = 2
REPORT_BUDGET_MS = 1000.0


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


@dataclass
class Row:
    path: str
    ours: dict[str, Any] | None = None
    raw: dict[str, Any] | None = None
    ratio: float | None = None
    db_ms: float | None = None
    target: str = "-"
    passed: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


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


def database_build(cases: int, audit_per_case: int, log) -> int:
    """Migrate and bring the database to `cases` scale cases; returns how many it holds."""
    from seeds.scale import scale_cases_loaded

    call_command("migrate", interactive=False, verbosity=0)
    loaded = scale_cases_loaded()
    if loaded == cases:
        log(f"Reusing the database: {loaded:,} scale cases already loaded.")
        return loaded
    if loaded > cases:
        log(
            f"Warning: the database holds {loaded:,} scale cases, more than the {cases:,} "
            "asked; measuring what is there (use a fresh database for the asked size)."
        )
        return loaded
    log(f"Loading {cases - loaded:,} scale cases (seed --scale) ...")
    call_command(
        "seed",
        scale=cases - loaded,
        audit_per_case=audit_per_case,
        no_progress=True,
        stdout=_Writer(log),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # fresh statistics and visibility map for the plans
    return scale_cases_loaded()


class _Writer:
    def __init__(self, log) -> None:
        self.log = log

    def write(self, text: str) -> None:
        if text.strip():
            self.log("  " + text.rstrip())

    def flush(self) -> None:
        pass


# --- the account and what it asks for ----------------------------------------------------------


@dataclass
class Subject:
    user: Any
    token: Any
    raw_token: str
    office_code: str
    offices: list[Any]
    visible: int
    deep_position: str | None
    detail_ids: list[str]
    feed_since: str


def subject_prepare() -> Subject:
    from django.db.models import Count

    from access import policy
    from access.models import Role
    from access.services import user_create
    from access.tokens import token_issue
    from cases.models import Case
    from sync.feed import cursor_encode
    from sync.models import FeedEntry

    busiest = Case.objects.values("office__code").annotate(n=Count("id")).order_by("-n").first()
    if busiest is None:
        raise CommandError("no cases in the database: the scale load did not run")
    office_code = busiest["office__code"]
    user = user_create(username=BENCH_USERNAME, role=Role.CASEWORKER, offices=[office_code])
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
    # The feed page starts halfway through the user's own part of the feed (the scale load does
    # not spread each office's cases evenly over the feed: a page from the middle of the whole
    # feed can hold none of them).
    middle = (
        FeedEntry.objects.filter(
            resource="cases",
            record_id__in=Case.objects.filter(office__in=offices).values("id"),
        )
        .order_by("seq")
        .values_list("seq", flat=True)[visible // 2 : visible // 2 + 1]
    )
    since = (middle[0] - 1) if middle else 0
    return Subject(
        user=user,
        token=token,
        raw_token=raw,
        office_code=office_code,
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


def explain_ms(statement: tuple[str, list], runs: int = EXPLAIN_RUNS) -> float:
    """Median execution time of the statement by EXPLAIN (ANALYZE), in ms."""
    sql, params = statement
    timings = []
    with connection.cursor() as cursor:
        for _run in range(runs):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            timings.append(plan[0]["Execution Time"])
    return statistics.median(timings)


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the bench settings, started and stopped by us (by its own process id)."""

    def __init__(self, *, workers: int, log_path: Path) -> None:
        if find_spec("gunicorn") is None:
            raise CommandError(
                "gunicorn is not installed: pip install -e '.[bench]' (make bench does it)"
            )
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            # A random key per run: nothing signed by a bench server outlives it.
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        log_file.close()

    def wait_ready(self, token: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise CommandError(f"gunicorn exited at start; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/me/", headers=headers).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise CommandError(f"gunicorn did not answer in {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- measuring -----------------------------------------------------------------------------------


def _same_rows(client: httpx.Client, ours: str, raw: str) -> tuple[bool, str]:
    """One request to each: both 200 and the same records (ids), before any load."""
    answers = [client.get(url) for url in (ours, raw)]
    if any(answer.status_code != 200 for answer in answers):
        return False, "status " + "/".join(str(a.status_code) for a in answers)

    def ids(body: dict) -> list:
        return [item["id"] for item in body.get("results", [body])]

    first, second = (ids(answer.json()) for answer in answers)
    if first != second:
        return False, f"different records ({len(first)} vs {len(second)})"
    return True, f"{len(first)} records"


def feed_pull(client: httpx.Client, url: str, cap: int | None, **params: str) -> dict[str, Any]:
    """One client pulls the feed from the start until it is done (or `cap` records)."""
    since = ""
    records = pages = 0
    started = time.perf_counter()
    while True:
        # (httpx's params replace the URL's query string: every parameter goes here.)
        answer = client.get(url, params={**params, "since": since, "limit": FEED_PULL_LIMIT})
        answer.raise_for_status()
        body = answer.json()
        records += len(body["results"])
        pages += 1
        since = body["next_cursor"]
        if not body["has_more"] or (cap is not None and records >= cap):
            break
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "pages": pages,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds, 1) if seconds else 0.0,
        "complete": not body["has_more"],
    }


def reports_p50(client: httpx.Client, runs: int) -> list[Row]:
    listing = client.get("/api/v1/reports/")
    listing.raise_for_status()
    jobs = [("figures reconciliation", "/api/v1/reports/figures/")]
    jobs += [(f"report {r['key']}", r["url"]) for r in listing.json()["results"]]
    rows = []
    for name, url in jobs:
        timings, failures = [], 0
        for _run in range(runs):
            started = time.perf_counter()
            answer = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            failures += answer.status_code != 200
        p50 = statistics.median(timings)
        rows.append(
            Row(
                path=name,
                ours={"p50_ms": round(p50, 1), "max_ms": round(max(timings), 1), "runs": runs},
                target=f"p50 <= {REPORT_BUDGET_MS:.0f} ms",
                passed=failures == 0 and p50 <= REPORT_BUDGET_MS,
                note=f"{failures} failed" if failures else "",
            )
        )
    return rows


def run(options: BenchOptions, log) -> dict[str, Any]:
    require_postgresql()
    ensure_database(log)
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    loaded = database_build(options.cases, options.audit_per_case, log)
    subject = subject_prepare()
    driver = options.driver
    if driver == "auto":
        driver = "wrk" if wrk_available() else "python"
    elif driver == "wrk" and not wrk_available():
        raise CommandError("wrk is not installed (apt-get install wrk), or use --driver python")
    log(
        f"Bench user {BENCH_USERNAME} (caseworker, {subject.office_code}) sees "
        f"{subject.visible:,} of {loaded:,} scale cases. Driver: {driver}, "
        f"{options.concurrency} connections, {options.duration}s per path, "
        f"{options.workers} gunicorn workers."
    )
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    out = options.json_out or Path(settings.BASE_DIR) / "artifacts" / "bench" / f"{stamp}.json"
    server = Server(workers=options.workers, log_path=out.with_suffix(".server.log"))
    rows: list[Row] = []
    errors = 0
    try:
        server.start()
        server.wait_ready(subject.raw_token)
        headers = {"Authorization": f"Bearer {subject.raw_token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=120.0) as client:
            for path in paths_for(subject):
                same, detail = _same_rows(client, path.ours[0], path.raw[0])
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
                row = Row(
                    path=path.name,
                    ours=ours.as_json(),
                    raw=raw.as_json(),
                    ratio=round(ours.rps / raw.rps, 2) if raw.rps else None,
                    db_ms=round(explain_ms(path.explain), 2),
                    note="" if same else f"rows differ: {detail}",
                )
                rows.append(row)
                log(
                    f"  ours {ours.rps:,.0f} req/s p50 {ours.p50_ms:.1f} ms, "
                    f"raw {raw.rps:,.0f} req/s p50 {raw.p50_ms:.1f} ms"
                )
            _targets(rows)

            cap = options.feed_cap
            pulls = {
                "ours": feed_pull(client, "/api/v1/changes/", cap, resource="cases"),
                "raw": feed_pull(client, "/bench/raw/changes/", cap),
            }
            ours_rate, raw_rate = pulls["ours"]["records_per_s"], pulls["raw"]["records_per_s"]
            cap_note = f"capped at {cap:,} records" if cap and not pulls["ours"]["complete"] else ""
            if pulls["ours"]["complete"] and pulls["ours"]["records"] != pulls["raw"]["records"]:
                cap_note = "ours and raw pulled different counts of records"
            rows.append(
                Row(
                    path=f"change feed, full pull by one client (cases, {FEED_PULL_LIMIT}/page)",
                    ours=pulls["ours"],
                    raw=pulls["raw"],
                    ratio=round(ours_rate / raw_rate, 2) if raw_rate else None,
                    target=">= 20,000 records/s",
                    passed=ours_rate >= 20_000,
                    note=cap_note,
                )
            )
            log(f"- feed pull: ours {ours_rate:,.0f} records/s, raw {raw_rate:,.0f} records/s")
            rows += reports_p50(client, options.report_runs)
    finally:
        server.stop()
        from access.tokens import token_revoke

        token_revoke(token=subject.token)

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
            "visible_to_bench_user": subject.visible,
            "bench_user": f"{BENCH_USERNAME} (caseworker, {subject.office_code})",
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
            "failed_requests": errors,
        },
        "rows": [_row_json(row) for row in rows],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    result["json_out"] = str(out)
    return result


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


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "path": row.path,
        "ours": row.ours,
        "raw": row.raw,
        "ratio": row.ratio,
        "db_ms": row.db_ms,
        "target": row.target,
        "pass": row.passed,
        "note": row.note,
        **row.extra,
    }


# --- the table -----------------------------------------------------------------------------------


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def table_lines(result: dict[str, Any]) -> list[str]:
    """The result as a Markdown table (readable in a terminal, pasted as is into the notes)."""
    lines = [
        "| path | ours req/s | p50 ms | p95 ms | raw req/s | p50 ms | p95 ms | ratio | db ms "
        "| target | pass |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in result["rows"]:
        ours, raw = row["ours"] or {}, row["raw"] or {}
        if "records_per_s" in ours:  # the feed pull: records/s in the req/s columns
            cells = [
                f"{_num(ours['records_per_s'], 0)} rec/s",
                "",
                "",
                f"{_num(raw.get('records_per_s'), 0)} rec/s",
                "",
                "",
            ]
        elif "rps" in ours:
            cells = [
                _num(ours["rps"], 0),
                _num(ours["p50_ms"]),
                _num(ours["p95_ms"]),
                _num(raw.get("rps"), 0),
                _num(raw.get("p50_ms")),
                _num(raw.get("p95_ms")),
            ]
        else:  # reports: sequential, p50 only
            cells = ["", _num(ours.get("p50_ms")), "", "", "", ""]
        verdict = {True: "pass", False: "FAIL", None: "-"}[row["pass"]]
        if row["note"]:
            verdict += f" ({row['note']})"
        lines.append(
            "| "
            + " | ".join(
                [
                    row["path"],
                    *cells,
                    _num(row["ratio"], 2),
                    _num(row["db_ms"], 2),
                    row["target"],
                    verdict,
                ]
            )
            + " |"
        )
    return lines
