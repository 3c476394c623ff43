"""Reads for reports: the figures reconciliation."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .metrics import METRICS, FigureComputer
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
    computer = FigureComputer()
    results = []
    for figure in figures:
        metric = METRICS.get(figure.key)
        computed = computer.value(figure.key, figure.as_of, figure.window_start) if metric else None
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
