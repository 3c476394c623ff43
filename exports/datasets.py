"""What can be exported: a registry of datasets, each a `reports.tables.Table` built for one user.

- `cases`: the filtered case list (the API's case filters), with exactly the fields the requester
  may see of those cases, streamed from `access.policy.cases_visible_to`. Case-level, so never
  for de-identified requesters (analysts).
- `cases_crosstab`: counts of cases by one or two dimensions as of a day, computed in the
  database; for de-identified requesters over all cases and suppressed cell by cell
  (exports.suppression.suppress_crosstab), for others over the cases they may see.
- `report:<key>`: any report of `reports.registry`, suppressed row by row for de-identified
  requesters (exports.suppression.suppress_rows).

Who may export which dataset is the access policy's (`allowed(user, "export", ...)`); a dataset
the user may not export does not exist for them (the request is answered "not found").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access import policy
from cases.lifecycle import Status
from cases.models import Case, Community, Office, Sex
from config.routers import replica_alias
from reports.tables import Column, Table

from . import suppression

CHUNK_SIZE = 2000


@dataclass
class Prepared:
    """A dataset ready to write: its table (rows may be a lazy iterator), how many rows it
    will have (for the progress bar), and the case fields it shows (for the audit trail)."""

    table: Table
    total_rows: int
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    description: str
    # May this user export it at all (the policy)? Outside it, the dataset does not exist.
    available_to: Callable[[Any], bool]
    # Validate and normalise the parameters (raises ValidationError); the result is stored on
    # the job as JSON and given back to `prepare`.
    clean: Callable[[Any, dict[str, Any]], dict[str, Any]]
    prepare: Callable[[Any, dict[str, Any]], Prepared]
    # Rows are records about people: never for de-identified requesters.
    case_level: bool = False


DATASETS: dict[str, Dataset] = {}


def dataset_register(dataset: Dataset) -> Dataset:
    DATASETS[dataset.key] = dataset
    return dataset


def datasets_for(user: Any) -> list[Dataset]:
    """Every dataset the user may export, the registered ones first, then the reports."""
    found = [*DATASETS.values(), *_report_datasets()]
    return [
        dataset
        for dataset in found
        if dataset.available_to(user)
        and not (dataset.case_level and policy.exports_deidentified(user))
    ]


def dataset_label(key: str) -> str:
    """What to call a dataset on a page: its label, or the report's title; the key otherwise."""
    for dataset in (*DATASETS.values(), *_report_datasets()):
        if dataset.key == key:
            return str(dataset.label)
    return key


def dataset_get_for(user: Any, key: str) -> Dataset | None:
    """The dataset, or None when it does not exist for this user."""
    for dataset in datasets_for(user):
        if dataset.key == key:
            return dataset
    return None


# --- shared parameters -------------------------------------------------------------------------


def _as_of(params: dict[str, Any]) -> dt.date:
    raw = params.get("as_of") or None
    if raw is None:
        return timezone.localdate()
    if isinstance(raw, dt.date):
        return raw
    try:
        day = dt.date.fromisoformat(str(raw))
    except ValueError as error:
        raise ValidationError({"as_of": _("A date as YYYY-MM-DD.")}) from error
    if day > timezone.localdate():
        raise ValidationError({"as_of": _("Figures can only be as of today or earlier.")})
    return day


