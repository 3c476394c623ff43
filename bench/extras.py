"""The rows of issue 7 beyond the side-by-side paths: name search, batch sync, audit_verify, the
CSV export, the seed rate and the reports on a read replica. Each can be skipped
(`manage.py bench --skip NAME`); one that fails to measure becomes a FAIL row saying why,
and the other rows still run."""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import names, offline, replica, sync_load
from .load import run_load
from .measure import explain_ms, report_jobs, reports_p50
from .server import Server, bench_env
from .table import Row

if TYPE_CHECKING:
    from .runner import BenchOptions, Subject

EXTRAS = ("name-search", "sync", "audit", "export", "seed-rate", "replica")
NAME_SEARCH_P95_MS = 150.0
NAME_SEARCH_CHECKED = 20  # queries asked once before the load: do they find their case?
SYNC_TARGET = 2_000.0
AUDIT_TARGET = 150_000.0
EXPORT_SECONDS, EXPORT_MB = 60.0, 300.0
SEED_TARGET = 10_000.0
WARM_UP_SECONDS = 2


# --- name search ------------------------------------------------------------------------------


def name_search_rows(
    *, client: httpx.Client, server: Server, subject: Subject, options: BenchOptions, driver: str
) -> list[Row]:
    """The search under the bench's load (`--concurrency` connections), then by one client at
    a time: on two cores the first is mostly queueing, the second the path's own latency."""
    from access import policy
    from seeds.scale import PREFIX
    from sync.resources import CaseFilter

    people = names.people_sample(
        policy.cases_visible_to(subject.user).filter(case_number__startswith=PREFIX)
    )
    queries = names.name_queries(people)
    urls = [query.url for query in queries]
    checked = queries[:NAME_SEARCH_CHECKED]
    # Before the load: does each query find the case it was drawn from?
    recall: dict[str, list[int]] = {"father": [0, 0], "family": [0, 0]}
    for query in checked:
        answer = client.get(query.own_case_url)
        results = answer.json().get("results", []) if answer.status_code == 200 else []
        recall[query.second][0] += any(record["id"] == query.case_id for record in results)
        recall[query.second][1] += 1
    found = sum(hits for hits, _asked in recall.values())
    # The database's part: our statement for those queries (EXPLAIN ANALYZE, once each).
    visible = policy.cases_visible_to(subject.user)
    timings = []
    for query in checked:
        page = CaseFilter({"name": query.text}, queryset=visible).qs.order_by("case_number")
        timings.append(explain_ms(page[:51].query.sql_with_params(), runs=1))
    db_ms = round(statistics.median(timings), 2) if timings else None
    run_load(
        driver,
        server.base_url,
        urls,
        subject.raw_token,
        concurrency=options.concurrency,
        duration=WARM_UP_SECONDS,
    )
    rows = []
    for connections in (options.concurrency, 1):
        load = run_load(
            driver,
            server.base_url,
            urls,
            subject.raw_token,
            concurrency=connections,
            duration=options.duration,
        )
        note = (
            f"{found}/{len(checked)} sampled queries find their own case (given + father: "
            f"{recall['father'][0]}/{recall['father'][1]}, given + family: "
            f"{recall['family'][0]}/{recall['family'][1]})"
        )
        if load.failures:
            note += "; failed requests"
        rows.append(
            Row(
                path="name search (Arabic and Latin spellings)"
                + ("" if connections == options.concurrency else ", one client at a time"),
                ours=load.as_json(),
                db_ms=db_ms,
                target=f"p95 <= {NAME_SEARCH_P95_MS:.0f} ms",
                passed=load.p95_ms <= NAME_SEARCH_P95_MS and not load.failures,
                note=note,
                extra={
                    "connections": connections,
                    "queries": len(queries),
                    "variants": sum(query.variant for query in queries),
                    "arabic": sum(query.script == "ar" for query in queries),
                    "examples": [query.text for query in queries[:6]],
                    "db_ms_each": [round(ms, 2) for ms in timings],
                },
            )
        )
    return rows


# --- batch sync -------------------------------------------------------------------------------


def sync_row(*, server: Server, subject: Subject, run: str, options: BenchOptions) -> Row:
    from gazetteer.models import Place

    villages = list(Place.objects.filter(kind="village").values_list("id", flat=True)[:50])
    result = sync_load.sync_load(
        server.base_url,
        subject.raw_token,
        run=run,
        office_codes=subject.office_codes,
        village_ids=villages,
        duration=options.duration,
    )
    notes = [f"{result.validated:,} new cases in {result.batches} batches"]
    if result.rejected or result.failures:
        notes.append(
            f"{result.rejected} rejected, {result.failures} failed requests: {result.first_error}"
        )
    return Row(
        path=f"batch sync upsert ({result.clients} clients x {result.batch_size} records)",
        ours=result.as_json(),
        target=f">= {SYNC_TARGET:,.0f} records/s",
        passed=result.records_per_s >= SYNC_TARGET and not result.rejected and not result.failures,
        note="; ".join(notes),
    )


