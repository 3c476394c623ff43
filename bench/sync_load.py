"""The batch-sync row of the benchmark: a few clients push new case records to
POST /api/v1/sync/cases/ (sync.api.SyncBatchApi) as a partner registry or a field office would,
each record with an external id never used before, so that every one is validated and created.

The records are what CaseRegisterInput asks for (sync.batch._case_upsert): a case number of the
run's own, an office of the bench user, a village of the gazetteer, names in both scripts, the
dates and the source. Records per second counts those the server answered created, updated or
unchanged (validated and applied); rejected records and failed requests are counted apart.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

SYNC_PATH = "/api/v1/sync/cases/"
SYNC_BATCH = (
    50  # records per request: a batch holds the chain lock; 4 waiting stay within gunicorn's 30 s
)
SYNC_CLIENTS = 4
# Never "SC-": scale-case counts (seeds.scale) must not move. After "SC-" in case-number order:
# a database reused for another run must show the same first list page and DNA worklist as a
# fresh one (these cases have no relatives, and sorted first they filled the worklist's 500).
SYNC_CASE_PREFIX = "ZSYNC-"

_SYLLABLES = (("da", "دا"), ("ri", "ري"), ("ki", "كي"), ("lo", "لو"), ("na", "نا"), ("ve", "ڤي"))


def sync_records(
    *, run: str, first: int, count: int, office_codes: list[str], village_ids: list[Any]
) -> list[dict[str, Any]]:
    """`count` new case records numbered from `first`, unique to the run `run` (a short token):
    external ids and case numbers never collide with another run's."""
    records = []
    for number in range(first, first + count):
        a, b = _SYLLABLES[number % 6], _SYLLABLES[(number // 6) % 6]
        records.append(
            {
                "external_id": f"bench-{run}-{number}",
                "case_number": f"{SYNC_CASE_PREFIX}{run}-{number:07d}",
                "office": office_codes[number % len(office_codes)],
                "reported_on": "2015-02",
                "source": "manage.py bench: batch sync",
                "given_name_latn": (a[0] + b[0] + "n").capitalize(),
                "given_name_ar": a[1] + b[1] + "ن",
                "family_name_latn": "Benchani",
                "family_name_ar": "بينجاني",
                "sex": "female" if number % 2 else "male",
                "age_at_abduction": number % 70,
                "origin": str(village_ids[number % len(village_ids)]),
                "abducted_on": "2014-08-03",
            }
        )
    return records


@dataclass
class SyncLoadResult:
    clients: int
    batch_size: int
    seconds: float = 0.0
    batches: int = 0
    validated: int = 0  # created, updated or unchanged
    rejected: int = 0
    failures: int = 0  # requests answered other than 200, or not at all
    batch_ms: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def records_per_s(self) -> float:
        return self.validated / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        timings = sorted(self.batch_ms)
        return {
            "records_per_s": round(self.records_per_s, 1),
            "records": self.validated,
            "rejected": self.rejected,
            "failures": self.failures,
            "batches": self.batches,
            "batch_size": self.batch_size,
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "batch_p50_ms": round(statistics.median(timings), 1) if timings else None,
            "batch_p95_ms": round(timings[int(len(timings) * 0.95)], 1) if timings else None,
        }


def sync_load(
    base_url: str,
    token: str,
    *,
    run: str,
    office_codes: list[str],
    village_ids: list[Any],
    clients: int = SYNC_CLIENTS,
    duration: float,
    batch_size: int = SYNC_BATCH,
) -> SyncLoadResult:
    """`clients` threads post batches of new records until `duration` seconds have passed; a
    batch under way then is waited for, and the time runs to the last answer."""
    result = SyncLoadResult(clients=clients, batch_size=batch_size)
    lock = threading.Lock()
    numbers = iter(range(0, 10**9, batch_size))
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.perf_counter() + duration

    def client_loop() -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=300.0) as client:
            while time.perf_counter() < deadline:
                with lock:
                    first = next(numbers)
                records = sync_records(
                    run=run,
                    first=first,
                    count=batch_size,
                    office_codes=office_codes,
                    village_ids=village_ids,
                )
                started = time.perf_counter()
                try:
                    answer = client.post(SYNC_PATH, json={"records": records})
                except httpx.HTTPError as error:
                    body, problem = {}, type(error).__name__
                else:
                    body = answer.json() if answer.status_code == 200 else {}
                    problem = "" if answer.status_code == 200 else f"HTTP {answer.status_code}"
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    result.batches += 1
                    result.batch_ms.append(elapsed)
                    if problem:
                        result.failures += 1
                        result.first_error = result.first_error or problem
                        continue
                    result.validated += sum(body.get(k, 0) for k in ("created", "updated"))
                    result.validated += body.get("unchanged", 0)
                    result.rejected += body.get("rejected", 0)
                    if body.get("rejected") and not result.first_error:
                        rejected = [r for r in body["results"] if r["result"] == "rejected"]
                        result.first_error = f"rejected: {rejected[0].get('errors')}"

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result
