"""Reports about people: the lifecycle funnel, rescues over time, and the breakdowns by place of
origin, office and age group. Every count is one aggregate query over `counted_cases`, with the
conditions of reports/metrics.py, so a report and a published figure cannot drift apart."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from cases.models import ADULT_AGE, Office
from gazetteer.models import Place
from reports.metrics import case_conditions, counted_cases
from reports.tables import Column, Table

from ._common import (
    YEAR,
    as_date,
    period_label,
    period_of,
    periods_between,
    place_at_level,
    place_names,
)

FEMALE, MALE = Q(sex="female"), Q(sex="male")
ADULT, MINOR = Q(age_at_abduction__gte=ADULT_AGE), Q(age_at_abduction__lt=ADULT_AGE)
SPLITS: dict[str, Q] = {
    "total": Q(),
    "female": FEMALE,
    "male": MALE,
    "women": FEMALE & ADULT,
    "men": MALE & ADULT,
    "girls": FEMALE & MINOR,
    "boys": MALE & MINOR,
}
# (lower bound, label): age groups at abduction; the last group is open-ended.
AGE_GROUPS: list[tuple[int, str]] = [
    (0, "0-4"),
    (5, "5-9"),
    (10, "10-14"),
    (15, "15-17"),
    (18, "18-29"),
    (30, "30-44"),
    (45, "45-59"),
    (60, "60+"),
]
UNKNOWN = "unknown"


def _split_columns() -> list[Column]:
    labels = {
        "total": _("All"),
        "female": _("Female"),
        "male": _("Male"),
        "women": _("Women"),
        "men": _("Men"),
        "girls": _("Girls"),
        "boys": _("Boys"),
    }
    return [Column(key, labels[key], "count") for key in SPLITS]


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition or None)


def _age_notes() -> list[str]:
    return [
        _(
            "Women and men were 18 or older when abducted, girls and boys under 18. Cases whose "
            "sex or age is not recorded count in 'All' only."
        ),
        _("Cases closed as duplicates never count: the surviving record counts the person."),
    ]


# -- counted cases by kind ----------------------------------------------------------------------
# The funnel counts kidnapped, rescued, remains returned and still missing, each in all and by
# female, male, women, men, girls and boys. One filtered COUNT per figure made the database test
# some thirty conditions on each case (1.2 s of CPU at 1,000,000 cases); instead each case gets
# one small number saying which of them it is, the cases are grouped by it (a few dozen groups,
# hashed), and the figures are summed here (0.5 s of CPU). The conditions are those of
# `case_conditions`, as the published figures' are.


def _kind_of_case(as_of: dt.date) -> ExpressionWrapper:
    """(rescued by the day: 2, remains returned: 1) * 9 + (minor 0, adult 1, age unknown 2) * 3
    + (female 0, male 1, other 2)."""
    conditions = case_conditions(as_of)
    rescued = SqlCase(When(conditions["rescued_total"], then=Value(2)), default=Value(0))
    returned = SqlCase(When(conditions["remains_returned"], then=Value(1)), default=Value(0))
    age = SqlCase(When(MINOR, then=Value(0)), When(ADULT, then=Value(1)), default=Value(2))
    sex = SqlCase(When(FEMALE, then=Value(0)), When(MALE, then=Value(1)), default=Value(2))
    return ExpressionWrapper(
        ((rescued + returned) * Value(3) + age) * Value(3) + sex, output_field=IntegerField()
    )


@functools.cache
def _counted_in(kind: int) -> tuple[str, ...]:
    """The "stage__split" figures a case of this kind counts in."""
    rest, sex = divmod(kind, 3)
    milestones, age = divmod(rest, 3)
    rescued, returned = milestones >= 2, milestones % 2 == 1
    female, male, adult, minor = sex == 0, sex == 1, age == 1, age == 0
    stages = {
        "rescued": rescued,
        "remains_returned": returned,
        "still_missing": not rescued and not returned,
        "kidnapped": True,
    }
    splits = {
        "total": True,
        "female": female,
        "male": male,
        "women": female and adult,
        "men": male and adult,
        "girls": female and minor,
        "boys": male and minor,
    }
    return tuple(
        f"{stage}__{split}"
        for stage, in_stage in stages.items()
        if in_stage
        for split, in_split in splits.items()
        if in_split
    )


def _counts(as_of: dt.date) -> Counter:
    """Counter({"stage__split": cases}) of `counted_cases(as_of)`; 0 for a figure without."""
    counts: Counter = Counter()
    for row in (
        counted_cases(as_of)
        .annotate(kind=_kind_of_case(as_of))
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        for figure in _counted_in(row["kind"]):
            counts[figure] += row["n"]
    return counts


# -- the lifecycle funnel ----------------------------------------------------------------------


def lifecycle_funnel(user: Any, as_of: dt.date) -> Table:
    stages = [
        ("rescued", _("Rescued")),
        ("remains_returned", _("Remains identified and returned")),
        ("still_missing", _("Still missing")),
    ]
    counts = _counts(as_of)
    rows = [
        (stage, label, *(counts[f"{stage}__{split}"] for split in SPLITS))
        for stage, label in [*stages, ("kidnapped", _("Kidnapped (total)"))]
    ]
    return Table(
        key="lifecycle_funnel",
        title=_("Lifecycle: kidnapped, rescued, still missing, remains returned"),
        columns=[Column("stage", _("Stage code")), Column("label", _("Stage")), *_split_columns()],
        rows=rows,
        as_of=as_of,
        notes=[
            _(
                "Kidnapped = rescued + remains identified and returned + still missing. Still "
                "missing includes people reported dead and remains identified but not yet "
                "returned (the rescue office's definition)."
            ),
            *_age_notes(),
        ],
        has_total_row=True,
    )


# -- rescues over time -------------------------------------------------------------------------


def rescues_over_time(user: Any, as_of: dt.date, grouping: str) -> Table:
    rescued = counted_cases(as_of).filter(rescued_on__lte=as_of)
    by_period = {
        as_date(row.pop("period")): row
        for row in rescued.annotate(period=period_of("rescued_on", grouping))
        .values("period")
        .annotate(**{split: _count(q) for split, q in SPLITS.items()})
        .order_by("period")
    }
    rows: list[tuple] = []
    if by_period:
        periods = periods_between(min(by_period), max(by_period), grouping)
        empty = dict.fromkeys(SPLITS, 0)
        for period in periods:
            counts = by_period.get(period, empty)
            rows.append((period_label(period, grouping), *(counts[s] for s in SPLITS)))
    rows.append((_("Total"), *(sum(row[i + 1] for row in rows) for i in range(len(SPLITS)))))
    return Table(
        key="rescues_over_time",
        title=_("Rescues per year") if grouping == YEAR else _("Rescues per month"),
        columns=[Column("period", _("Period")), *_split_columns()],
        rows=rows,
        as_of=as_of,
        notes=[
            _(
                "A rescue known only to the month or year counts in the last month of that "
                "period (when it had certainly happened)."
            ),
            *_age_notes(),
        ],
        has_total_row=True,
    )


# -- breakdowns --------------------------------------------------------------------------------


def _measures(as_of: dt.date) -> dict[str, Count]:
    conditions = case_conditions(as_of)
    return {
        "kidnapped": Count("pk"),
        "rescued": _count(conditions["rescued_total"]),
        "remains_returned": _count(conditions["remains_returned"]),
        "still_missing": _count(conditions["still_missing"]),
        "still_missing_female": _count(conditions["still_missing_female"]),
        "still_missing_male": _count(conditions["still_missing_male"]),
    }


def _measure_columns() -> list[Column]:
    return [
        Column("kidnapped", _("Kidnapped"), "count"),
        Column("rescued", _("Rescued"), "count"),
        Column("remains_returned", _("Remains returned"), "count"),
        Column("still_missing", _("Still missing"), "count"),
        Column("still_missing_female", _("Still missing, female"), "count"),
        Column("still_missing_male", _("Still missing, male"), "count"),
    ]


def _grouped(as_of: dt.date, group) -> dict[Any, tuple[int, ...]]:
    """{group: its measures}, for each group with counted cases, in the order of the groups
    (so that rows sorted by name keep it among equal names). Filtered COUNTs here, not the
    funnel's kinds: grouped by a kind and a group, PostgreSQL would sort the cases."""
    measures = _measures(as_of)
    return {
        row["group"]: tuple(row[measure] for measure in measures)
        for row in counted_cases(as_of)
        .annotate(group=group)
        .values("group")
        .annotate(**measures)
        .order_by("group")
    }


