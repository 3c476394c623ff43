"""CSV import of cases and of relatives, from the documented template (docs/csv-import.md).

Every row is checked before anything is written, and each error names its physical line in the
file (the header is line 1), the column and the reason, never the value: files carry names,
birth dates and phone numbers, and error lists end up in screenshots and support tickets.

Writes go only through the domain services (`case_register`, `relative_add`), each row in its own
savepoint, so a row the database refuses at write time (a case number registered by someone else
a moment ago) undoes that row only. Mode "all" then rolls back the whole import: nothing from a
file with errors is applied unless the user asked for "valid_rows". The services audit each
record; the import adds one entry of its own with counts, mode and the file's SHA-256 (the trail
is permanent, so never the rows themselves).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from access import policy
from audit.context import audit_actor
from audit.services import audit_log
from cases.lifecycle import CaseState, EventType, plan_transition
from cases.models import Case, CaseEvent, Community, Office, Sex
from cases.partial_dates import PartialDate, age_on
from cases.services import case_register
from families.models import Kinship, Relative
from families.services import relative_add
from gazetteer.models import Place

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

CASES, RELATIVES = "cases", "relatives"
KINDS = (CASES, RELATIVES)
VALIDATE, ALL, VALID_ROWS = "validate", "all", "valid_rows"
MODES = (VALIDATE, ALL, VALID_ROWS)

# What each kind creates: the policy's resource, and the subject type of the import's entry.
RESOURCE = {CASES: "case", RELATIVES: "relative"}
SUBJECT_TYPE = {CASES: Case._meta.label_lower, RELATIVES: Relative._meta.label_lower}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False  # the column must be in the header and the cell must not be blank


CASE_COLUMNS = (
    Column("case_number", required=True),
    Column("given_name_ar"),
    Column("father_name_ar"),
    Column("grandfather_name_ar"),
    Column("family_name_ar"),
    Column("given_name_latn"),
    Column("father_name_latn"),
    Column("grandfather_name_latn"),
    Column("family_name_latn"),
    Column("sex", required=True),
    Column("birth_date"),
    Column("age_at_abduction"),
    Column("community"),
    Column("origin", required=True),
    Column("abduction_place"),
    Column("office", required=True),
    Column("abducted_on", required=True),
    Column("reported_on", required=True),
    Column("source", required=True),
    Column("note"),
)
RELATIVE_COLUMNS = (
    Column("case_number", required=True),
    Column("full_name_ar"),
    Column("full_name_latn"),
    Column("sex", required=True),
    Column("birth_date"),
    Column("relationship", required=True),
    Column("phone"),
    Column("address"),
    Column("consent"),
    Column("consent_recorded_on"),
    Column("consent_dna_matching"),
    Column("consent_share_with_partners"),
)
COLUMNS = {CASES: CASE_COLUMNS, RELATIVES: RELATIVE_COLUMNS}

# One row of obviously invented data for each template. The codes are placeholders that match no
# office or place, so an example row imported by mistake is refused rather than recorded.
EXAMPLE_ROWS = {
    CASES: {
        "case_number": "EXAMPLE-0001",
        "given_name_ar": "مثال",
        "father_name_ar": "تجربة",
        "given_name_latn": "Example",
        "father_name_latn": "Sample",
        "family_name_latn": 'Test "Placeholder"',
        "sex": "female",
        "birth_date": "1990",
        "community": "yazidi",
        "origin": "example-village",
        "office": "EXAMPLE",
        "abducted_on": "2014-08",
        "reported_on": "2014-09-01",
        "source": "Example registry, not a real record",
        "note": "Invented example row; delete it before importing.",
    },
    RELATIVES: {
        "case_number": "EXAMPLE-0001",
        "full_name_ar": "مثال تجربة",
        "full_name_latn": "Example Sample",
        "sex": "male",
        "relationship": "father",
        "phone": "+000 000 0000",
        "consent": "given",
        "consent_recorded_on": "2016-01-01",
        "consent_dna_matching": "yes",
        "consent_share_with_partners": "no",
    },
}

_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}
_PHONE = re.compile(r"^[0-9+()\-. ]*$")


class ImportTooLarge(Exception):
    """The file is over MAX_BYTES or MAX_ROWS; the API answers 413."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    line: int | None  # physical line in the file, header = 1; None for the file as a whole
    field: str  # the column at fault; "" for the row or the file as a whole
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    kind: str
    mode: str
    sha256: str = ""
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    # The file could not be read as a whole (encoding, header, CSV syntax): no row was checked.
    file_error: bool = False

    @property
    def valid_rows(self) -> int:
        return self.rows - len({error.line for error in self.errors})

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "rows": self.rows,
            "created": self.created,
            "errors": [error.as_json() for error in self.errors],
            "applied": self.applied,
        }


