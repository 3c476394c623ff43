"""Reports about graves and remains: sites by status and district, unopened sites, remains
exhumed / identified / returned over time and by reburial batch, remains awaiting
identification, and the map of grave sites and villages of origin.

A site's status "as of" a day comes from its dates (reported, confirmed, opened), not from its
current status, so a site opened after the day shows as confirmed on that day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from families.models import Handover
from gazetteer.models import Place
from graves.models import GraveSite, Identification, Remains
from reports.metrics import counted_cases
from reports.tables import Column, Table

from ._common import (
    DISTRICT,
    SUBDISTRICT,
    counts_by_period,
    place_at_level,
    place_names,
    series_rows,
)

SUSPECTED, CONFIRMED, OPENED = "suspected", "confirmed", "opened"


def _status_on(day: dt.date) -> SqlCase:
    return SqlCase(
        When(opened_on__lte=day, then=Value(OPENED)),
        When(confirmed_on__lte=day, then=Value(CONFIRMED)),
        default=Value(SUSPECTED),
        output_field=CharField(),
    )


def _status_labels() -> dict[str, str]:
    return {
        SUSPECTED: _("Reported, not confirmed"),
        CONFIRMED: _("Confirmed mass grave, not opened"),
        OPENED: _("Opened (exhumation begun)"),
    }


def _confirmed_identification(day: dt.date) -> Exists:
    return Exists(
        Identification.objects.filter(
            remains=OuterRef("pk"),
            status=Identification.Status.CONFIRMED,
            identified_on__lte=day,
        )
    )


def _sum_row(rows: list[tuple], skip: int, width: int) -> tuple:
    """The total row: a label, blanks for the other leading dimensions, and column sums."""
    return (
        _("Total"),
        *([""] * (skip - 1)),
        *(sum(row[i] or 0 for row in rows) for i in range(skip, width)),
    )


# -- sites by status and district ---------------------------------------------------------------


def grave_sites_by_district(user: Any, as_of: dt.date) -> Table:
    confirmed, opened = Q(confirmed_on__lte=as_of), Q(opened_on__lte=as_of)
    grouped = list(
        GraveSite.objects.filter(reported_on__lte=as_of)
        .annotate(district=place_at_level("place", DISTRICT))
        .values("district")
        .annotate(
            reported=Count("pk"),
            suspected=Count("pk", filter=~confirmed),
            unopened=Count("pk", filter=confirmed & ~opened),
            opened=Count("pk", filter=opened),
            confirmed=Count("pk", filter=confirmed),
        )
        .order_by("district")
    )
    names = place_names(g["district"] for g in grouped)
    keys = ["reported", "suspected", "unopened", "opened", "confirmed"]
    rows = sorted(
        (
            (names.get(g["district"], _("Not recorded at this level")), *(g[k] for k in keys))
            for g in grouped
        ),
        key=lambda row: str(row[0]),
    )
    labels = _status_labels()
    columns = [
        Column("district", _("District")),
        Column("reported", _("Sites reported"), "count"),
        Column("suspected", labels[SUSPECTED], "count"),
        Column("unopened", labels[CONFIRMED], "count"),
        Column("opened", labels[OPENED], "count"),
        Column("confirmed", _("Mass graves (confirmed, opened or not)"), "count"),
    ]
    return Table(
        key="grave_sites_by_district",
        title=_("Grave sites by status and district"),
        columns=columns,
        rows=[*rows, _sum_row(rows, 1, len(columns))],
        as_of=as_of,
        notes=[
            _(
                "Status on the day, from the site's dates: a site opened after the day shows as "
                "confirmed, one confirmed after it as reported."
            ),
            _("Sites reported = reported, not confirmed + confirmed, not opened + opened."),
        ],
        has_total_row=True,
    )


def grave_sites_unopened(user: Any, as_of: dt.date) -> Table:
    sites = list(
        GraveSite.objects.filter(confirmed_on__lte=as_of)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__gt=as_of))
        .annotate(
            district=place_at_level("place", DISTRICT),
            subdistrict=place_at_level("place", SUBDISTRICT),
        )
        .values(
            "code", "name", "district", "subdistrict", "place", "confirmed_on", "estimated_victims"
        )
        .order_by("code")
    )
    names = place_names(
        pk for site in sites for pk in (site["district"], site["subdistrict"], site["place"])
    )
    rows = [
        (
            site["code"],
            site["name"],
            names.get(site["district"], ""),
            names.get(site["subdistrict"], ""),
            names.get(site["place"], ""),
            site["confirmed_on"].isoformat(),
            site["estimated_victims"],
        )
        for site in sites
    ]
    return Table(
        key="grave_sites_unopened",
        title=_("Confirmed mass graves not yet opened"),
        columns=[
            Column("code", _("Site")),
            Column("name", _("Name")),
            Column("district", _("District")),
            Column("subdistrict", _("Sub-district")),
            Column("place", _("Place")),
            Column("confirmed_on", _("Confirmed on"), "value"),
            Column("estimated_victims", _("Estimated victims"), "value"),
        ],
        rows=rows,
        as_of=as_of,
        notes=[_("Sites confirmed by the day whose exhumation had not begun by then.")],
    )


def grave_sites_over_time(user: Any, as_of: dt.date, grouping: str) -> Table:
    rows = series_rows(
        [
            counts_by_period(GraveSite.objects.filter(**{f"{field}__lte": as_of}), field, grouping)
            for field in ("reported_on", "confirmed_on", "opened_on")
        ],
        grouping,
    )
    columns = [
        Column("period", _("Period")),
        Column("reported", _("Sites reported"), "count"),
        Column("confirmed", _("Confirmed as mass graves"), "count"),
        Column("opened", _("Opened"), "count"),
    ]
    return Table(
        key="grave_sites_over_time",
        title=_("Mass graves found and opened over time"),
        columns=columns,
        rows=[*rows, _sum_row(rows, 1, len(columns))],
        as_of=as_of,
        notes=[
            _(
                "Each site counts in the period it was first reported, in the period it was "
                "confirmed as a mass grave, and in the period its exhumation began."
            )
        ],
        has_total_row=True,
    )


# -- remains -------------------------------------------------------------------------------------


def remains_awaiting_identification(user: Any, as_of: dt.date) -> Table:
    recovered = Remains.objects.filter(recovered_on__lte=as_of)
    grouped = list(
        recovered.values("site", "site__code", "site__name")
        .annotate(district=place_at_level("site__place", DISTRICT), exhumed=Count("pk"))
        .order_by("site__code")
    )
    # The identified remains counted apart, the identification a condition of the WHERE (a
    # semi-join): as a FILTER of the count above, PostgreSQL estimated it per remains, costed
    # the query high enough to compile it (JIT, 0.6 s at 1,000,000 cases for 0.1 s of work).
    identified = dict(
        recovered.filter(_confirmed_identification(as_of))
        .values("site")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("site", "n")
    )
    names = place_names(g["district"] for g in grouped)
    rows = [
        (
            g["site__code"],
            g["site__name"],
            names.get(g["district"], ""),
            g["exhumed"],
            identified.get(g["site"], 0),
            g["exhumed"] - identified.get(g["site"], 0),
        )
        for g in grouped
    ]
    columns = [
        Column("site", _("Site")),
        Column("name", _("Name")),
        Column("district", _("District")),
        Column("exhumed", _("Remains exhumed"), "count"),
        Column("identified", _("Remains identified"), "count"),
        Column("awaiting", _("Awaiting identification"), "count"),
    ]
    return Table(
        key="remains_awaiting_identification",
        title=_("Remains awaiting identification, by grave site"),
        columns=columns,
        rows=[*rows, _sum_row(rows, 3, len(columns))],
        as_of=as_of,
        notes=[
            _(
                "Remains recovered by the day; identified = with a confirmed identification "
                "dated by the day; awaiting = exhumed - identified."
            )
        ],
        has_total_row=True,
    )


def remains_over_time(user: Any, as_of: dt.date, grouping: str) -> Table:
    exhumed = counts_by_period(
        Remains.objects.filter(recovered_on__lte=as_of), "recovered_on", grouping
    )
    identified = counts_by_period(
        Identification.objects.filter(
            status=Identification.Status.CONFIRMED, identified_on__lte=as_of
        ),
        "identified_on",
        grouping,
        Count("remains", distinct=True),
    )
    returned = counts_by_period(
        counted_cases(as_of).filter(remains_returned_on__lte=as_of),
        "remains_returned_on",
        grouping,
    )
    rows = series_rows([exhumed, identified, returned], grouping)
    columns = [
        Column("period", _("Period")),
        Column("exhumed", _("Remains exhumed"), "count"),
        Column("identified", _("Remains identified"), "count"),
        Column("returned", _("Remains returned to families"), "count"),
    ]
    return Table(
        key="remains_over_time",
        title=_("Remains exhumed, identified and returned over time"),
        columns=columns,
        rows=[*rows, _sum_row(rows, 1, len(columns))],
        as_of=as_of,
        notes=[
            _(
                "Exhumed by the date recovered; identified by the date of the confirmed "
                "identification; returned by the date of the handover to the family."
            )
        ],
        has_total_row=True,
    )


def reburial_batches(user: Any, as_of: dt.date) -> Table:
    grouped = (
        Handover.objects.filter(handed_over_on__lte=as_of)
        .values("handed_over_on", "ceremony")
        .annotate(
            returned=Count("pk"),
            female=Count("pk", filter=Q(case__sex="female")),
            male=Count("pk", filter=Q(case__sex="male")),
        )
        .order_by("handed_over_on", "ceremony")
    )
    rows = [
        (
            g["handed_over_on"].isoformat(),
            g["ceremony"] or _("Individual handover"),
            g["returned"],
            g["female"],
            g["male"],
        )
        for g in grouped
    ]
    columns = [
        Column("date", _("Handed over on")),
        Column("batch", _("Batch or ceremony")),
        Column("returned", _("Remains returned"), "count"),
        Column("female", _("Female"), "count"),
        Column("male", _("Male"), "count"),
    ]
    return Table(
        key="reburial_batches",
        title=_("Remains returned to families, by batch"),
        columns=columns,
        rows=[*rows, _sum_row(rows, 2, len(columns))],
        as_of=as_of,
        notes=[_("Handovers on the same day in the same ceremony form one batch.")],
        has_total_row=True,
    )


# -- the map ---------------------------------------------------------------------------------


def grave_site_map(user: Any, as_of: dt.date) -> Table:
    """Grave sites (status on the day) and villages of origin (cases kidnapped from them), with
    the coordinates the chart projects. Coordinates of a site fall back to its place's."""
    labels = _status_labels()
    sites = (
        GraveSite.objects.filter(reported_on__lte=as_of)
        .annotate(
            status_on=_status_on(as_of),
            lat=Coalesce("latitude", "place__latitude"),
            lon=Coalesce("longitude", "place__longitude"),
            district=place_at_level("place", DISTRICT),
        )
        .values("code", "name", "status_on", "lat", "lon", "district")
        .order_by("code")
    )
    # The cases are counted per place of origin alone (one pass over the cases, grouped by a
    # single key, no join), and the few villages are looked up afterwards: grouping by the
    # village's name, coordinates and district made PostgreSQL join every case to its village
    # and its village's parent first (docs/performance.md, "Reports at 1,000,000 cases").
    kidnapped = dict(
        counted_cases(as_of)
        .values("origin")
        .annotate(kidnapped=Count("pk"))
        .order_by()
        .values_list("origin", "kidnapped")
    )
    villages = (
        Place.objects.filter(kind=Place.Kind.VILLAGE, pk__in=list(kidnapped))
        .values(
            origin=F("pk"),
            name=F("name_latn"),
            lat=F("latitude"),
            lon=F("longitude"),
            # A village's district: its parent's parent (what place_at_level climbs).
            district=F("parent__parent"),
        )
        .order_by("name_latn")
    )
    sites, villages = list(sites), list(villages)
    for village in villages:
        village["kidnapped"] = kidnapped[village["origin"]]
    names = place_names(
        [row["district"] for row in sites]
        + [row["district"] for row in villages]
        + [row["origin"] for row in villages]
    )
    rows: list[tuple] = [
        (
            _("Grave site"),
            f"{site['code']} {site['name']}",
            names.get(site["district"], ""),
            labels[site["status_on"]],
            site["status_on"],
            None,
            None if site["lat"] is None else float(site["lat"]),
            None if site["lon"] is None else float(site["lon"]),
        )
        for site in sites
    ]
    rows += [
        (
            _("Village of origin"),
            names.get(village["origin"], village["name"]),
            names.get(village["district"], ""),
            "",
            "village",
            village["kidnapped"],
            None if village["lat"] is None else float(village["lat"]),
            None if village["lon"] is None else float(village["lon"]),
        )
        for village in villages
    ]
    return Table(
        key="grave_site_map",
        title=_("Map: grave sites and villages of origin"),
        columns=[
            Column("kind", _("Kind")),
            Column("name", _("Name")),
            Column("district", _("District")),
            Column("status", _("Status on the day")),
            Column("marker", _("Marker")),
            Column("kidnapped", _("Kidnapped from the village"), "count"),
            Column("latitude", _("Latitude"), "value"),
            Column("longitude", _("Longitude"), "value"),
        ],
        rows=rows,
        as_of=as_of,
        notes=[
            _(
                "Coordinates from the gazetteer, approximate to about a kilometre; a site without "
                "its own coordinates is drawn at its place's."
            ),
            _("Villages: cases kidnapped by the day whose place of origin is the village."),
        ],
    )
