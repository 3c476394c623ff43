"""Rows of the benchmark measured without the HTTP server: the audit chain's verification, a CSV
export run by a worker process, and the rate of `seed --scale`.

- audit_verify: audit.chain.verify_chain (what `manage.py audit_verify` runs) over every entry,
  in this process; entries per second.
- CSV export: an export job of the bench user's cases, about EXPORT_ROWS rows, run by
  `manage.py exports_run` (services.export_run, what the Celery task calls) in a process of its
  own with the bench settings; its wall time and peak RSS (os.wait4's ru_maxrss, its own).
- seed rate: when the bench loaded the database itself, the rate of that load; otherwise a
  separate load of SEED_RATE_CASES into a throw-away database (created, migrated, loaded,
  dropped), so that the row always holds a measurement.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

EXPORT_ROWS = 100_000
SEED_RATE_CASES = 20_000
_LOADED = re.compile(r"Loaded ([\d,]+) scale cases in ([\d.]+)s")


# --- audit_verify ----------------------------------------------------------------------------


def audit_verify_rate() -> dict[str, Any]:
    from audit.chain import verify_chain

    started = time.perf_counter()
    report = verify_chain()
    seconds = time.perf_counter() - started
    return {
        "rate": round(report.entries / seconds, 1) if seconds else 0.0,
        "unit": "entries/s",
        "entries": report.entries,
        "seconds": round(seconds, 2),
        "intact": report.intact,
        "problem": report.problem,
    }


# --- the CSV export --------------------------------------------------------------------------


def age_window(counts: dict[int, int], target: int) -> tuple[int, int, int] | None:
    """The ages [low, high] whose cases number at least `target` and as few more as possible
    (the narrowest such window on ties); None when all ages together hold fewer."""
    ages = sorted(age for age in counts if age is not None)
    best: tuple[int, int, int] | None = None
    for start, low in enumerate(ages):
        rows = 0
        for high in ages[start:]:
            rows += counts[high]
            if rows >= target:
                if best is None or (rows, high - low) < (best[2], best[1] - best[0]):
                    best = (low, high, rows)
                break
    return best


def export_params(user: Any, target: int = EXPORT_ROWS) -> tuple[dict[str, str], int]:
    """Filters of the case export that select about `target` of the user's cases (an age range),
    and how many rows they select. Without a range that reaches `target`: no filter, all cases."""
    from django.db.models import Count

    from access import policy

    visible = policy.cases_visible_to(user)
    counts = dict(
        visible.order_by()
        .values("age_at_abduction")
        .annotate(n=Count("id"))
        .values_list("age_at_abduction", "n")
    )
    window = age_window(counts, target)
    if window is None:
        return {}, sum(counts.values())
    low, high, rows = window
    return {"age_min": str(low), "age_max": str(high)}, rows


@dataclass
class ExportRun:
    seconds: float
    peak_rss_mb: float
    rows: int
    size_mb: float
    params: dict[str, str]
    ok: bool
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": f"{self.seconds:.1f} s, {self.peak_rss_mb:.0f} MB peak",
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rows": self.rows,
            "size_mb": round(self.size_mb, 1),
            "params": self.params,
            "error": self.error,
        }


def _high_water_kb(pid: int) -> int:
    """Peak resident memory of a live process (Linux /proc), in kB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def export_run_in_worker(user: Any, *, env: dict[str, str], target: int = EXPORT_ROWS) -> ExportRun:
    """Create a CSV export job of about `target` of the user's cases and run it in a process of
    its own, as a worker would; the file goes to a private temporary folder, removed after."""
    from exports.datasets import dataset_get_for, needs_suppression
    from exports.models import ExportJob

    dataset = dataset_get_for(user, "cases")
    if dataset is None:
        return ExportRun(0.0, 0.0, 0, 0.0, {}, False, "the bench user may not export cases")
    params, _expected = export_params(user, target)
    job = ExportJob.objects.create(
        requested_by=user,
        dataset=dataset.key,
        params=dataset.clean(user, params),
        format=ExportJob.Format.CSV,
        deidentified=needs_suppression(dataset, user),
    )
    folder = tempfile.mkdtemp(prefix="bench-export-")
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "exports_run", str(job.pk)]
    try:
        started = time.perf_counter()
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=settings.BASE_DIR,
            env={**env, "EXPORTS_ROOT": folder},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # The worker's own peak memory: VmHWM of its process, read until it exits. Not
        # wait4's ru_maxrss, which Linux carries over from before exec, so it would count this
        # (large) bench process that forked it.
        peak_kb, status = 0, 0
        while True:
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            pid, status = os.waitpid(child.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        error = child.stderr.read().decode(errors="replace")[-500:]  # type: ignore[union-attr]
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    job.refresh_from_db()
    ok = child.returncode == 0 and job.status == ExportJob.Status.DONE
    return ExportRun(
        seconds=seconds,
        peak_rss_mb=peak_kb / 1024,
        rows=job.row_count or 0,
        size_mb=(job.size_bytes or 0) / 1e6,
        params=params,
        ok=ok,
        error="" if ok else (error.strip().splitlines() or [job.status])[-1],
    )


# --- the seed rate ---------------------------------------------------------------------------


def loaded_rate(output: str) -> tuple[int, float] | None:
    """(cases, seconds) from `seed --scale`'s summary line, None if it printed none."""
    found = _LOADED.search(output)
    if found is None:
        return None
    return int(found.group(1).replace(",", "")), float(found.group(2))


def database_url(name: str) -> str:
    """The URL of database `name` on the server (and as the user) of the default database."""
    from urllib.parse import quote

    config = connection.settings_dict
    user = quote(config.get("USER") or "", safe="")
    password = config.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = config.get("HOST") or "localhost"
    port = config.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{name}"


def admin_execute(statement: Any) -> None:
    """Run a statement (CREATE or DROP DATABASE) from the server's maintenance database."""
    import psycopg

    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k in {"host", "port", "user", "password"}}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(statement)


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run one of our commands; on failure, raise with the end of what it printed."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    if completed.returncode != 0:
        said = (completed.stderr.strip() or completed.stdout.strip()).splitlines()
        raise RuntimeError(f"{' '.join(command[2:])} exited {completed.returncode}: {said[-1:]}")
    return completed