def template_csv(kind: str) -> str:
    """The header of the kind's template and one invented example row, as CSV text."""
    names = [column.name for column in COLUMNS[kind]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerow([EXAMPLE_ROWS[kind].get(name, "") for name in names])
    return out.getvalue()


def import_permitted(user: Any, kind: str) -> bool:
    return policy.allowed(user, policy.CREATE, RESOURCE[kind])


# --- reading the file --------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    width: int  # cells in the record; a row whose width is not the header's is not checked


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(_("The file is UTF-16; save it as “CSV UTF-8” and upload it again."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(
            _(
                "The file is not UTF-8 (the first byte that is not is on line %(line)d); "
                "save it as “CSV UTF-8” and upload it again."
            )
            % {"line": line}
        ) from error
    if "\x00" in text:
        raise ValueError(_("The file contains NUL characters; it is not a CSV text file."))
    return text


def _read(kind: str, data: bytes) -> tuple[list[_Row], list[RowError]]:
    """The data rows by physical line, or the file-level errors that stop the import."""
    if len(data) > MAX_BYTES:
        raise ImportTooLarge(_("The file is over %(mb)d MB.") % {"mb": MAX_BYTES // 2**20})
    try:
        text = _decode(data)
    except ValueError as error:
        return [], [RowError(None, "", str(error))]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_Row] = []
    header: list[str] | None = None
    last_line = 0
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num  # a record may span lines
            if header is None:
                header = [name.strip().lower() for name in record]
                problems = _check_header(kind, header)
                if problems:
                    return [], problems
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank lines, or a spreadsheet's empty rows of commas
            if len(rows) >= MAX_ROWS:
                raise ImportTooLarge(
                    _("The file has more than %(max)s rows; split it.") % {"max": f"{MAX_ROWS:,}"}
                )
            cells = dict(zip(header, (cell.strip() for cell in record), strict=False))
            rows.append(_Row(line, cells if len(record) == len(header) else {}, len(record)))
    except csv.Error as error:
        # The csv module's reason (a stray quote, a field over its size limit) names no value.
        message = _("The file is not valid CSV from line %(line)d: %(reason)s") % {
            "line": last_line + 1,
            "reason": error,
        }
        return [], [RowError(last_line + 1, "", message)]
    if header is None:
        return [], [RowError(None, "", _("The file is empty."))]
    if not rows:
        return [], [RowError(None, "", _("The file has a header but no rows."))]
    return rows, []


def _check_header(kind: str, header: list[str]) -> list[RowError]:
    known = {column.name for column in COLUMNS[kind]}
    if not known.intersection(header):
        # Most likely no header at all: its "column names" would be the first row's data, which
        # an error list must not repeat.
        return [
            RowError(
                1,
                "",
                _(
                    "Line 1 is not the template's header: it names none of its columns "
                    "(%(columns)s)."
                )
                % {"columns": ", ".join(c.name for c in COLUMNS[kind])},
            )
        ]
    errors = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            errors.append(
                RowError(1, "", _("Column %(position)d has no name.") % {"position": position})
            )
        elif name in seen:
            errors.append(RowError(1, name, _("This column appears twice.")))
        elif name not in known:
            errors.append(
                RowError(
                    1,
                    name,
                    _("Unknown column; the template's columns are: %(columns)s.")
                    % {"columns": ", ".join(c.name for c in COLUMNS[kind])},
                )
            )
        seen.add(name)
    for column in COLUMNS[kind]:
        if column.required and column.name not in seen:
            errors.append(RowError(1, column.name, _("This required column is missing.")))
    return errors


# --- checking one cell ------------------------------------------------------------------------


class _CellError(Exception):
    pass


def _text(value: str, model: type, name: str) -> str:
    limit = model._meta.get_field(name).max_length
    if limit and len(value) > limit:
        raise _CellError(
            _("At most %(limit)d characters (this has %(length)d).")
            % {"limit": limit, "length": len(value)}
        )
    return value


def _choice(value: str, choices: list[str], default: str | None = None) -> str:
    if not value and default is not None:
        return default
    if value.lower() not in choices:
        raise _CellError(
            _("Not an accepted value; use one of: %(values)s.") % {"values": ", ".join(choices)}
        )
    return value.lower()


def _partial_date(value: str, today: dt.date) -> PartialDate | None:
    if not value:
        return None
    try:
        date = PartialDate.parse(value)
    except ValueError as error:
        raise _CellError(_("Not a date of the form YYYY, YYYY-MM or YYYY-MM-DD.")) from error
    if date.lower() > today:
        raise _CellError(_("The date is in the future."))
    return date


def _date(value: str, today: dt.date) -> dt.date | None:
    if not value:
        return None
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as error:
        raise _CellError(_("Not a date of the form YYYY-MM-DD.")) from error
    if date > today:
        raise _CellError(_("The date is in the future."))
    return date


def _boolean(value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _CellError(_("Use yes or no (or true/false, 1/0)."))


class _RowChecker:
    """Collects the errors of one row, cell by cell, so that a row reports all its faults."""

    def __init__(self, row: _Row):
        self.row = row
        self.errors: list[RowError] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.row.line, name, message))

    def cell(self, name: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
        value = self.row.cells.get(name, "")
        if required and not value:
            self.error(name, _("This field is required."))
            return None
        try:
            return parse(value)
        except _CellError as error:
            self.error(name, str(error))
            return None


# Reasons from the services whose own message would quote the value.
_MESSAGE_BY_CODE = {
    "invalid_choice": lambda: _("Not an accepted value."),
    "unique": lambda: _("A record with this value already exists."),
    "invalid_partial_date": lambda: _("Not a date of the form YYYY, YYYY-MM or YYYY-MM-DD."),
    "future_date": lambda: _("The date is in the future."),
    "before_abduction": lambda: _("The report is dated before the abduction."),
}


def _validation_errors(
    line: int, error: ValidationError, rename: dict[str, str] | None = None
) -> list[RowError]:
    rename = rename or {}
    by_field = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: [error]}
    errors = []
    for name, items in by_field.items():
        column = "" if name == NON_FIELD_ERRORS else rename.get(name, name)
        for item in items:
            for inner in item.error_list if hasattr(item, "error_list") else [item]:
                message = _MESSAGE_BY_CODE.get(inner.code or "")
                text = message() if message else " ".join(inner.messages)
                errors.append(RowError(line, column, text))
    return errors


# --- checking rows ------------------------------------------------------------------------------


@dataclass
class _Planned:
    """A checked row, and how to write it through the services."""

    line: int
    write: Callable[[], Any]


def _check_cases(rows: list[_Row], user: Any) -> tuple[list[_Planned], list[RowError]]:
    today = dt.date.today()
    numbers = [row.cells.get("case_number", "") for row in rows]
    registered = _existing_case_numbers(numbers)
    codes = {row.cells.get(n, "") for row in rows for n in ("origin", "abduction_place")}
    places = {p.code: p for p in Place.objects.filter(code__in=codes - {""})}
    offices = {office.code: office for office in Office.objects.all()}
    mine = policy.office_ids_of(user)
    first_line: dict[str, int] = {}
    planned: list[_Planned] = []
    errors: list[RowError] = []

    def place(code: str) -> Place | None:
        if not code:
            return None
        if code not in places:
            raise _CellError(_("No place has this code (see the gazetteer)."))
        return places[code]

    def office(code: str) -> Office:
        if code not in offices:
            raise _CellError(_("No office has this code."))
        if offices[code].pk not in mine:
            raise _CellError(_("This is not one of your offices."))
        return offices[code]

    for row in rows:
        check = _RowChecker(row)
        if not row.cells:
            check.error("", _wrong_width(row))
            errors += check.errors
            continue
        number = check.cell("case_number", lambda v: _text(v, Case, "case_number"), required=True)
        if number and number in first_line:
            check.error(
                "case_number",
                _("Repeats the case number of line %(line)d.") % {"line": first_line[number]},
            )
        elif number and number in registered:
            check.error("case_number", _("A case with this number is already registered."))
        if number:
            first_line.setdefault(number, row.line)
        values: dict[str, Any] = {"case_number": number}
        for name in (c.name for c in CASE_COLUMNS if c.name.endswith(("_ar", "_latn"))):
            values[name] = check.cell(name, lambda v, n=name: _text(v, Case, n))
        values["sex"] = check.cell("sex", lambda v: _choice(v, Sex.values), required=True)
        values["birth_date"] = check.cell("birth_date", lambda v: _partial_date(v, today))
        values["age_at_abduction"] = check.cell("age_at_abduction", _age)
        values["community"] = check.cell(
            "community", lambda v: _choice(v, Community.values, Community.YAZIDI)
        )
        values["origin"] = check.cell("origin", place, required=True)
        values["abduction_place"] = check.cell("abduction_place", place)
        values["office"] = check.cell("office", office, required=True)
        values["abducted_on"] = check.cell(
            "abducted_on", lambda v: _partial_date(v, today), required=True
        )
        reported_on = check.cell("reported_on", lambda v: _partial_date(v, today), required=True)
        source = check.cell("source", _event_source, required=True)
        note = row.cells.get("note", "")
        if check.errors:
            errors += check.errors
            continue
        _check_case_dates(check, values, reported_on)
        if not check.errors:
            case = Case(**values)
            try:
                # The model's field rules beyond the cells checked above. Relations and
                # uniqueness were checked against the database in bulk, and the constraints
                # (Django runs one query per constraint per row: minutes for a large file) are
                # about the lifecycle's milestones, which a new case does not have, or the age,
                # checked above; case_register checks them all again when it writes.
                case.full_clean(
                    exclude=["origin", "office", "abduction_place", "abducted_by", "status"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                check.errors += _validation_errors(row.line, error)
        if check.errors:
            errors += check.errors
            continue
        planned.append(
            _Planned(
                row.line,
                lambda v=values, r=reported_on, s=source, n=note: case_register(
                    case=Case(**v), reported_on=r, actor=user, source=s, note=n
                ),
            )
        )
    return planned, errors


def _event_source(value: str) -> str:
    return _text(value, CaseEvent, "source")


def _age(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) > 120:
        raise _CellError(_("A whole number of years from 0 to 120."))
    return int(value)


def _check_case_dates(check: _RowChecker, values: dict[str, Any], reported_on: Any) -> None:
    """The lifecycle's rule for the first event, and the birth before the abduction, as
    case_register will apply them; checked here so a dry run finds them too."""
    abducted_on = values["abducted_on"]
    birth = values["birth_date"]
    if birth is not None and age_on(birth, abducted_on.midpoint()) < 0:
        check.error("birth_date", _("The birth date is after the abduction."))
    try:
        plan_transition(
            CaseState(status=None, abducted_on=abducted_on), EventType.REPORTED_MISSING, reported_on
        )
    except ValidationError as error:
        check.errors += _validation_errors(check.row.line, error, {"date": "reported_on"})


def _existing_case_numbers(numbers: list[str]) -> set[str]:
    found: set[str] = set()
    wanted = sorted({n for n in numbers if n})
    for start in range(0, len(wanted), 1000):  # bounded IN lists for every database
        chunk = wanted[start : start + 1000]
        found |= set(
            Case.objects.filter(case_number__in=chunk).values_list("case_number", flat=True)
        )
    return found


def _check_relatives(rows: list[_Row], user: Any) -> tuple[list[_Planned], list[RowError]]:
    today = dt.date.today()
    numbers = sorted({row.cells.get("case_number", "") for row in rows} - {""})
    # Only cases the user may see exist for the import: any other is "no such case", whether
    # it is in another office or nowhere, so the file cannot probe for records.
    visible: dict[str, Case] = {}
    # Relatives already recorded, by (case, relationship, names): re-importing adds nothing.
    recorded: set[tuple[Any, ...]] = set()
    for start in range(0, len(numbers), 1000):  # bounded IN lists for every database
        chunk = policy.cases_visible_to(user).filter(case_number__in=numbers[start : start + 1000])
        visible |= {case.case_number: case for case in chunk}
        recorded |= set(
            Kinship.objects.filter(case__in=chunk).values_list(
                "case_id", "relationship", "relative__full_name_ar", "relative__full_name_latn"
            )
        )
    first_line: dict[tuple, int] = {}
    planned: list[_Planned] = []
    errors: list[RowError] = []

    def case_of(number: str) -> Case:
        if number not in visible:
            raise _CellError(_("No such case."))
        return visible[number]

    for row in rows:
        check = _RowChecker(row)
        if not row.cells:
            check.error("", _wrong_width(row))
            errors += check.errors
            continue
        case = check.cell("case_number", case_of, required=True)
        values: dict[str, Any] = {}
        for name in ("full_name_ar", "full_name_latn", "address"):
            values[name] = check.cell(name, lambda v, n=name: _text(v, Relative, n))
        if values["full_name_ar"] == values["full_name_latn"] == "":
            check.error("full_name_latn", _("Give the name in Arabic or Latin script."))
        values["sex"] = check.cell("sex", lambda v: _choice(v, Sex.values), required=True)
        values["birth_date"] = check.cell("birth_date", lambda v: _partial_date(v, today))
        values["phone"] = check.cell("phone", _phone)
        relationship = check.cell(
            "relationship", lambda v: _choice(v, Kinship.Relationship.values), required=True
        )
        consent = check.cell(
            "consent",
            lambda v: _choice(v, Relative.Consent.values, Relative.Consent.NOT_ASKED),
        )
        values["consent"] = consent
        values["consent_recorded_on"] = check.cell("consent_recorded_on", lambda v: _date(v, today))
        for name in ("consent_dna_matching", "consent_share_with_partners"):
            values[name] = check.cell(name, _boolean)
            if values[name] and consent and consent != Relative.Consent.GIVEN:
                check.error(name, _("Only with consent given."))
        undated = (
            consent not in (None, Relative.Consent.NOT_ASKED) and not values["consent_recorded_on"]
        )
        if undated and "consent_recorded_on" not in {e.field for e in check.errors}:
            check.error("consent_recorded_on", _("Give the date consent was recorded."))
        if case is not None and relationship and not check.errors:
            key = (case.pk, relationship, values["full_name_ar"], values["full_name_latn"])
            name_column = "full_name_latn" if values["full_name_latn"] else "full_name_ar"
            if key in first_line:
                check.error(
                    name_column,
                    _("Repeats the relative of line %(line)d.") % {"line": first_line[key]},
                )
            elif key in recorded:
                check.error(
                    name_column,
                    _(
                        "This relative is already recorded for this case (same name and "
                        "relationship)."
                    ),
                )
            first_line.setdefault(key, row.line)
        if not check.errors:
            try:
                # Its two constraints (consent dated, flags need consent) are checked above;
                # relative_add checks everything again when it writes.
                Relative(**values).full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                check.errors += _validation_errors(row.line, error)
        if check.errors:
            errors += check.errors
            continue
        planned.append(
            _Planned(
                row.line,
                lambda c=case, v=values, r=relationship: relative_add(
                    case=c, relative=Relative(**v), relationship=r
                ),
            )
        )
    return planned, errors


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise _CellError(_("A phone number has only digits, spaces and + - ( ) ."))
    return _text(value, Relative, "phone")


def _wrong_width(row: _Row) -> str:
    return _("This row has %(count)d cells; the header has a different number.") % {
        "count": row.width
    }


# --- the import ---------------------------------------------------------------------------------


def csv_import(*, kind: str, data: bytes, user: Any, mode: str = ALL) -> ImportResult:
    """Check a CSV file of `kind` and, unless `mode` is "validate", write its rows.

    "all" writes only a file without errors, all or nothing; "valid_rows" writes the rows that
    pass and reports the others. Raises ImportTooLarge over the limits, PermissionDenied for a
    user who may not create such records (the caller audits the refusal).
    """
    if kind not in KINDS or mode not in MODES:
        raise ValueError(f"unknown import kind {kind!r} or mode {mode!r}")
    if not import_permitted(user, kind):
        raise PermissionDenied
    result = ImportResult(kind=kind, mode=mode, sha256=hashlib.sha256(data).hexdigest())
    rows, file_errors = _read(kind, data)
    result.rows = len(rows)
    if file_errors:
        result.errors, result.file_error = file_errors, True
        return result
    check = _check_cases if kind == CASES else _check_relatives
    planned, errors = check(rows, user)
    result.errors = errors
    if mode == VALIDATE or not planned or (mode == ALL and errors):
        result.errors.sort(key=lambda e: e.line or 0)
        return result
    _write(result, planned, user)
    result.errors.sort(key=lambda e: e.line or 0)
    return result


def _write(result: ImportResult, planned: list[_Planned], user: Any) -> None:
    # durable: an import is a use case of its own, never a part of someone else's transaction
    # (its all-or-nothing promise would mean nothing inside a larger one).
    with audit_actor(user), transaction.atomic(durable=True):
        created = 0
        for row in planned:
            try:
                # A savepoint per row: a row the database refuses at write time undoes only
                # itself, and the loop goes on to report every such row, not just the first.
                with transaction.atomic():
                    row.write()
                created += 1
            except ValidationError as error:
                result.errors += _validation_errors(row.line, error, {"date": "reported_on"})
            except DatabaseError:
                # The database's message quotes the values; say what happened, not what it was.
                result.errors.append(
                    RowError(
                        row.line,
                        "",
                        _(
                            "The database refused this row (a record was written meanwhile that "
                            "conflicts with it, such as the same case number)."
                        ),
                    )
                )
        if result.mode == ALL and result.errors:
            transaction.set_rollback(True)
            return
        result.created = created
        result.applied = created > 0
        if created:
            audit_log(
                action="create",
                subject_type=SUBJECT_TYPE[result.kind],
                changes={
                    "import": "csv",
                    "mode": result.mode,
                    "rows": result.rows,
                    "created": created,
                    "rejected_rows": len({e.line for e in result.errors}),
                    "sha256": result.sha256,
                },
                actor=user,
            )
