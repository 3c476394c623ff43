"""The shape every report and every exportable list hands to the UI, the API and the exporters.

A report computes a `Table`; the web page draws it (and its chart), the API serialises it, and
the exports app writes it as CSV, XLSX or JSON, applying small-cell suppression to the `count`
columns when the requester may only have de-identified data. Keeping one shape means a figure
shown on a page and the same figure in an export cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["dimension", "count", "value"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # dimension: a grouping label (district, month, sex); count: a number of people or records,
    # subject to small-cell suppression in de-identified exports; value: any other number or text.
    kind: ColumnKind = "dimension"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    # Rows are tuples in column order. An iterator is allowed for long lists, so that exports
    # stream them; reports hold a list.
    rows: Iterable[tuple[Any, ...]]
    as_of: dt.date | None = None
    # Free-text notes shown under the table and written into exports (definitions, caveats).
    notes: list[str] = field(default_factory=list)
    # Whether the last row is a total of the rows above it (suppression treats it as a margin).
    has_total_row: bool = False

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def iter_rows(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = self.column_keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows]