def _refuse_unknown(params: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValidationError({name: _("Not a parameter of this dataset.") for name in unknown})


# --- cases: the filtered list ------------------------------------------------------------------

# How a relation is written in a file: by its code or number, which people can read.
_RELATION_PATHS = {
    "office": "office__code",
    "origin": "origin__code",
    "abduction_place": "abduction_place__code",
    "duplicate_of": "duplicate_of__case_number",
}


def _case_resource():
    from sync.resources import resource_get

    resource = resource_get("cases")
    assert resource is not None and resource.filterset is not None
    return resource


def _cases_clean(user: Any, params: dict[str, Any]) -> dict[str, Any]:
    resource = _case_resource()
    _refuse_unknown(params, set(resource.filterset.base_filters))
    # A filter on a field the user may not see would reveal it (as in the API).
    seen = resource.filterable_fields(user) if resource.filterable_fields else frozenset()
    hidden = [name for name in params if resource.filter_reveals.get(name, name) not in seen]
    if hidden:
        raise ValidationError(
            {name: _("You may not filter on a field you cannot see.") for name in hidden}
        )
    cleaned = {
        name: [str(item) for item in value] if isinstance(value, list | tuple) else str(value)
        for name, value in params.items()
        if value not in (None, "", [])
    }
    filterset = resource.filterset(data=_as_querydict(cleaned), queryset=Case.objects.none())
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    return cleaned


def _as_querydict(params: dict[str, Any]):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def case_export_fields(user: Any) -> list[str]:
    """The columns of a case export, in the model's order: the fields the user may see of some
    case (`case_fields_any`), with the year of birth for those who may not see the date."""
    visible = policy.case_fields_any(user)
    names = [f.name for f in Case._meta.concrete_fields if f.name in visible]
    if "birth_year" in visible and "birth_date" not in visible:
        names.insert(
            names.index("age_at_abduction") if "age_at_abduction" in names else 0, "birth_year"
        )
    return names


def _case_label(name: str) -> str:
    if name == "birth_year":
        return _("year of birth")
    return str(Case._meta.get_field(name).verbose_name)


def _cases_prepare(user: Any, params: dict[str, Any]) -> Prepared:
    resource = _case_resource()
    # Read from the replica when one is configured (config.routers): bound here, since the rows
    # are read lazily, long after this function returns.
    queryset = (
        resource.filterset(data=_as_querydict(params), queryset=policy.cases_visible_to(user))
        .qs.order_by("case_number")
        .using(replica_alias())
    )
    names = case_export_fields(user)
    stored = [name for name in names if name != "birth_year"]
    if "birth_year" in names:
        stored.append("birth_date")
    paths = [_RELATION_PATHS.get(name, name) for name in stored]
    columns = [Column(name, _case_label(name), "value") for name in names]
    total = queryset.count()
    rows = _case_rows(user, queryset, names, stored, paths)
    table = Table(
        key="cases",
        title=_("Cases"),
        columns=columns,
        rows=rows,
        notes=[_("Only the cases and fields your role may see are included.")],
    )
    return Prepared(table=table, total_rows=total, fields=names)


def _case_rows(
    user: Any, queryset, names: list[str], stored: list[str], paths: list[str]
) -> Iterator[tuple[Any, ...]]:
    """Rows in column order, read in chunks (bounded memory). Each row is checked against the
    fields the user may see of *that* case (roles add up, so they can differ between cases)."""
    where = {name: index for index, name in enumerate(stored)}
    fields_at = policy.case_fields_by_office_and_status(user)
    for values in queryset.values_list(*paths, "office_id", "status").iterator(
        chunk_size=CHUNK_SIZE
    ):
        *record, office_id, status = values
        visible = fields_at(office_id, status)
        row = []
        for name in names:
            if name not in visible:
                row.append(None)
            elif name == "birth_year":
                birth = record[where["birth_date"]]
                row.append(int(str(birth)[:4]) if birth else None)
            else:
                value = record[where[name]]
                row.append(str(value) if value is not None and name in _PARTIAL else value)
        yield tuple(row)


_PARTIAL = {"birth_date", "abducted_on"}


# --- cases_crosstab: aggregate counts ------------------------------------------------------------

AGE_GROUPS = [
    (0, "0-4"),
    (5, "5-9"),
    (10, "10-14"),
    (15, "15-17"),
    (18, "18-29"),
    (30, "30-44"),
    (45, "45-59"),
    (60, "60+"),
]  # as the reports' age groups
UNKNOWN = "unknown"

FATES = [
    ("still_missing", gettext_lazy("Still missing (incl. captive)")),
    ("reported_dead", gettext_lazy("Reported dead, remains not identified")),
    ("rescued", gettext_lazy("Rescued")),
    ("remains_identified", gettext_lazy("Remains identified, not yet returned")),
    ("remains_returned", gettext_lazy("Remains returned")),
]


def _fate(as_of: dt.date) -> SqlCase:
    return SqlCase(
        When(remains_returned_on__lte=as_of, then=Value("remains_returned")),
        When(remains_identified_on__lte=as_of, then=Value("remains_identified")),
        When(rescued_on__lte=as_of, then=Value("rescued")),
        When(reported_dead_on__lte=as_of, then=Value("reported_dead")),
        default=Value("still_missing"),
        output_field=CharField(),
    )


def _age_group(_as_of: dt.date) -> SqlCase:
    whens = [
        When(age_at_abduction__gte=lower, then=Value(label))
        for lower, label in reversed(AGE_GROUPS)
    ]
    return SqlCase(*whens, default=Value(UNKNOWN), output_field=CharField())


def _district(_as_of: dt.date) -> SqlCase:
    return SqlCase(
        When(origin__kind="district", then=F("origin__name_latn")),
        When(origin__parent__kind="district", then=F("origin__parent__name_latn")),
        When(origin__parent__parent__kind="district", then=F("origin__parent__parent__name_latn")),
        default=Value(UNKNOWN),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class Dimension:
    key: str
    label: Any
    expression: Callable[[dt.date], Any]
    # The categories in order with their labels; None: the values found, sorted.
    categories: Callable[[], list[tuple[str, str]]] | None = None


def _choices(choices) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in choices]


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in [
        Dimension("fate", gettext_lazy("Fate as of the day"), _fate, _choices(FATES)),
        Dimension("sex", gettext_lazy("Sex"), lambda _d: F("sex"), _choices(Sex.choices)),
        Dimension(
            "age_group",
            gettext_lazy("Age when abducted"),
            _age_group,
            lambda: (
                [(label, label) for _lower, label in AGE_GROUPS]
                + [(UNKNOWN, _("Age not recorded"))]
            ),
        ),
        Dimension(
            "community",
            gettext_lazy("Community"),
            lambda _d: F("community"),
            _choices(Community.choices),
        ),
        Dimension("district", gettext_lazy("District of origin"), _district),
        Dimension(
            "office",
            gettext_lazy("Registering office"),
            lambda _d: F("office__name"),
            lambda: [(name, name) for name in Office.objects.values_list("name", flat=True)],
        ),
    ]
}