def _with_total(rows: list[tuple], skip: int) -> list[tuple]:
    width = len(rows[0]) if rows else skip + len(_measure_columns())
    total = (_("Total"), *([""] * (skip - 1)))
    sums = tuple(sum(row[i] for row in rows) for i in range(skip, width))
    return [*rows, total + sums]


def breakdown_by_place(user: Any, as_of: dt.date, level: str) -> Table:
    # Grouped by the place of origin as recorded (no join: one pass over the cases), then each
    # place folded into the one at `level` that contains it, from the gazetteer.
    by_origin = _grouped(as_of, F("origin"))
    at_level = dict(
        Place.objects.filter(pk__in=list(by_origin))
        .annotate(at_level=place_at_level("", level))
        .values_list("pk", "at_level")
    )
    grouped: dict[Any, list[int]] = {}
    for origin, measures in by_origin.items():
        sums = grouped.setdefault(at_level[origin], [0] * len(measures))
        for i, count in enumerate(measures):
            sums[i] += count
    names = place_names(grouped)
    unknown = _("Not recorded at this level")
    rows = sorted(
        (
            (names.get(group, unknown), *grouped[group])
            # In the order of the places first, so that equal names keep it.
            for group in sorted(grouped, key=lambda group: (group is None, group))
        ),
        key=lambda row: (row[0] == unknown, str(row[0])),
    )
    titles = {
        "district": _("Cases by district of origin"),
        "subdistrict": _("Cases by sub-district of origin"),
        "village": _("Cases by village of origin"),
    }
    return Table(
        key="breakdown_by_place",
        title=titles[level],
        columns=[Column("place", _("Place of origin")), *_measure_columns()],
        rows=_with_total(rows, 1),
        as_of=as_of,
        notes=[
            _("Place of origin as recorded on the case, placed in the gazetteer's hierarchy."),
            *_age_notes()[1:],
        ],
        has_total_row=True,
    )


