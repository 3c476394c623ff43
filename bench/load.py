"""Load drivers of the benchmark: wrk (Debian's package) when installed, else httpx with threads.

Both drive a list of paths round robin with `concurrency` connections for `duration` seconds,
with the bearer token, and report requests/s, p50 and p95 (ms) and the count of failures."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass

import httpx


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    failures: int  # connection errors, timeouts and answers other than 2xx

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {**asdict(self), "rps": round(self.rps, 1)}


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_WRK_SCRIPT = """
local paths = {%(paths)s}
local counter = 0
wrk.headers["Authorization"] = "Bearer %(token)s"

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"non2xx": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    base_url: str, paths: list[str], token: str, *, concurrency: int, duration: int
) -> LoadResult:
    script = _WRK_SCRIPT % {"paths": ", ".join(map(_lua_string, paths)), "token": token}
    # The script holds the token: a private temporary file, removed at once.
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        os.chmod(handle.name, 0o600)
        threads = max(1, min(concurrency, os.cpu_count() or 1))
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            handle.name,
            base_url + paths[0],
        ]
        completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
            command, capture_output=True, text=True, timeout=duration + 60, check=True
        )
    finally:
        os.unlink(handle.name)
    line = next((x for x in completed.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        failures=data["non2xx"] + data["errors"],
    )


def run_threads(
    base_url: str, paths: list[str], token: str, *, concurrency: int, duration: int
) -> LoadResult:
    """The fallback: `concurrency` threads, each with its own keep-alive connection. Python's
    own overhead caps what it can drive (a few thousand requests/s); wrk is preferred."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failures = [0] * concurrency
    deadline = time.perf_counter() + duration

    def worker(index: int) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
            counter = index
            while time.perf_counter() < deadline:
                path = paths[counter % len(paths)]
                counter += 1
                started = time.perf_counter()
                try:
                    ok = client.get(path).is_success
                except httpx.HTTPError:
                    ok = False
                latencies[index].append(time.perf_counter() - started)
                failures[index] += not ok

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.perf_counter() - started
    every = sorted(x for per_thread in latencies for x in per_thread)
    if not every:
        return LoadResult(0, seconds, 0.0, 0.0, sum(failures))
    return LoadResult(
        requests=len(every),
        seconds=seconds,
        p50_ms=statistics.median(every) * 1000,
        p95_ms=every[min(len(every) - 1, int(len(every) * 0.95))] * 1000,
        failures=sum(failures),
    )


def run_load(
    driver: str,
    base_url: str,
    paths: list[str],
    token: str,
    *,
    concurrency: int,
    duration: int,
) -> LoadResult:
    run = run_wrk if driver == "wrk" else run_threads
    return run(base_url, paths, token, concurrency=concurrency, duration=duration)