def seed_rate_separately(
    *, cases: int = SEED_RATE_CASES, audit_per_case: int, env: dict[str, str], log
) -> dict[str, Any]:
    """Load `cases` scale cases into a throw-away database of their own (created, migrated,
    loaded with `seed --scale` in a child process, dropped) and return the rate."""
    from psycopg import sql

    name = f"{connection.settings_dict['NAME']}_seedrate"[:63]
    identifier = sql.Identifier(name)
    child_env = {**env, "DATABASE_URL": database_url(name)}
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
    admin_execute(sql.SQL("CREATE DATABASE {}").format(identifier))
    try:
        log(f"  seed rate: {cases:,} cases into a throw-away database {name} ...")
        _run([*manage, "migrate", "--verbosity", "0"], child_env)
        arguments = ["seed", "--scale", str(cases), "--no-progress"]
        if audit_per_case:
            arguments += ["--audit-per-case", str(audit_per_case)]
        started = time.perf_counter()
        completed = _run([*manage, *arguments], child_env)
        wall = time.perf_counter() - started
    finally:
        admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
    measured = loaded_rate(completed.stdout)
    loaded, seconds = measured if measured else (cases, wall)
    return {
        "rate": round(loaded / seconds, 1) if seconds else 0.0,
        "unit": "cases/s",
        "cases": loaded,
        "seconds": round(seconds, 2),
        "audit_per_case": audit_per_case,
        "how": "separate load into a throw-away database"
        + ("" if measured else " (wall time: seed printed no rate)"),
    }
