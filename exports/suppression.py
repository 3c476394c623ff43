"""Small-cell suppression for de-identified exports (the rule in words: docs/exports.md).

A table of counts is handled as a full grid with its margins: R rows x C count columns inside,
a row total at the end of each row, a column total under each column and the grand total in the
corner. Every row of that grid (the total row included) and every column (the total column
included) is a *line*: its cells before the last add up to the last.

1. Primary suppression: every cell, inside or margin, whose count is 1 to 9 is suppressed.
2. Secondary suppression, repeated until nothing changes:
   a. a line with exactly one suppressed cell gets a second one: its smallest non-zero published
      cell (an inside cell before a total; a zero only if the line has nothing else);
   b. when every line is fine, the suppressed cells still must not be worked out by combining
      lines. Seen as a graph (a node per line of rows and per line of columns, an edge per
      suppressed cell), a suppressed cell is determined by the published values exactly when its
      edge is a *bridge* (it lies on no cycle). For each bridge, one more cell joining the two
      sides the bridge separates is suppressed (the smallest non-zero one, inside before margin).
3. Totals are computed from the true counts before suppression and published unless suppressed
   themselves, so a published total is always the true total.

The result: no published cell is 1-9, every line holding a suppressed cell holds at least two,
and no suppressed cell is a unique solution of the published linear equations. What it does not
do: bound the interval in which a suppressed value can lie (a cell next to a published 0 can be
narrowed), nor protect against the same counts published unsuppressed somewhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LOW, HIGH = 1, 9

Cell = tuple[int, int]


class _Suppressed:
    """The value written in place of a suppressed count (a singleton)."""

    _instance: _Suppressed | None = None

    def __new__(cls) -> _Suppressed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def __str__(self) -> str:
        return MARKER

    def __bool__(self) -> bool:
        return False


SUPPRESSED: Any = _Suppressed()
# What a suppressed cell shows in CSV and XLSX (JSON writes null). "x" as in the tables of
# national statistics offices: not a number, so a spreadsheet sum cannot mistake it for zero.
MARKER = "x"


def grid_with_margins(interior: Sequence[Sequence[int]]) -> list[list[int]]:
    """The full grid: each row with its total appended, then the row of column totals."""
    rows = [[*row, sum(row)] for row in interior]
    width = len(rows[0]) if rows else 1
    totals = [sum(row[j] for row in rows) for j in range(width)]
    return [*rows, totals]


@dataclass
class Suppression:
    grid: list[list[int]]  # the full grid with margins, true values
    suppressed: set[Cell]

    def published(self, i: int, j: int) -> Any:
        return SUPPRESSED if (i, j) in self.suppressed else self.grid[i][j]


def suppress(grid: Sequence[Sequence[int]], *, low: int = LOW, high: int = HIGH) -> set[Cell]:
    """The cells of the full grid (margins in the last row and column) that must not be shown."""
    n_rows = len(grid)
    n_cols = len(grid[0]) if n_rows else 0
    if n_rows < 2 or n_cols < 2:
        return set()  # no inside cells
    suppressed = {(i, j) for i in range(n_rows) for j in range(n_cols) if low <= grid[i][j] <= high}
    if not suppressed:
        return suppressed

    def preference(cell: Cell) -> tuple[bool, bool, int, int, int]:
        i, j = cell
        value = grid[i][j]
        is_margin = i == n_rows - 1 or j == n_cols - 1
        return (value == 0, is_margin, value, i, j)

    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)] + [
        [(i, j) for i in range(n_rows)] for j in range(n_cols)
    ]
    while True:
        changed = False
        for line in lines:
            if sum(cell in suppressed for cell in line) == 1:
                candidates = [cell for cell in line if cell not in suppressed]
                suppressed.add(min(candidates, key=preference))
                changed = True
        if changed:
            continue
        bridge = _first_bridge(suppressed, n_rows, n_cols)
        if bridge is None:
            return suppressed
        side_a, side_b = _sides(suppressed - {bridge}, bridge)
        candidates = [
            (i, j)
            for i in range(n_rows)
            for j in range(n_cols)
            if (i, j) not in suppressed
            and (
                (("r", i) in side_a and ("c", j) in side_b)
                or (("r", i) in side_b and ("c", j) in side_a)
            )
        ]
        # There is always one: after step (a) the bridge's row node has another edge (a column
        # on its side) and its column node another edge (a row on the other side).
        suppressed.add(min(candidates, key=preference))


def _adjacency(cells: set[Cell]) -> dict[tuple[str, int], list[tuple[tuple[str, int], Cell]]]:
    graph: dict[tuple[str, int], list[tuple[tuple[str, int], Cell]]] = {}
    for cell in sorted(cells):
        i, j = cell
        graph.setdefault(("r", i), []).append((("c", j), cell))
        graph.setdefault(("c", j), []).append((("r", i), cell))
    return graph


def _first_bridge(cells: set[Cell], n_rows: int, n_cols: int) -> Cell | None:
    """A suppressed cell whose edge lies on no cycle (Tarjan's bridges, iterative)."""
    graph = _adjacency(cells)
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    bridges: list[Cell] = []
    counter = 0
    for root in sorted(graph):
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[tuple[str, int], Cell | None, int]] = [(root, None, 0)]
        while stack:
            node, via, index = stack[-1]
            if index < len(graph[node]):
                stack[-1] = (node, via, index + 1)
                neighbour, edge = graph[node][index]
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, edge, 0))
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        bridges.append(via)  # type: ignore[arg-type]
    return min(bridges) if bridges else None


