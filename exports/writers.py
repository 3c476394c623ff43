"""Writers: a `reports.tables.Table` to CSV, XLSX or JSON, row by row into a file, so memory
stays bounded however long the table (the rows may be a lazy iterator over the database).

Spreadsheet safety: a text cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage
return) would be read as a formula by Excel or LibreOffice; in CSV and XLSX such text is
prefixed with an apostrophe. Numbers are written as numbers, never touched. JSON is data, not a
spreadsheet, and is written as is.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, Any

from .suppression import MARKER, SUPPRESSED

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RTL_LANGUAGES = frozenset({"ar", "ckb"})
# How often (in rows) the progress callback is told.
PROGRESS_EVERY = 1000

Progress = Callable[[int], None]


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet may safely hold it: formula-like text gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """A cell's value as plain data: numbers stay numbers, dates become ISO text for CSV."""
    if value is SUPPRESSED:
        return MARKER
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _counted(rows: Iterable[tuple[Any, ...]], progress: Progress | None):
    written = 0
    for row in rows:
        yield row
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    if progress is not None:
        progress(written)


def write_csv(table: Any, stream: IO[bytes], *, progress: Progress | None = None) -> int:
    """UTF-8 with a byte-order mark, so Excel opens Arabic and Kurdish text correctly."""
    import io

    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=False)
    writer = csv.writer(text)
    writer.writerow([neutralise(str(column.label)) for column in table.columns])
    count = 0
    for row in _counted(table.iter_rows(), progress):
        writer.writerow(["" if value is None else neutralise(_plain(value)) for value in row])
        count += 1
    text.flush()
    text.detach()
    return count


def write_json(table: Any, stream: IO[bytes], *, progress: Progress | None = None) -> int:
    """A JSON array of objects keyed by column, written one object at a time. Suppressed
    cells are null."""
    keys = [column.key for column in table.columns]
    stream.write(b"[")
    count = 0
    for row in _counted(table.iter_rows(), progress):
        record = {
            key: None if value is SUPPRESSED else _plain(value)
            for key, value in zip(keys, row, strict=True)
        }
        stream.write((b",\n" if count else b"\n") + json.dumps(record, ensure_ascii=False).encode())
        count += 1
    stream.write(b"\n]\n" if count else b"]\n")
    return count


def write_xlsx(
    table: Any,
    stream: IO[bytes],
    *,
    language: str = "en",
    progress: Progress | None = None,
    about: list[str] | None = None,
) -> int:
    """An XLSX workbook in openpyxl's write-only mode (rows go to a temporary file as they
    come). Right-to-left sheets for Arabic and Kurdish. A second sheet says what the data is."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    right_to_left = language.split("-")[0] in RTL_LANGUAGES
    sheet = workbook.create_sheet(title=_sheet_title(str(table.title)))
    if right_to_left:
        sheet.sheet_view.rightToLeft = True
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=neutralise(str(column.label)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in _counted(table.iter_rows(), progress):
        sheet.append([_xlsx_value(value) for value in row])
        count += 1
    if about:
        notes = workbook.create_sheet(title=_sheet_title(about[0]))
        if right_to_left:
            notes.sheet_view.rightToLeft = True
        for line in about[1:]:
            notes.append([neutralise(line)])
    workbook.save(stream)
    return count


def _xlsx_value(value: Any) -> Any:
    if value is SUPPRESSED:
        return MARKER
    if value is None or isinstance(value, bool | int | float | dt.datetime | dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones
        return value
    return neutralise(_plain(value))


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return (cleaned or "Data")[:31]


WRITERS = {"csv": write_csv, "json": write_json, "xlsx": write_xlsx}
EXTENSIONS = {"csv": "csv", "json": "json", "xlsx": "xlsx"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
