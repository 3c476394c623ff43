"""Measuring helpers shared by the benchmark's rows: the database time of a statement, one
request to ours and to the raw view, a full pull of the change feed, the reports one by one."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx
import orjson
from django.db import connection

from . import raw_views
from .table import Row

EXPLAIN_RUNS = 5
FEED_PULL_LIMIT = raw_views.FEED_MAX_PAGE_SIZE
REPORT_BUDGET_MS = 1000.0


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


def same_rows(client: httpx.Client, ours: str, raw: str) -> tuple[bool, str]:
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
        # orjson, as a client pulling a million records would parse them: the standard
        # library's parser took 50-200 ms of a 5,000-record page, a sixth of the server's time
        # or more, and the same for ours and raw (docs/performance.md).
        body = orjson.loads(answer.content)
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


def report_jobs(client: httpx.Client) -> list[tuple[str, str]]:
    """(name, URL) of the figures reconciliation and of every report the user may read."""
    listing = client.get("/api/v1/reports/")
    listing.raise_for_status()
    jobs = [("figures reconciliation", "/api/v1/reports/figures/")]
    return jobs + [(f"report {r['key']}", r["url"]) for r in listing.json()["results"]]


def reports_p50(
    client: httpx.Client, runs: int, jobs: list[tuple[str, str]] | None = None, prefix: str = ""
) -> list[Row]:
    """Each job `runs` times, one request at a time: p50 and max against the 1 s budget."""
    rows = []
    for name, url in jobs if jobs is not None else report_jobs(client):
        timings, failures = [], 0
        for _run in range(runs):
            started = time.perf_counter()
            answer = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            failures += answer.status_code != 200
        p50 = statistics.median(timings)
        rows.append(
            Row(
                path=prefix + name,
                ours={"p50_ms": round(p50, 1), "max_ms": round(max(timings), 1), "runs": runs},
                target=f"p50 <= {REPORT_BUDGET_MS:.0f} ms",
                passed=failures == 0 and p50 <= REPORT_BUDGET_MS,
                note=f"{failures} failed" if failures else "",
            )
        )
    return rows