def _sides(cells: set[Cell], bridge: Cell) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """The nodes reachable from each end of the bridge once it is removed."""
    graph = _adjacency(cells)

    def reach(start: tuple[str, int]) -> set[tuple[str, int]]:
        seen = {start}
        todo = [start]
        while todo:
            node = todo.pop()
            for neighbour, _edge in graph.get(node, ()):
                if neighbour not in seen:
                    seen.add(neighbour)
                    todo.append(neighbour)
        return seen

    i, j = bridge
    return reach(("r", i)), reach(("c", j))


def suppress_interior(interior: Sequence[Sequence[int]]) -> Suppression:
    """Suppression of a table given without margins: the margins are computed and protected."""
    grid = grid_with_margins(interior)
    return Suppression(grid=grid, suppressed=suppress(grid))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def suppress_crosstab(table: Any, *, total_column: str | None = None) -> Any:
    """A copy of a cross-tabulation (reports.tables.Table) with its cells suppressed by the
    rule above. Only for tables whose rows are disjoint groups and whose count columns are
    disjoint categories, so that the margins are the sums (exports.datasets builds them so).

    The count columns are the inside of the grid; the table's own total row (`has_total_row`)
    is the row of column totals and `total_column` names the count column of row totals.
    Margins the table does not show are computed and protected all the same, as if they were
    published elsewhere. Label columns are copied unchanged.
    """
    from dataclasses import replace

    count_at = [
        index
        for index, column in enumerate(table.columns)
        if column.kind == "count" and column.key != total_column
    ]
    total_at = next(
        (i for i, column in enumerate(table.columns) if column.key == total_column), None
    )
    rows = [list(row) for row in table.iter_rows()]
    body = rows[:-1] if table.has_total_row and rows else rows
    if not count_at or not body:
        return replace(table, rows=[tuple(row) for row in rows])
    grid = grid_with_margins([[_count(row[k]) for k in count_at] for row in body])
    suppressed = suppress(grid)
    margin_col = len(count_at)
    targets = [*body, rows[-1]] if table.has_total_row else body
    for i, row in enumerate(targets):
        for position, k in enumerate(count_at):
            if (i, position) in suppressed:
                row[k] = SUPPRESSED
        if total_at is not None and (i, margin_col) in suppressed:
            row[total_at] = SUPPRESSED
    return replace(table, rows=[tuple(row) for row in rows])


def suppress_rows(table: Any) -> Any:
    """A copy of any other table of counts (a report) with whole rows suppressed.

    A report's count columns are often related to each other (kidnapped = rescued + returned +
    still missing; still missing = female + male), so suppressing single cells would let a
    reader work a small cell out from its neighbours in the same row. Here a row with any
    count from 1 to 9 loses every number it shows (counts and other values; its labels stay),
    and if only one row is suppressed, a second one is too (the smallest non-zero one), or the
    total row when there is no other: a published total never reveals a lone suppressed row.
    This assumes rows are disjoint groups (a breakdown). Cumulative series are not protected
    by it: see docs/exports.md.
    """
    from dataclasses import replace

    count_at = [i for i, column in enumerate(table.columns) if column.kind == "count"]
    numbers_at = [i for i, column in enumerate(table.columns) if column.kind != "dimension"]
    rows = [list(row) for row in table.iter_rows()]
    if not count_at or not rows:
        return replace(table, rows=[tuple(row) for row in rows])
    has_total = table.has_total_row and len(rows) > 1
    body = rows[:-1] if has_total else rows

    def small(row: list[Any]) -> bool:
        return any(LOW <= _count(row[k]) <= HIGH for k in count_at)

    def size(index: int) -> tuple[bool, int, int]:
        weight = sum(_count(body[index][k]) for k in count_at)
        return (weight == 0, weight, index)

    hidden = {i for i, row in enumerate(body) if small(row)}
    totals = [sum(_count(row[k]) for row in body) for k in count_at]
    total_hidden = has_total and (small(rows[-1]) or any(LOW <= t <= HIGH for t in totals))
    if len(hidden) == 1:
        others = [i for i in range(len(body)) if i not in hidden]
        if others:
            hidden.add(min(others, key=size))
        else:
            total_hidden = has_total
    for i in hidden:
        for k in numbers_at:
            body[i][k] = SUPPRESSED
    if total_hidden:
        for k in numbers_at:
            rows[-1][k] = SUPPRESSED
    return replace(table, rows=[tuple(row) for row in rows])