def breakdown_by_office(user: Any, as_of: dt.date) -> Table:
    grouped = _grouped(as_of, F("office"))
    names = dict(Office.objects.values_list("pk", "name"))
    rows = sorted(
        ((names.get(group, ""), *measures) for group, measures in grouped.items()),
        key=lambda row: str(row[0]),
    )
    return Table(
        key="breakdown_by_office",
        title=_("Cases by registering office"),
        columns=[Column("office", _("Office")), *_measure_columns()],
        rows=_with_total(rows, 1),
        as_of=as_of,
        notes=_age_notes()[1:],
        has_total_row=True,
    )


def age_group_expression() -> SqlCase:
    whens = [
        When(age_at_abduction__gte=lower, then=Value(label))
        for lower, label in reversed(AGE_GROUPS)
    ]
    return SqlCase(*whens, default=Value(UNKNOWN), output_field=CharField())


def breakdown_by_age_group(user: Any, as_of: dt.date) -> Table:
    grouped = _grouped(as_of, age_group_expression())
    rows = []
    for _lower, label in [*AGE_GROUPS, (None, UNKNOWN)]:
        if label in grouped:
            shown = _("Age not recorded") if label == UNKNOWN else label
            rows.append((shown, *grouped[label]))
    return Table(
        key="breakdown_by_age_group",
        title=_("Cases by age group when abducted"),
        columns=[Column("age_group", _("Age when abducted")), *_measure_columns()],
        rows=_with_total(rows, 1),
        as_of=as_of,
        notes=_age_notes(),
        has_total_row=True,
    )
