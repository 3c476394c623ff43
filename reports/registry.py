"""The reports: one registry that the web pages, the API, the exports and `bench_reports` read.

Each `Report` has a key, a title, a description, its parameters (every report takes `as_of`, a
date defaulting to today; some take a grouping), and `compute(user, as_of, **params)` returning
a `reports.tables.Table`. Aggregates are computed over every record (published figures are
national); a report that lists cases (`lists_cases`) exists only for roles that may see cases,
shows only the cases `policy.cases_visible_to` gives them, and audits what it shows.

For callers (the exports app, say):

    report = report_get_for(user, key)           # Http404 / PermissionDenied as the policy says
    as_of, params = report.parse(query_dict)     # ValidationError naming the field
    table = report.compute(user, as_of, **params)         # every row (an export)
    table = report.compute_shown(user, as_of, **params)   # as the page and the API show it
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access import policy
from config.routers import reading_from_replica

from . import queries
from .tables import Table

# Query parameters every API answer tolerates (DRF's format override).
GENERIC_PARAMETERS = frozenset({"format"})


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    choices: tuple[tuple[str, str], ...]
    default: str

    def clean(self, raw: str | None) -> str:
        if raw in (None, ""):
            return self.default
        if raw not in {value for value, _label in self.choices}:
            raise ValidationError(
                {
                    self.name: _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(v for v, _l in self.choices)}
                }
            )
        return raw


GROUPING = Parameter(
    "grouping", _("Per"), (("month", _("month")), ("year", _("year"))), default="year"
)
GROUPING_MONTH = Parameter(
    "grouping", _("Per"), (("month", _("month")), ("year", _("year"))), default="month"
)
LEVEL = Parameter(
    "level",
    _("Level"),
    (
        ("district", _("district")),
        ("subdistrict", _("sub-district")),
        ("village", _("village")),
    ),
    default="district",
)


@dataclass(frozen=True)
class Chart:
    """How the page draws the table: `kind` is funnel, bars (grouped bars per row) or map;
    `category` is the column naming each bar group, `series` the count columns drawn."""

    kind: str
    category: str = ""
    series: tuple[str, ...] = ()
    # Stacked when the series are parts of one whole (women, men, girls, boys).
    stacked: bool = False


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    description: str
    section: str
    compute: Callable[..., Table]
    parameters: tuple[Parameter, ...] = ()
    chart: Chart | None = None
    # Shows case numbers: only for roles that may see cases, and audited.
    lists_cases: bool = False
    # A case list this long at most on the report's page and in the API (the compute function
    # takes `limit`); exports list every case.
    shows_at_most: int | None = None

    def compute_shown(self, user: Any, as_of: dt.date, **params: Any) -> Table:
        """The table as the report's page and the API show it (at most `shows_at_most` rows
        of a case list)."""
        if self.shows_at_most is not None:
            params["limit"] = self.shows_at_most
        return self.compute(user, as_of, **params)

    def parse(self, data: Mapping[str, Any], *, strict: bool = False) -> tuple[dt.date, dict]:
        """`as_of` and the report's parameters from a query string; ValidationError naming
        each field at fault. `strict` also refuses parameters the report does not take."""
        errors: dict[str, list[str]] = {}
        today = timezone.localdate()
        as_of = today
        raw = data.get("as_of")
        if raw not in (None, ""):
            try:
                as_of = dt.date.fromisoformat(str(raw))
            except ValueError:
                errors["as_of"] = [str(_("Enter a date as YYYY-MM-DD."))]
            else:
                if as_of > today:
                    errors["as_of"] = [str(_("The date cannot be in the future."))]
        params = {}
        for parameter in self.parameters:
            try:
                params[parameter.name] = parameter.clean(data.get(parameter.name))
            except ValidationError as error:
                errors.update({k: [str(m) for m in v] for k, v in error.message_dict.items()})
        if strict:
            known = {"as_of", *(p.name for p in self.parameters)} | GENERIC_PARAMETERS
            for name in data:
                if name not in known:
                    errors[name] = [str(_("Unknown parameter."))]
        if errors:
            raise ValidationError(errors)
        return as_of, params


def _report(key, title, description, section, compute, **options) -> Report:
    return Report(key, title, description, section, _from_replica(compute), **options)


def _from_replica(compute: Callable[..., Table]) -> Callable[..., Table]:
    """Reports only read: computed on the read replica when one is configured (config.routers;
    accounts and the audit trail stay on the primary)."""

    @functools.wraps(compute)
    def compute_from_replica(*args: Any, **kwargs: Any) -> Table:
        with reading_from_replica():
            return compute(*args, **kwargs)

    return compute_from_replica


PEOPLE, TIME, GRAVES, FAMILIES, AID = (
    _("People"),
    _("Over time"),
    _("Graves and remains"),
    _("Families"),
    _("Aid"),
)
SERIES_SPLITS = ("women", "men", "girls", "boys")
MEASURES = ("rescued", "remains_returned", "still_missing")

REPORTS: dict[str, Report] = {
    report.key: report
    for report in [
        _report(
            "lifecycle_funnel",
            _("Lifecycle funnel"),
            _(
                "Kidnapped, then rescued, still missing or remains returned: by sex and by "
                "women, men, girls and boys."
            ),
            PEOPLE,
            queries.lifecycle_funnel,
            chart=Chart("funnel", "label", ("total", "female", "male")),
        ),
        _report(
            "breakdown_by_place",
            _("By place of origin"),
            _("Kidnapped, rescued, returned and still missing by district, sub-district, village."),
            PEOPLE,
            queries.breakdown_by_place,
            parameters=(LEVEL,),
            chart=Chart("bars", "place", MEASURES),
        ),
        _report(
            "breakdown_by_office",
            _("By registering office"),
            _("Kidnapped, rescued, returned and still missing by the office that registered them."),
            PEOPLE,
            queries.breakdown_by_office,
            chart=Chart("bars", "office", MEASURES),
        ),
        _report(
            "breakdown_by_age_group",
            _("By age group when abducted"),
            _("Kidnapped, rescued, returned and still missing by age when abducted."),
            PEOPLE,
            queries.breakdown_by_age_group,
            chart=Chart("bars", "age_group", MEASURES),
        ),
        _report(
            "rescues_over_time",
            _("Rescues over time"),
            _("Rescues per month or per year, with women, men, girls and boys."),
            TIME,
            queries.rescues_over_time,
            parameters=(GROUPING,),
            chart=Chart("bars", "period", SERIES_SPLITS, stacked=True),
        ),
        _report(
            "remains_over_time",
            _("Remains over time"),
            _("Remains exhumed, identified and returned to families per month or year."),
            TIME,
            queries.remains_over_time,
            parameters=(GROUPING,),
            chart=Chart("bars", "period", ("exhumed", "identified", "returned")),
        ),
        _report(
            "reburial_batches",
            _("Reburial batches"),
            _("Remains returned to families, batch by batch."),
            TIME,
            queries.reburial_batches,
            chart=Chart("bars", "date", ("female", "male"), stacked=True),
        ),
        _report(
            "aid_disbursed",
            _("Aid disbursed"),
            _("Survivors paid, payments and amounts per programme and month or year."),
            AID,
            queries.aid_disbursed,
            parameters=(GROUPING_MONTH,),
        ),
        _report(
            "grave_sites_by_district",
            _("Grave sites by status and district"),
            _("Sites reported, confirmed and opened, as they stood on the day, by district."),
            GRAVES,
            queries.grave_sites_by_district,
            chart=Chart("bars", "district", ("suspected", "unopened", "opened"), stacked=True),
        ),
        _report(
            "grave_sites_over_time",
            _("Mass graves found and opened over time"),
            _("Grave sites reported, confirmed as mass graves and opened, per month or year."),
            TIME,
            queries.grave_sites_over_time,
            parameters=(GROUPING,),
            chart=Chart("bars", "period", ("reported", "confirmed", "opened")),
        ),
        _report(
            "grave_sites_unopened",
            _("Unopened mass graves"),
            _("Confirmed mass graves whose exhumation had not begun by the day."),
            GRAVES,
            queries.grave_sites_unopened,
        ),
        _report(
            "remains_awaiting_identification",
            _("Remains awaiting identification"),
            _("Remains exhumed, identified and awaiting identification, by grave site."),
            GRAVES,
            queries.remains_awaiting_identification,
        ),
        _report(
            "grave_site_map",
            _("Map of grave sites and villages"),
            _("Grave sites by status and the villages the kidnapped came from, on a map."),
            GRAVES,
            queries.grave_site_map,
            chart=Chart("map"),
        ),
        _report(
            "dna_coverage",
            _("DNA reference-sample coverage"),
            _("How many of the still missing have no, one, two, three or more sampled relatives."),
            FAMILIES,
            queries.dna_coverage,
            chart=Chart("bars", "label", ("female", "male"), stacked=True),
        ),
        _report(
            "dna_worklist",
            _("Worklist: families to reach for samples"),
            _("Still-missing cases you may see with fewer than two sampled relatives."),
            FAMILIES,
            queries.dna_worklist,
            lists_cases=True,
            shows_at_most=500,
        ),
    ]
}


def may_view_reports(user: Any) -> bool:
    return policy.allowed(user, policy.VIEW, "report")


def _may_see(user: Any, report: Report) -> bool:
    if not may_view_reports(user):
        return False
    return not report.lists_cases or policy.allowed(user, policy.VIEW, "case")


def reports_available_to(user: Any) -> list[Report]:
    return [report for report in REPORTS.values() if _may_see(user, report)]


def report_get_for(user: Any, key: str) -> Report:
    """The report, PermissionDenied for a role without reports, or 404 for an unknown key or
    a case list the user's role may not see (not 403: like a record out of scope)."""
    if not may_view_reports(user):
        raise PermissionDenied
    report = REPORTS.get(key)
    if report is None or not _may_see(user, report):
        raise Http404("No such report.")
    return report
