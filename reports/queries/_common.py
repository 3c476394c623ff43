"""Building blocks shared by the report queries: periods, places at a level of the gazetteer,
and the conventions of reports/metrics.py (as of a day, duplicates never count)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Case as SqlCase
from django.db.models import Count, F, Q, UUIDField, Value, When
from django.db.models.functions import TruncMonth, TruncYear
from django.utils.translation import get_language

from gazetteer.models import Place

MONTH, YEAR = "month", "year"
DISTRICT, SUBDISTRICT, VILLAGE = "district", "subdistrict", "village"


def period_of(field: str, grouping: str):
    """The first day of the month or year of a date column, computed by the database."""
    return TruncYear(field) if grouping == YEAR else TruncMonth(field)


def period_label(day: dt.date, grouping: str) -> str:
    return f"{day:%Y}" if grouping == YEAR else f"{day:%Y-%m}"


def periods_between(first: dt.date, last: dt.date, grouping: str) -> list[dt.date]:
    """Every period from the first to the last, so a series shows its empty months too."""
    periods = []
    day = first
    while day <= last:
        periods.append(day)
        if grouping == YEAR:
            day = day.replace(year=day.year + 1)
        else:
            day = day.replace(year=day.year + (day.month == 12), month=day.month % 12 + 1)
    return periods


def as_date(value) -> dt.date:
    """Trunc* gives a datetime on some backends and a date on others."""
    return value.date() if isinstance(value, dt.datetime) else value


def counts_by_period(queryset, field: str, grouping: str, measure=None) -> dict[dt.date, int]:
    """{first day of the period: count} of `queryset` by the month or year of `field`, grouped
    by the database; `measure` defaults to counting the rows."""
    return {
        as_date(row["period"]): row["n"]
        for row in queryset.annotate(period=period_of(field, grouping))
        .values("period")
        .annotate(n=measure if measure is not None else Count("pk"))
        .order_by("period")
    }


def series_rows(series: Sequence[dict[dt.date, int]], grouping: str) -> list[tuple]:
    """One row per period from the first to the last of any series (empty periods included):
    the period's label, then each series' count (0 where it has none)."""
    seen = set().union(*series)
    periods = periods_between(min(seen), max(seen), grouping) if seen else []
    return [(period_label(p, grouping), *(counts.get(p, 0) for counts in series)) for p in periods]


def place_at_level(path: str, level: str) -> SqlCase:
    """The id of the place of `level` (district, sub-district, village) containing the place at
    `path` ("origin", "place"; "" for a query of places themselves), whatever level that place
    was recorded at; NULL when it was recorded above that level. Resolved by joins in the
    database, not by walking in Python."""
    whens = []
    # How many parents to climb from each kind of place recorded to the wanted level.
    climbs = {
        VILLAGE: {VILLAGE: 0, SUBDISTRICT: 1, DISTRICT: 2},
        SUBDISTRICT: {SUBDISTRICT: 0, DISTRICT: 1},
        DISTRICT: {DISTRICT: 0},
    }
    prefix = [path] if path else []
    for kind, to_level in climbs.items():
        if level in to_level:
            target = "__".join(prefix + ["parent"] * to_level[level]) or "pk"
            whens.append(When(Q(**{"__".join([*prefix, "kind"]): kind}), then=F(target)))
    return SqlCase(*whens, default=Value(None), output_field=UUIDField())


def place_names(ids: Iterable) -> dict:
    """Names of the places, in the reader's script where the gazetteer has it (one query)."""
    ids = {i for i in ids if i is not None}
    arabic_script = (get_language() or "en").split("-")[0] in {"ar", "ckb"}
    names = {}
    for pk, latin, arabic in Place.objects.filter(pk__in=ids).values_list(
        "pk", "name_latn", "name_ar"
    ):
        names[pk] = arabic if arabic_script and arabic else latin
    return names
