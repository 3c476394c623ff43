"""Reads for reports: the figures reconciliation, and the drill-down to the cases a figure
counts (limited to the cases the user may see)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from access import policy
from cases.models import Case
from config.routers import reading_from_replica

from .metrics import (
    KRG_AID_PROGRAMME,
    METRICS,
    PEOPLE_METRIC_KEYS,
    SURVIVORS_LAW_PROGRAMME,
    FigureComputer,
    case_conditions,
    counted_cases,
)
from .models import PublishedFigure

MATCH, MISMATCH, CONFLICT = "match", "mismatch", "conflict"
# Not part of the match/mismatch judgement: a split the source did not publish (we show our
# value), or a context figure about a population the tracker does not record.
NOT_PUBLISHED, NOT_TRACKED = "not_published", "not_tracked"
EXPLAINED = {MATCH, CONFLICT, NOT_PUBLISHED, NOT_TRACKED}


@dataclass(frozen=True)
class FigureResult:
    ref: str
    key: str
    label: str
    as_of: dt.date
    window_start: dt.date | None
    published: int | None
    relation: str
    computed: int | None
    status: str
    publisher: str
    source_title: str
    source_url: str
    definition: str
    note: str

    def as_json(self) -> dict:
        """The figure as the `figures --json` command (and later the API) prints it."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["window_start"] = self.window_start.isoformat() if self.window_start else None
        data["source"] = data.pop("source_title")
        for lazy in ("label", "note", "definition"):  # translatable strings become text
            data[lazy] = str(data[lazy])
        return data


def figure_satisfies(
    relation: str, computed: int, published: int, tolerance_percent: Decimal = Decimal(1)
) -> bool:
    R = PublishedFigure.Relation
    if relation == R.EXACTLY:
        return computed == published
    if relation == R.MORE_THAN:
        return computed > published
    if relation == R.FEWER_THAN:
        return computed < published
    if relation == R.AT_LEAST:
        return computed >= published
    if relation == R.AT_MOST:
        return computed <= published
    if relation == R.ABOUT:
        return abs(computed - published) <= published * tolerance_percent / 100
    raise ValueError(f"unknown relation {relation}")


def figure_status(figure: PublishedFigure, computed: int | None) -> str:
    if computed is None:
        return NOT_TRACKED
    if figure.value is None:
        return NOT_PUBLISHED
    if figure_satisfies(figure.relation, computed, figure.value, figure.tolerance_percent):
        return MATCH
    return CONFLICT if figure.conflict_reason else MISMATCH


def figures_reconcile(*, as_of: dt.date | None = None) -> list[FigureResult]:
    """Every ledger figure (or those of one day) against the value computed from our records at
    the figure's own date."""
    figures = PublishedFigure.objects.all().order_by("as_of", "key", "ref")
    if as_of is not None:
        figures = figures.filter(as_of=as_of)
    figures = list(figures)
    computer = FigureComputer()
    computed_by_figure = {}
    # Aggregates over every record, like the reports: read on the replica when there is one.
    with reading_from_replica():
        # The people figures of every date in one grouped query, not one scan per date.
        computer.prefetch_people(f.as_of for f in figures if f.key in PEOPLE_METRIC_KEYS)
        for figure in figures:
            if METRICS.get(figure.key):
                computed_by_figure[figure.pk] = computer.value(
                    figure.key, figure.as_of, figure.window_start
                )
    results = []
    for figure in figures:
        metric = METRICS.get(figure.key)
        computed = computed_by_figure.get(figure.pk)
        status = figure_status(figure, computed) if metric else MISMATCH
        if status == CONFLICT:
            note = figure.conflict_reason
        elif status == NOT_TRACKED:
            note = _("Context figure: the tracker keeps no records of this population.")
        elif status == NOT_PUBLISHED:
            note = _("Not published for this date; the value is ours.")
        elif metric is None:
            note = _("Unknown figure key %(key)s.") % {"key": figure.key}
        else:
            note = figure.note
        results.append(
            FigureResult(
                ref=figure.ref,
                key=figure.key,
                label=figure.label,
                as_of=figure.as_of,
                window_start=figure.window_start,
                published=figure.value,
                relation=figure.relation,
                computed=computed,
                status=status,
                publisher=figure.publisher,
                source_title=figure.source_title,
                source_url=figure.source_url,
                definition=figure.definition or (str(metric.definition) if metric else ""),
                note=note,
            )
        )
    return results


# -- drill-down: the records a figure counts ------------------------------------------------------


def _in_force_aid(programme: str, day: dt.date) -> Q:
    from aid.models import Disbursement

    paid = Disbursement.objects.filter(
        case=OuterRef("pk"), programme__code=programme, paid_on__lte=day
    ).filter(Q(reversed_on__isnull=True) | Q(reversed_on__gt=day))
    return Q(Exists(paid))


def _approved_aid(programme: str, day: dt.date) -> Q:
    from aid.models import Disbursement

    return Q(
        Exists(
            Disbursement.objects.filter(
                case=OuterRef("pk"), programme__code=programme, approved_on__lte=day
            )
        )
    )


def figure_counted_cases(key: str, day: dt.date, start: dt.date | None = None) -> QuerySet | None:
    """The cases a figure counts on `day`, over every record, with the conditions the figure
    itself aggregates (reports.metrics); None when the figure does not count cases."""
    conditions = case_conditions(day)
    if key in conditions:
        return counted_cases(day).filter(conditions[key])
    if key == "kidnapped_not_rescued":
        return counted_cases(day).exclude(conditions["rescued_total"])
    if key.startswith("reburial_batch"):
        batch = Case.objects.filter(
            handover__handed_over_on__gte=start or day, handover__handed_over_on__lte=day
        )
        sex = {"reburial_batch_female": "female", "reburial_batch_male": "male"}.get(key)
        return batch.filter(sex=sex) if sex else batch
    if key == "aid_recipients":
        return Case.objects.filter(_in_force_aid(KRG_AID_PROGRAMME, day))
    if key == "survivors_law_salary_recipients":
        return Case.objects.filter(_in_force_aid(SURVIVORS_LAW_PROGRAMME, day))
    if key == "survivors_law_approved":
        return Case.objects.filter(_approved_aid(SURVIVORS_LAW_PROGRAMME, day))
    return None


def figure_drillable(key: str) -> bool:
    return figure_counted_cases(key, dt.date(2000, 1, 1)) is not None


def figure_get(ref: str) -> PublishedFigure:
    try:
        return PublishedFigure.objects.get(ref=ref)
    except PublishedFigure.DoesNotExist as error:
        raise Http404("No such figure.") from error


def figure_cases_visible_to(*, user: Any, figure: PublishedFigure) -> QuerySet:
    """The cases counted by the figure that the user may see: policy.cases_visible_to limits
    it, so a caseworker sees the cases of their offices among those counted."""
    counted = figure_counted_cases(figure.key, figure.as_of, figure.window_start)
    if counted is None:
        raise Http404("This figure does not count cases.")
    return policy.cases_visible_to(user).filter(pk__in=counted.values("pk"))