# --- without the server -----------------------------------------------------------------------


def audit_row() -> Row:
    measured = offline.audit_verify_rate()
    note = f"{measured['entries']:,} entries in {measured['seconds']:.1f}s"
    if not measured["intact"]:
        note += f"; chain BROKEN: {measured['problem']}"
    return Row(
        path="audit_verify (every entry)",
        ours=measured,
        target=f">= {AUDIT_TARGET:,.0f} entries/s",
        passed=measured["intact"] and measured["rate"] >= AUDIT_TARGET,
        note=note,
    )


def export_row(subject: Subject) -> Row:
    run = offline.export_run_in_worker(subject.user, env=bench_env())
    if run.params:
        chosen = f"cases aged {run.params['age_min']}-{run.params['age_max']}"
    else:
        chosen = "all the user's cases"
    note = f"{run.rows:,} rows ({chosen}), {run.size_mb:.0f} MB of CSV"
    if not run.ok:
        note += f"; FAILED: {run.error}"
    return Row(
        path=f"CSV export (~{offline.EXPORT_ROWS:,} rows, worker process)",
        ours=run.as_json(),
        target=f"<= {EXPORT_SECONDS:.0f} s, <= {EXPORT_MB:.0f} MB",
        passed=run.ok and run.seconds <= EXPORT_SECONDS and run.peak_rss_mb <= EXPORT_MB,
        note=note,
    )


def seed_row(*, load: dict[str, Any] | None, audit_per_case: int, log) -> Row:
    """The rate of this run's load, or of a separate small load when the database was reused."""
    if load is not None and load.get("seconds"):
        measured = {
            "rate": round(load["cases"] / load["seconds"], 1),
            "unit": "cases/s",
            **load,
            "how": "this run's load",
        }
        note = f"this run's load of {load['cases']:,} cases"
    else:
        measured = offline.seed_rate_separately(
            audit_per_case=audit_per_case, env=dict(os.environ), log=log
        )
        note = (
            f"database reused: a separate load of {measured['cases']:,} cases into a "
            "throw-away database"
        )
    with_audit = measured.get("audit_per_case", 0)
    note += f", with {with_audit} audit entries each" if with_audit else ", no audit entries"
    return Row(
        path="seed --scale load",
        ours=measured,
        target=f">= {SEED_TARGET:,.0f} cases/s",
        passed=measured["rate"] >= SEED_TARGET,
        note=note,
    )


# --- the read replica -------------------------------------------------------------------------


def replica_rows(
    *, subject: Subject, scale_cases: int, options: BenchOptions, out: Path, log
) -> list[Row]:
    """Copy the bench database (the server must be stopped), serve the app with the copy as its
    read replica, and time the figures and every report through it; pg_stat_database shows
    which database did the reading."""
    from django.db import connection

    primary = connection.settings_dict["NAME"]
    name, reused = replica.replica_prepare(scale_cases=scale_cases, log=log)
    databases = [primary, name]
    server = Server(
        workers=options.workers,
        log_path=out.with_suffix(".replica-server.log"),
        env={"DATABASE_REPLICA_URL": replica.replica_url(primary)},
    )
    rows: list[Row] = []
    deltas: dict[str, dict[str, replica.DatabaseStats]] = {}
    try:
        server.start()
        server.wait_ready(subject.raw_token)
        headers = {"Authorization": f"Bearer {subject.raw_token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=120.0) as client:
            jobs = report_jobs(client)
            groups = {"figures": jobs[:1], "reports": jobs[1:]}
            for group, group_jobs in groups.items():
                replica.stats_settled()
                before = replica.database_stats(databases)
                rows += reports_p50(client, options.report_runs, group_jobs, prefix="replica: ")
                replica.stats_settled()
                after = replica.database_stats(databases)
                deltas[group] = {db: after[db] - before[db] for db in databases}
    finally:
        server.stop()
    served = deltas.get("reports", {}).get(name)
    note = replica.routing_note(deltas, name)
    log(f"- replica routing: {note}")
    rows.append(
        Row(
            path="replica: routing (pg_stat_database)",
            target="reports read on the replica",
            passed=bool(served and served.transactions and served.rows_read),
            note=("reused copy " if reused else "fresh copy ") + f"{name}; {note}",
            extra={
                "replica_database": name,
                "deltas": {
                    group: {db: stats.as_json() for db, stats in per_db.items()}
                    for group, per_db in deltas.items()
                },
            },
        )
    )
    return rows