def _crosstab_available(user: Any) -> bool:
    return policy.allowed(user, policy.EXPORT, "report") or policy.allowed(
        user, policy.EXPORT, "case"
    )


def _crosstab_clean(user: Any, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_unknown(params, {"rows", "columns", "as_of"})
    rows = params.get("rows") or "fate"
    columns = params.get("columns") or ""
    errors = {}
    if rows not in DIMENSIONS:
        errors["rows"] = _("Choose one of: %(names)s.") % {"names": ", ".join(DIMENSIONS)}
    if columns and columns not in DIMENSIONS:
        errors["columns"] = _("Choose one of: %(names)s.") % {"names": ", ".join(DIMENSIONS)}
    elif columns and columns == rows:
        errors["columns"] = _("Choose two different dimensions.")
    if errors:
        raise ValidationError(errors)
    return {"rows": rows, "columns": columns, "as_of": _as_of(params).isoformat()}


def _crosstab_national(user: Any) -> bool:
    """Aggregates for analysts cover every case (the published figures are national); other
    roles count the cases they may see."""
    return policy.allowed(user, policy.EXPORT, "report")


def _crosstab_prepare(user: Any, params: dict[str, Any]) -> Prepared:
    as_of = dt.date.fromisoformat(params["as_of"])
    row_dim = DIMENSIONS[params["rows"]]
    col_dim = DIMENSIONS[params["columns"]] if params["columns"] else None
    # As reports/metrics.py counts: abducted by the day, duplicates never count.
    counted = (
        Case.objects.using(replica_alias())  # the replica when configured (config.routers)
        .exclude(status=Status.CLOSED_DUPLICATE)
        .filter(abducted_by__lte=as_of)
    )
    if not _crosstab_national(user):
        counted = counted.filter(pk__in=policy.cases_visible_to(user).values("pk"))
    grouped = (
        counted.annotate(
            row_value=row_dim.expression(as_of),
            col_value=col_dim.expression(as_of) if col_dim else Value("", CharField()),
        )
        .values("row_value", "col_value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(g["row_value"], g["col_value"]): g["n"] for g in grouped}
    row_categories = _categories(row_dim, {r for r, _c in counts})
    col_categories = _categories(col_dim, {c for _r, c in counts}) if col_dim else [("", "")]
    count_columns = (
        [Column(f"c{i}", label, "count") for i, (_v, label) in enumerate(col_categories)]
        if col_dim
        else [Column("count", _("Cases"), "count")]
    )
    body = []
    for value, label in row_categories:
        cells = [counts.get((value, c), 0) for c, _label in col_categories]
        body.append((label, *cells, sum(cells)) if col_dim else (label, *cells))
    width = len(body[0]) - 1 if body else len(count_columns) + (1 if col_dim else 0)
    total_row = (_("Total"), *(sum(row[k + 1] for row in body) for k in range(width)))
    columns = [Column(row_dim.key, str(row_dim.label)), *count_columns]
    if col_dim:
        columns.append(Column("total", _("Total"), "count"))
    title = (
        _("Cases by %(rows)s and %(columns)s")
        % {"rows": str(row_dim.label).lower(), "columns": str(col_dim.label).lower()}
        if col_dim
        else _("Cases by %(rows)s") % {"rows": str(row_dim.label).lower()}
    )
    notes = [
        _("Cases abducted on or before %(day)s; records closed as duplicates are not counted.")
        % {"day": as_of.isoformat()},
    ]
    if not _crosstab_national(user):
        notes.append(_("Only the cases your role may see are counted."))
    table = Table(
        key="cases_crosstab",
        title=title,
        columns=columns,
        rows=[*body, total_row],
        as_of=as_of,
        notes=notes,
        has_total_row=True,
    )
    return Prepared(table=table, total_rows=len(body) + 1)


def _categories(dimension: Dimension | None, found: set[Any]) -> list[tuple[Any, str]]:
    assert dimension is not None
    if dimension.categories is None:
        known: list[tuple[Any, str]] = []
    else:
        known = dimension.categories()
    listed = {value for value, _label in known}
    extra = sorted((value for value in found if value not in listed), key=lambda v: str(v))
    return known + [
        (value, _("Not recorded") if value == UNKNOWN else str(value)) for value in extra
    ]


# --- reports ----------------------------------------------------------------------------------


def _report_registry() -> dict[str, Any]:
    """The reports of `reports.registry`, by key, imported lazily (the reports app imports
    much of the project). Each has `parse(params)` and `compute(user, as_of, **params)`."""
    try:
        from reports.registry import REPORTS
    except ImportError:  # pragma: no cover - the reports app always has it
        return {}
    return REPORTS


def _report_available(report: Any, user: Any) -> bool:
    """Reports the user may see (the reports registry's rule) and export (the policy's)."""
    if not policy.allowed(user, policy.EXPORT, "report"):
        return False
    try:
        from reports.registry import reports_available_to
    except ImportError:  # pragma: no cover
        return True
    return any(found.key == report.key for found in reports_available_to(user))


def _report_dataset(key: str, report: Any) -> Dataset:
    def clean(user: Any, params: dict[str, Any]) -> dict[str, Any]:
        as_of, cleaned = report.parse(
            {name: "" if value is None else str(value) for name, value in params.items()},
            strict=True,
        )
        return {"as_of": as_of.isoformat(), **cleaned}

    def prepare(user: Any, params: dict[str, Any]) -> Prepared:
        as_of, cleaned = report.parse(params)
        table = report.compute(user, as_of, **cleaned)
        rows = list(table.iter_rows())  # a report's table is small: it aggregates
        table.rows = rows
        return Prepared(table=table, total_rows=len(rows))

    return Dataset(
        key=f"report:{key}",
        label=str(getattr(report, "title", key)),
        description=str(getattr(report, "description", "")),
        available_to=lambda user: _report_available(report, user),
        clean=clean,
        prepare=prepare,
        case_level=bool(getattr(report, "lists_cases", False)),
    )


def _report_datasets() -> list[Dataset]:
    return [_report_dataset(key, report) for key, report in _report_registry().items()]


# --- de-identification ---------------------------------------------------------------------------


def deidentify(dataset: Dataset, user: Any, table: Table) -> Table:
    """The table as a de-identified requester may have it: suppressed. Never a case list."""
    if dataset.case_level:
        raise PermissionError("case-level data is never exported de-identified")
    if dataset.key == "cases_crosstab":
        total = "total" if any(c.key == "total" for c in table.columns) else None
        return suppression.suppress_crosstab(table, total_column=total)
    return suppression.suppress_rows(table)


def needs_suppression(dataset: Dataset, user: Any) -> bool:
    if dataset.key == "cases_crosstab":
        return policy.exports_deidentified(user) or _crosstab_national(user)
    # Reports are national aggregates, for whoever exports them.
    return dataset.key.startswith("report:")


dataset_register(
    Dataset(
        key="cases",
        label=gettext_lazy("Cases (filtered list)"),
        description=gettext_lazy(
            "The cases you may see, filtered as in the case list, with the fields you may see."
        ),
        available_to=lambda user: policy.allowed(user, policy.EXPORT, "case"),
        clean=_cases_clean,
        prepare=_cases_prepare,
        case_level=True,
    )
)
dataset_register(
    Dataset(
        key="cases_crosstab",
        label=gettext_lazy("Case counts by two dimensions"),
        description=gettext_lazy(
            "Counts of cases as of a day by fate, sex, age group, community, district or office. "
            "Counts from 1 to 9 are suppressed in de-identified exports."
        ),
        available_to=_crosstab_available,
        clean=_crosstab_clean,
        prepare=_crosstab_prepare,
    )
)
