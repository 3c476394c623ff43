"""Small-cell suppression, property-tested on random tables with margins (docs/exports.md).

For any table: (i) no published cell is 1-9; (ii) every line (row or column of the full grid,
the totals included) holding a suppressed cell holds at least two; (iii) published values are
the true ones; and (iv), checked by linear algebra rather than by the rule's own reasoning, no
suppressed cell is the unique solution of the published row, column and grand-total equations.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from exports.suppression import (
    SUPPRESSED,
    grid_with_margins,
    suppress_crosstab,
    suppress_interior,
    suppress_rows,
)
from reports.tables import Column, Table

# Counts as they come: many zeros and small cells, some large ones.
counts = st.one_of(
    st.just(0), st.integers(min_value=1, max_value=9), st.integers(min_value=10, max_value=500)
)
tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda n_cols: st.lists(
        st.lists(counts, min_size=n_cols, max_size=n_cols), min_size=1, max_size=7
    )
)


def _lines(n_rows: int, n_cols: int) -> list[list[tuple[int, int]]]:
    return [[(i, j) for j in range(n_cols)] for i in range(n_rows)] + [
        [(i, j) for i in range(n_rows)] for j in range(n_cols)
    ]


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix if any(row)]
    rank, n_cols = 0, len(rows[0]) if rows else 0
    for col in range(n_cols):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def determined_cells(grid, suppressed) -> set[tuple[int, int]]:
    """Suppressed cells whose value follows from the published values and the line equations
    (each line's cells before the last add up to the last)."""
    unknowns = sorted(suppressed)
    if not unknowns:
        return set()
    index = {cell: k for k, cell in enumerate(unknowns)}
    n_rows, n_cols = len(grid), len(grid[0])
    matrix = []
    for line in _lines(n_rows, n_cols):
        row = [Fraction(0)] * len(unknowns)
        for position, cell in enumerate(line):
            if cell in index:
                row[index[cell]] += -1 if position == len(line) - 1 else 1
        matrix.append(row)
    full = _rank(matrix)
    return {
        cell
        for cell, k in index.items()
        if _rank([row[:k] + row[k + 1 :] for row in matrix]) < full
    }


@settings(max_examples=300, deadline=None)
@given(tables)
def test_suppression_properties(interior):
    result = suppress_interior(interior)
    grid, suppressed = result.grid, result.suppressed
    n_rows, n_cols = len(grid), len(grid[0])
    # The margins are the true sums.
    assert grid == grid_with_margins(interior)
    for i in range(n_rows):
        for j in range(n_cols):
            shown = result.published(i, j)
            # (i) no published small cell
            assert shown is SUPPRESSED or not 1 <= shown <= 9
            # (iii) what is published is unchanged
            assert shown is SUPPRESSED or shown == grid[i][j]
    # (ii) no line with a single suppressed cell
    for line in _lines(n_rows, n_cols):
        assert sum(cell in suppressed for cell in line) != 1, line
    # (iv) nothing can be worked out exactly from the published totals
    assert not determined_cells(grid, suppressed)


def test_a_line_with_one_small_cell_loses_its_next_smallest_too():
    result = suppress_interior([[5, 20, 30], [40, 50, 60], [70, 80, 90]])
    # The 5 is primary; its row's next smallest (20) and its column's (40) are secondary, and
    # the cell that closes the rectangle (50) keeps either from being worked out.
    assert {(0, 0), (0, 1), (1, 0), (1, 1)} <= result.suppressed
    assert result.published(2, 2) == 90
    assert result.published(3, 3) == sum(map(sum, [[5, 20, 30], [40, 50, 60], [70, 80, 90]]))


def test_the_determination_check_itself_finds_a_lone_cell():
    # The check used by the property test is not vacuous: one suppressed cell in a row with
    # a published total is determined.
    grid = grid_with_margins([[5, 20], [40, 50]])
    assert determined_cells(grid, {(0, 0)}) == {(0, 0)}
    assert determined_cells(grid, {(0, 0), (0, 1), (1, 0), (1, 1)}) == set()


def test_a_table_without_small_cells_is_unchanged():
    result = suppress_interior([[10, 20], [0, 30]])
    assert result.suppressed == set()


def test_suppress_table_keeps_labels_and_protects_the_total_row_and_column():
    table = Table(
        key="t",
        title="t",
        columns=[
            Column("district", "District"),
            Column("female", "Female", kind="count"),
            Column("male", "Male", kind="count"),
            Column("total", "Total", kind="count"),
        ],
        rows=[("A", 3, 40, 43), ("B", 25, 60, 85), ("C", 30, 70, 100), ("Total", 58, 170, 228)],
        has_total_row=True,
    )
    out = suppress_crosstab(table, total_column="total")
    rows = list(out.rows)
    assert [row[0] for row in rows] == ["A", "B", "C", "Total"]
    assert rows[0][1] is SUPPRESSED
    assert sum(value is SUPPRESSED for value in rows[0][1:]) >= 2
    column = [row[1] for row in rows]
    assert sum(value is SUPPRESSED for value in column) >= 2
    assert rows[-1][-1] == 228  # the grand total gives nothing away here


def _report(rows, *, total_row: bool) -> Table:
    """A report-like table: kidnapped = rescued + still missing, a related column pair."""
    body = [(f"group {n}", r + m, r, m, f"{n}") for n, (r, m) in enumerate(rows)]
    if total_row:
        body.append(("Total", *(sum(row[k] for row in body) for k in (1, 2, 3)), ""))
    return Table(
        key="r",
        title="r",
        columns=[
            Column("group", "Group"),
            Column("kidnapped", "Kidnapped", "count"),
            Column("rescued", "Rescued", "count"),
            Column("missing", "Still missing", "count"),
            Column("note", "Note", "dimension"),
        ],
        rows=body,
        has_total_row=total_row,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=8), st.booleans())
def test_row_suppression_of_reports(pairs, total_row):
    table = _report(pairs, total_row=total_row)
    original = list(table.rows)
    out = list(suppress_rows(table).rows)
    body_in, body_out = (original[:-1], out[:-1]) if total_row else (original, out)
    hidden = [i for i, row in enumerate(body_out) if row[1] is SUPPRESSED]
    for before, after in zip(original, out, strict=True):
        assert after[0] == before[0] and after[4] == before[4]  # labels stay
        numbers = after[1:4]
        # A row is all hidden or all shown: related columns cannot reveal each other.
        assert all(v is SUPPRESSED for v in numbers) or all(v is not SUPPRESSED for v in numbers)
        for value, true in zip(numbers, before[1:4], strict=True):
            assert value is SUPPRESSED or (value == true and not 1 <= value <= 9)
    total_shown = total_row and out[-1][1] is not SUPPRESSED
    if len(hidden) == 1:
        # a lone hidden row only when no total can give it away (no other row at all)
        assert len(body_in) == 1 and not total_shown


def test_row_suppression_takes_the_smallest_other_row():
    out = list(suppress_rows(_report([(3, 0), (50, 50), (20, 10)], total_row=True)).rows)
    assert out[0][1] is SUPPRESSED and out[2][1] is SUPPRESSED
    assert out[1][1:4] == (100, 50, 50)
    assert out[3][1:4] == (133, 73, 60)
