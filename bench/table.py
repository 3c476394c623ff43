"""The benchmark's result: one Row per measured path, as JSON and as a Markdown table.

A row's `ours` (and `raw`, for the paths measured against a raw-SQL view) says what kind of
measure it holds, and the table shows each kind in the first columns:
- under load (wrk or threads): `rps`, `p50_ms`, `p95_ms`;
- a throughput of records (feed pull, batch sync): `records_per_s`;
- any other rate (audit entries, seeded cases): `rate` and its `unit`;
- a job with several numbers (the CSV export): a `summary` text;
- sequential requests (reports): `p50_ms` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


def row_json(row: Row) -> dict[str, Any]:
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


def failed_row(path: str, target: str, error: BaseException) -> Row:
    """A row whose measurement could not be made: FAIL, with the reason."""
    return Row(path=path, target=target, passed=False, note=f"not measured: {error!r}"[:300])


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _cells(ours: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """The six measure columns: ours req/s, p50, p95, then the raw view's."""
    if "records_per_s" in ours:  # feed pull, batch sync: records/s in the req/s columns
        theirs = f"{_num(raw['records_per_s'], 0)} rec/s" if "records_per_s" in raw else ""
        return [f"{_num(ours['records_per_s'], 0)} rec/s", "", "", theirs, "", ""]
    if "rate" in ours:
        return [f"{_num(ours['rate'], 0)} {ours.get('unit', '/s')}", "", "", "", "", ""]
    if "summary" in ours:
        return [str(ours["summary"]), "", "", "", "", ""]
    if "rps" in ours:
        return [
            _num(ours["rps"], 0),
            _num(ours["p50_ms"]),
            _num(ours["p95_ms"]),
            _num(raw.get("rps"), 0),
            _num(raw.get("p50_ms")),
            _num(raw.get("p95_ms")),
        ]
    return ["", _num(ours.get("p50_ms")), "", "", "", ""]  # sequential: p50 only


def table_lines(result: dict[str, Any]) -> list[str]:
    """The result as a Markdown table (readable in a terminal, pasted as is into the notes)."""
    lines = [
        "| path | ours req/s | p50 ms | p95 ms | raw req/s | p50 ms | p95 ms | ratio | db ms "
        "| target | pass |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in result["rows"]:
        verdict = {True: "pass", False: "FAIL", None: "-"}[row["pass"]]
        if row["note"]:
            verdict += f" ({row['note']})"
        cells = [
            row["path"],
            *_cells(row["ours"] or {}, row["raw"] or {}),
            _num(row["ratio"], 2),
            _num(row["db_ms"], 2),
            row["target"],
            verdict,
        ]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return lines
