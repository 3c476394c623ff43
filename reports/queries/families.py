"""Reports about families: DNA reference-sample coverage of the still missing, and the worklist
a caseworker needs to reach more families.

Identification by DNA kinship needs reference samples from relatives; two or more sampled
relatives make a match far more reliable, so coverage counts the relatives, not the samples.
A relative counts as sampled on a day when a sample of theirs was collected by then and is not
now destroyed (consent withdrawn) or failed (no usable profile): those statuses are current,
not dated, so they apply to every day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from access import policy
from audit.services import audit_log
from cases.models import Case, Office
from families.models import Kinship, ReferenceSample
from gazetteer.models import Place
from reports.metrics import case_conditions, counted_cases
from reports.tables import Column, Table

NOT_USABLE = [ReferenceSample.Status.DESTROYED, ReferenceSample.Status.FAILED]
BUCKETS = ["0", "1", "2", "3+"]
# Fewer sampled relatives than this puts a case on the worklist.
WORKLIST_BELOW = 2


USABLE = [status for status in ReferenceSample.Status.values if status not in NOT_USABLE]


def _sampled_relatives(as_of: dt.date):
    """The relatives with a sample collected by the day and still usable."""
    return ReferenceSample.objects.filter(collected_on__lte=as_of, status__in=USABLE).values(
        "relative"
    )


def _sampled_per_case(cases, as_of: dt.date):
    """(case, sex, n): the number of distinct sampled relatives of each of `cases` that has
    any, grouped in the database. Each kinship joins once (a relative is a sampled one or not,
    however many samples they gave: a semi-join, not a join to the samples), and a relative is
    recorded once per case (`kinship_once`), so counting the kinships counts the relatives
    without a DISTINCT, which would make PostgreSQL sort the kinships of every case."""
    return (
        cases.filter(kinships__relative__in=_sampled_relatives(as_of))
        .values("sex", case=F("pk"))
        .annotate(n=Count("kinships"))
        .order_by()
    )


def _still_missing(as_of: dt.date):
    return counted_cases(as_of).filter(case_conditions(as_of)["still_missing"])


def dna_coverage(user: Any, as_of: dt.date) -> Table:
    missing = _still_missing(as_of)
    female, male = Q(sex="female"), Q(sex="male")
    totals = missing.aggregate(
        cases=Count("pk"), female=Count("pk", filter=female), male=Count("pk", filter=male)
    )
    buckets = {"1": Q(n=1), "2": Q(n=2), "3+": Q(n__gte=3)}
    sampled = _sampled_per_case(missing, as_of).aggregate(
        **{
            f"{key}:{split}": Count("case", filter=condition & split_q if split_q else condition)
            for key, condition in buckets.items()
            for split, split_q in (("cases", None), ("female", female), ("male", male))
        }
    )
    counts = {
        key: {split: sampled[f"{key}:{split}"] for split in ("cases", "female", "male")}
        for key in buckets
    }
    counts["0"] = {
        split: totals[split] - sum(counts[key][split] for key in buckets)
        for split in ("cases", "female", "male")
    }
    labels = {
        "0": _("No sampled relative"),
        "1": _("One sampled relative"),
        "2": _("Two sampled relatives"),
        "3+": _("Three or more sampled relatives"),
    }
    rows = [
        (key, labels[key], counts[key]["cases"], counts[key]["female"], counts[key]["male"])
        for key in BUCKETS
    ]
    rows.append(("", _("Total"), totals["cases"], totals["female"], totals["male"]))
    return Table(
        key="dna_coverage",
        title=_("DNA reference-sample coverage of the still missing"),
        columns=[
            Column("sampled_relatives", _("Sampled relatives")),
            Column("label", _("Coverage")),
            Column("cases", _("Still-missing cases"), "count"),
            Column("female", _("Female"), "count"),
            Column("male", _("Male"), "count"),
        ],
        rows=rows,
        as_of=as_of,
        notes=[
            _(
                "Still missing on the day; a relative counts once however many samples they "
                "gave, from the day their sample was collected. Samples now destroyed (consent "
                "withdrawn) or without a usable profile do not count."
            ),
            _("A relative of several missing persons counts for each of them."),
        ],
        has_total_row=True,
    )


WORKLIST_FIELDS = ["case_number", "office", "origin", "status"]


def _worklist_cases(visible, as_of: dt.date) -> list[tuple]:
    """(pk, case number, office, origin, status, sampled, recorded) of each of `visible` with
    fewer than WORKLIST_BELOW sampled relatives, fewest first, then by case number.

    Two statements, each reading the cases once: the sampled relatives of the cases that have
    any (`_sampled_per_case`: a hash semi-join to the samples, which may spill to disk), and
    every case with its kinships counted (a relative is recorded once per case,
    `kinship_once`). Not one statement with the sampled count as a FILTER (WHERE relative IN
    samples): PostgreSQL hashes such a subquery only if it fits in work_mem, and otherwise
    reads the samples again for every kinship (minutes at 1,000,000 cases). The names are
    looked up afterwards, not joined and grouped by."""
    sampled_of = {row["case"]: row["n"] for row in _sampled_per_case(visible, as_of)}
    cases = (
        visible.annotate(recorded=Count("kinships"))
        .order_by()
        .values_list("pk", "case_number", "office_id", "origin_id", "status", "recorded")
    )
    listed = []
    for pk, case_number, office_id, origin_id, status, recorded in cases:
        sampled = sampled_of.get(pk, 0)
        if sampled < WORKLIST_BELOW:
            listed.append((pk, case_number, office_id, origin_id, status, sampled, recorded))
    # Python's order of strings, as before (a database collation may order them otherwise).
    listed.sort(key=lambda case: (case[5], case[1]))
    return listed


def _worklist_first(visible, as_of: dt.date, limit: int) -> list[tuple]:
    """The first `limit` (and one more, to tell there are more) of what _worklist_cases gives,
    in its order, without counting every case's relatives: the cases with no sampled relative
    in case-number order, then those with one. Each is a walk of the case-number index that
    stops at `limit`, testing each case's own kinships (a national list of 400,000 took 17 s
    to read whole, docs/performance.md). The case number's collation is "C" on PostgreSQL
    (cases migration 0006), so the database orders them as Python does."""
    sampled = Kinship.objects.filter(
        case=OuterRef("pk"), relative__in=_sampled_relatives(as_of)
    ).order_by()
    columns = ("pk", "case_number", "office_id", "origin_id", "status")
    listed = [
        (*row, 0)
        for row in visible.filter(~Exists(sampled))
        .order_by("case_number")
        .values_list(*columns)[: limit + 1]
    ]
    if len(listed) <= limit:
        one = Subquery(sampled.values("case").annotate(n=Count("pk")).values("n"))
        listed += [
            (*row, 1)
            for row in visible.annotate(sampled=one)
            .filter(sampled=1)
            .order_by("case_number")
            .values_list(*columns)[: limit + 1 - len(listed)]
        ]
    recorded = dict(
        Kinship.objects.filter(case__in=[row[0] for row in listed])
        .values("case")
        .annotate(n=Count("pk"))
        .values_list("case", "n")
        .order_by()
    )
    return [(*row, recorded.get(row[0], 0)) for row in listed]


def dna_worklist(user: Any, as_of: dt.date, *, limit: int | None = None) -> Table:
    """Still-missing cases with fewer than two sampled relatives, among the cases the user may
    see (policy.cases_visible_to), with only the fields the user may see on each; the view of
    the case numbers is written to the audit trail, whoever asks (page, API or export).

    `limit`: only the first so many in the worklist's order, with a note when there are more
    (the report's pages and API; an export lists them all). Only the cases shown are audited."""
    # One WHERE clause, not `pk IN (visible)`: no second scan of the cases. The policy's
    # conditions are on the case's own columns or EXISTS, so no join can repeat a case.
    visible = _still_missing(as_of) & policy.cases_visible_to(user)
    if limit is None:
        cases, more = _worklist_cases(visible, as_of), False
    else:
        cases = _worklist_first(visible, as_of, limit)
        more = len(cases) > limit
        cases = cases[:limit]
    office_names = dict(Office.objects.values_list("pk", "name"))
    origin_names = dict(
        Place.objects.filter(pk__in={case[3] for case in cases}).values_list("pk", "name_latn")
    )
    shown_fields = [f for f in WORKLIST_FIELDS if f in policy.case_fields_any(user)]
    # Translated once, not once a row.
    status_labels = {status: str(label) for status, label in Case._meta.get_field("status").choices}
    # Where each shown column comes from in a case's values (below); a field the user may not
    # see on that case points past them, at None.
    hidden = len(WORKLIST_FIELDS)
    picks_by_kind: dict[tuple, list[int]] = {}
    fields_at = policy.case_fields_by_office_and_status(user)
    rows = []
    for _pk, case_number, office_id, origin_id, status, sampled, recorded in cases:
        kind = (office_id, status)
        picks = picks_by_kind.get(kind)
        if picks is None:
            may_see = fields_at(office_id, status)
            picks = picks_by_kind[kind] = [
                WORKLIST_FIELDS.index(f) if f in may_see else hidden for f in shown_fields
            ]
        values = (
            case_number,
            office_names[office_id],
            origin_names[origin_id],
            status_labels.get(status, status),
            None,
        )
        rows.append((*[values[i] for i in picks], sampled, recorded))
    if cases:
        audit_log(
            action="view",
            subject_type="cases.case",
            actor=user,
            changes={
                "ids": [str(case[0]) for case in cases],
                "fields": shown_fields,
                "report": "dna_worklist",
            },
        )
    labels = {
        "case_number": _("Case"),
        "office": _("Office"),
        "origin": _("Place of origin"),
        "status": _("Status"),
    }
    return Table(
        key="dna_worklist",
        title=_("Worklist: still-missing cases with fewer than two sampled relatives"),
        columns=[
            *(Column(f, labels[f]) for f in shown_fields),
            Column("sampled_relatives", _("Sampled relatives"), "value"),
            Column("relatives_recorded", _("Relatives recorded"), "value"),
        ],
        rows=rows,
        as_of=as_of,
        notes=[
            _(
                "Only the cases your role may see. Reaching more relatives of these cases for a "
                "reference sample makes an identification by DNA kinship possible."
            ),
            *(
                [
                    _(
                        "Only the first %(count)s cases in this order are shown; export the "
                        "report for the whole worklist."
                    )
                    % {"count": limit}
                ]
                if more
                else []
            ),
        ],
    )
