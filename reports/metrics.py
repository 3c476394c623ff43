"""Every figure the tracker can compute "as of" a day, each by aggregating in the database.

A metric is a key (stable snake_case, used by the published-figures ledger), a label, a
definition in words, and how to compute it. Counts of people come from the dated milestones on
`Case` (set only by the lifecycle service); counts of graves and remains from their dates.

Conventions (also in docs/figures.md):
- "as of D" counts what had *certainly* happened by the end of D: an event known only to the
  month or year counts from the last day of that month or year.
- Records closed as duplicates never count: the surviving record counts the person.
- women/men were 18 or older when abducted, girls/boys under 18.
- still missing = kidnapped - rescued - remains returned (the rescue office's definition: it
  includes people reported dead and remains identified but not yet returned).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from aid.models import Disbursement
from cases.lifecycle import Status
from cases.models import ADULT_AGE, Case
from families.models import Handover, ReferenceSample
from graves.models import GraveSite, Identification, Remains

KRG_AID_PROGRAMME = "krg-survivors-2024"
SURVIVORS_LAW_PROGRAMME = "ysl-monthly-salary"


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    unit: str = "people"
    # None: the tracker holds no records from which this could be computed.
    compute: Callable[[FigureComputer, dt.date, dt.date | None], int | None] | None = None


def _not_before(field: str, day: dt.date) -> Q:
    """Not (yet) happened as of `day`: the milestone is empty or later."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": day})


def counted_cases(day: dt.date):
    """The cases that count at all as of `day`: abducted by then, duplicates never."""
    return Case.objects.exclude(status=Status.CLOSED_DUPLICATE).filter(abducted_by__lte=day)


def case_conditions(day: dt.date) -> dict[str, Q]:
    """Each people figure as a condition on `counted_cases(day)`: the figures aggregate these,
    and the drill-downs to the records counted filter by the very same conditions."""
    rescued = Q(rescued_on__lte=day)
    returned = Q(remains_returned_on__lte=day)
    missing = _not_before("rescued_on", day) & _not_before("remains_returned_on", day)
    female, male = Q(sex="female"), Q(sex="male")
    adult, minor = Q(age_at_abduction__gte=ADULT_AGE), Q(age_at_abduction__lt=ADULT_AGE)
    return {
        "kidnapped_total": Q(),
        "kidnapped_female": female,
        "kidnapped_male": male,
        "rescued_total": rescued,
        "rescued_female": rescued & female,
        "rescued_male": rescued & male,
        "rescued_women": rescued & female & adult,
        "rescued_men": rescued & male & adult,
        "rescued_girls": rescued & female & minor,
        "rescued_boys": rescued & male & minor,
        "remains_returned": returned,
        "remains_returned_female": returned & female,
        "remains_returned_male": returned & male,
        "cases_identified": Q(remains_identified_on__lte=day),
        "still_missing": missing,
        "still_missing_female": missing & female,
        "still_missing_male": missing & male,
        "reported_dead": Q(reported_dead_on__lte=day) & missing,
    }


# The milestones the people figures compare with the day, and the name of each in the histogram.
_MILESTONES = {
    "abducted": "abducted_by",
    "rescued": "rescued_on",
    "returned": "remains_returned_on",
    "identified": "remains_identified_on",
    "dead": "reported_dead_on",
}


def _days_before(field: str, days: tuple[dt.date, ...], vendor: str):
    """How many of `days` (sorted, distinct) fall before the field's date, and len(days) when it
    is empty: the milestone had happened by days[j] exactly when this is <= j. So every
    condition of `case_conditions` on any of the days is a comparison of this number with j."""
    if vendor == "postgresql":
        # width_bucket counts the thresholds on or before the date (a binary search per row);
        # a threshold the day after each day counts the days before the date.
        thresholds = [day + dt.timedelta(days=1) for day in days]
        return Func(
            Func(
                F(field),
                Value(thresholds, output_field=ArrayField(DateField())),
                function="width_bucket",
            ),
            Value(len(days)),
            function="COALESCE",
            output_field=IntegerField(),
        )
    return CaseWhen(
        *[When(**{f"{field}__lte": day}, then=Value(i)) for i, day in enumerate(days)],
        default=Value(len(days)),
        output_field=IntegerField(),
    )


def _people_counted(row: dict, j: int) -> dict[str, bool]:
    """Which people figures a histogram row counts on the j-th day: `case_conditions`, in
    Python, on the row's milestone positions (a test checks the two agree)."""
    rescued, returned = row["rescued"] <= j, row["returned"] <= j
    missing = not rescued and not returned
    female, male = row["sex"] == "female", row["sex"] == "male"
    adult, minor = row["adult"] == 1, row["adult"] == 0
    return {
        "kidnapped_total": True,
        "kidnapped_female": female,
        "kidnapped_male": male,
        "rescued_total": rescued,
        "rescued_female": rescued and female,
        "rescued_male": rescued and male,
        "rescued_women": rescued and female and adult,
        "rescued_men": rescued and male and adult,
        "rescued_girls": rescued and female and minor,
        "rescued_boys": rescued and male and minor,
        "remains_returned": returned,
        "remains_returned_female": returned and female,
        "remains_returned_male": returned and male,
        "cases_identified": row["identified"] <= j,
        "still_missing": missing,
        "still_missing_female": missing and female,
        "still_missing_male": missing and male,
        "reported_dead": row["dead"] <= j and missing,
    }


# A sex other than female or male counts as neither, an unknown age as neither adult nor minor:
# the last two digits of a histogram key (_histogram_key) index these.
_SEXES = ("female", "male", "")
_AGES = (0, 1, None)  # minor, adult, not recorded


def _histogram_key(positions: list, base: int) -> ExpressionWrapper:
    """One number naming a case's histogram row: the positions of its milestones among the days
    (each 0..len(days)) as the digits of a number in base len(days) + 1, then adult/minor and
    sex (0..2 each). One narrow key, not seven (one of them text): PostgreSQL cannot tell how
    many groups the milestones make (it expects 100,000 for what are a hundred or so), and at
    seven keys' width it would not hash that many, so it sorted the million cases to group
    them, half the query's time at 1,000,000 cases; this key it hashes. A bigint, so that many
    days cannot overflow it."""
    key = Cast(positions[0], BigIntegerField())
    for position in positions[1:]:
        key = key * Value(base) + position
    adult = CaseWhen(
        When(age_at_abduction__lt=ADULT_AGE, then=Value(0)),
        When(age_at_abduction__gte=ADULT_AGE, then=Value(1)),
        default=Value(2),
    )
    sex = CaseWhen(When(sex="female", then=Value(0)), When(sex="male", then=Value(1)), default=2)
    return ExpressionWrapper((key * Value(3) + adult) * Value(3) + sex, BigIntegerField())


def _histogram_row(key: int, base: int) -> dict:
    """The milestones' positions, sex and adult/minor that `_histogram_key` packed in `key`."""
    key, sex = divmod(key, 3)
    key, age = divmod(key, 3)
    row: dict = {"sex": _SEXES[sex], "adult": _AGES[age]}
    for name in reversed(_MILESTONES):
        key, row[name] = divmod(key, base)
    return row


def people_counts(days: Iterable[dt.date]) -> dict[dt.date, dict[str, int]]:
    """Every people figure on each of `days`, from one grouped query: the counted cases grouped
    by where each milestone falls among the days (and by sex and adult/minor), a histogram of a
    few thousand rows whatever the number of cases, then summed per day here. Each figure is
    exactly `counted_cases(day).aggregate(Count(filter=case_conditions(day)[key]))`."""
    ordered = tuple(sorted(set(days)))
    if not ordered:
        return {}
    cases = Case.objects.exclude(status=Status.CLOSED_DUPLICATE).filter(
        abducted_by__lte=ordered[-1]
    )
    vendor = connections[cases.db].vendor
    positions = [_days_before(field, ordered, vendor) for field in _MILESTONES.values()]
    base = len(ordered) + 1
    histogram = [
        {**_histogram_row(row["key"], base), "n": row["n"]}
        for row in cases.annotate(key=_histogram_key(positions, base))
        .values("key")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    counts = {}
    for j, day in enumerate(ordered):
        totals = dict.fromkeys(case_conditions(day), 0)
        for row in histogram:
            if row["abducted"] > j:  # not yet kidnapped on this day
                continue
            for key, counted in _people_counted(row, j).items():
                if counted:
                    totals[key] += row["n"]
        counts[day] = totals
    return counts


class FigureComputer:
    """Computes metrics, grouping the counts that share a query and remembering them per day,
    so that reconciling the whole ledger costs a handful of aggregate queries per date (and one
    query for the people figures of every date, once `prefetch_people` has been told them)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, dt.date, dt.date | None], dict[str, int | None]] = {}

    def _memo(self, group: str, day: dt.date, start: dt.date | None, fn) -> dict:
        key = (group, day, start)
        if key not in self._cache:
            self._cache[key] = fn(day, start)
        return self._cache[key]

    def value(self, key: str, day: dt.date, start: dt.date | None = None) -> int | None:
        metric = METRICS[key]
        if metric.compute is None:
            return None
        return metric.compute(self, day, start)

    # -- people ------------------------------------------------------------------------------
    def prefetch_people(self, days: Iterable[dt.date]) -> None:
        """Count the people figures of all these days in one query (the ledger's dates)."""
        missing = {day for day in days if ("cases", day, None) not in self._cache}
        for day, counts in people_counts(missing).items():
            self._cache[("cases", day, None)] = counts

    def cases(self, day: dt.date) -> dict[str, int]:
        return self._memo("cases", day, None, lambda d, _s: people_counts([d])[d])

    # -- graves and remains --------------------------------------------------------------------
    def graves(self, day: dt.date) -> dict[str, int]:
        return self._memo(
            "graves",
            day,
            None,
            lambda d, _s: GraveSite.objects.aggregate(
                grave_sites_suspected=Count("pk", filter=Q(reported_on__lte=d)),
                mass_graves=Count("pk", filter=Q(confirmed_on__lte=d)),
                mass_graves_opened=Count("pk", filter=Q(opened_on__lte=d)),
            ),
        )

    def remains(self, day: dt.date) -> dict[str, int]:
        def counts(d: dt.date, _s: dt.date | None) -> dict[str, int]:
            exhumed = Remains.objects.filter(recovered_on__lte=d).count()
            identified = (
                Identification.objects.filter(
                    status=Identification.Status.CONFIRMED, identified_on__lte=d
                )
                .values("remains")
                .distinct()
                .count()
            )
            return {"remains_exhumed": exhumed, "remains_identified": identified}

        return self._memo("remains", day, None, counts)

    def handovers(self, day: dt.date, start: dt.date | None) -> dict[str, int]:
        return self._memo(
            "handovers",
            day,
            start,
            lambda d, s: Handover.objects.filter(
                handed_over_on__gte=s or d, handed_over_on__lte=d
            ).aggregate(
                reburial_batch=Count("pk"),
                reburial_batch_female=Count("pk", filter=Q(case__sex="female")),
                reburial_batch_male=Count("pk", filter=Q(case__sex="male")),
            ),
        )

    # -- families and aid ----------------------------------------------------------------------
    def samples(self, day: dt.date) -> int:
        return self._memo(
            "samples",
            day,
            None,
            lambda d, _s: {"n": ReferenceSample.objects.filter(collected_on__lte=d).count()},
        )["n"]

    def aid(self, programme: str, day: dt.date) -> dict[str, int | None]:
        def counts(d: dt.date, _s: dt.date | None) -> dict[str, int | None]:
            rows = Disbursement.objects.filter(programme__code=programme)
            in_force = Q(paid_on__lte=d) & (Q(reversed_on__isnull=True) | Q(reversed_on__gt=d))
            recipients = rows.filter(in_force).values("case").distinct().count()
            approved = rows.filter(approved_on__lte=d).values("case").distinct().count()
            latest_period = rows.filter(in_force).aggregate(p=Max("period"))["p"]
            amount = None
            if latest_period is not None:
                amount = rows.filter(in_force, period=latest_period).aggregate(a=Max("amount"))["a"]
            return {
                "recipients": recipients,
                "approved": approved,
                "amount": None if amount is None else int(amount),
            }

        return self._memo(f"aid:{programme}", day, None, counts)


def _case(key: str):
    return lambda computer, day, _start: computer.cases(day)[key]


def _grave(key: str):
    return lambda computer, day, _start: computer.graves(day)[key]


def _batch(key: str):
    return lambda computer, day, start: computer.handovers(day, start)[key]


def _aid(programme: str, key: str):
    return lambda computer, day, _start: computer.aid(programme, day)[key]


_PEOPLE: list[tuple[str, str, str]] = [
    (
        "kidnapped_total",
        _("Kidnapped"),
        _("People abducted on or before the day (all cases, duplicates excluded)."),
    ),
    ("kidnapped_female", _("Kidnapped, female"), _("Female cases abducted by the day.")),
    ("kidnapped_male", _("Kidnapped, male"), _("Male cases abducted by the day.")),
    ("rescued_total", _("Rescued"), _("Cases rescued alive by the day.")),
    ("rescued_female", _("Rescued, female"), _("Women and girls rescued by the day.")),
    ("rescued_male", _("Rescued, male"), _("Men and boys rescued by the day.")),
    ("rescued_women", _("Rescued women"), _("Females 18 or older when abducted, rescued.")),
    ("rescued_men", _("Rescued men"), _("Males 18 or older when abducted, rescued.")),
    ("rescued_girls", _("Rescued girls"), _("Females under 18 when abducted, rescued.")),
    ("rescued_boys", _("Rescued boys"), _("Males under 18 when abducted, rescued.")),
    (
        "remains_returned",
        _("Remains identified and returned"),
        _("Cases whose identified remains were handed over to the family by the day."),
    ),
    (
        "remains_returned_female",
        _("Remains returned, female"),
        _("Female cases whose remains were returned."),
    ),
    (
        "remains_returned_male",
        _("Remains returned, male"),
        _("Male cases whose remains were returned."),
    ),
    (
        "cases_identified",
        _("Cases with identified remains"),
        _("Cases whose remains were identified by the day (returned or not)."),
    ),
    (
        "still_missing",
        _("Still missing"),
        _(
            "Kidnapped minus rescued minus remains returned (includes people reported dead and "
            "remains identified but not yet returned)."
        ),
    ),
    ("still_missing_female", _("Still missing, female"), _("Female cases still missing.")),
    ("still_missing_male", _("Still missing, male"), _("Male cases still missing.")),
    (
        "reported_dead",
        _("Reported dead, remains not returned"),
        _("Still-missing cases whose death was reported."),
    ),
]

# The metrics computed from `FigureComputer.cases` (the people figures and one difference).
PEOPLE_METRIC_KEYS = frozenset(
    [key for key, _label, _definition in _PEOPLE] + ["kidnapped_not_rescued"]
)

METRICS: dict[str, Metric] = {
    key: Metric(key, label, definition, "people", _case(key)) for key, label, definition in _PEOPLE
}
METRICS.update(
    {
        "kidnapped_not_rescued": Metric(
            "kidnapped_not_rescued",
            _("Kidnapped and not rescued"),
            _(
                "Kidnapped minus rescued: the wider reading of 'missing' that also counts remains "
                "returned."
            ),
            compute=lambda c, d, _s: c.cases(d)["kidnapped_total"] - c.cases(d)["rescued_total"],
        ),
        "mass_graves": Metric(
            "mass_graves",
            _("Mass graves"),
            _("Grave sites confirmed as mass graves by the day."),
            "sites",
            _grave("mass_graves"),
        ),
        "mass_graves_opened": Metric(
            "mass_graves_opened",
            _("Mass graves opened"),
            _("Confirmed mass graves opened (exhumation begun) by the day."),
            "sites",
            _grave("mass_graves_opened"),
        ),
        "mass_graves_unopened": Metric(
            "mass_graves_unopened",
            _("Mass graves not yet opened"),
            _("Confirmed mass graves not opened by the day."),
            "sites",
            lambda c, d, _s: c.graves(d)["mass_graves"] - c.graves(d)["mass_graves_opened"],
        ),
        "grave_sites_suspected": Metric(
            "grave_sites_suspected",
            _("Grave sites reported"),
            _("Every site reported as possibly holding remains by the day, confirmed or not."),
            "sites",
            _grave("grave_sites_suspected"),
        ),
        "remains_exhumed": Metric(
            "remains_exhumed",
            _("Remains exhumed"),
            _("Sets of remains recovered from graves by the day."),
            "remains",
            lambda c, d, _s: c.remains(d)["remains_exhumed"],
        ),
        "remains_identified": Metric(
            "remains_identified",
            _("Remains identified"),
            _("Sets of remains with a confirmed identification dated by the day."),
            "remains",
            lambda c, d, _s: c.remains(d)["remains_identified"],
        ),
        "remains_awaiting_identification": Metric(
            "remains_awaiting_identification",
            _("Remains awaiting identification"),
            _("Remains exhumed minus remains identified, by the day."),
            "remains",
            lambda c, d, _s: c.remains(d)["remains_exhumed"] - c.remains(d)["remains_identified"],
        ),
        "reburial_batch": Metric(
            "reburial_batch",
            _("Remains returned in a period"),
            _("Handovers dated from the period start (or the day itself) to the day."),
            "remains",
            _batch("reburial_batch"),
        ),
        "reburial_batch_female": Metric(
            "reburial_batch_female",
            _("Remains returned in a period, female"),
            _("Handovers of female cases in the period."),
            "remains",
            _batch("reburial_batch_female"),
        ),
        "reburial_batch_male": Metric(
            "reburial_batch_male",
            _("Remains returned in a period, male"),
            _("Handovers of male cases in the period."),
            "remains",
            _batch("reburial_batch_male"),
        ),
        "reference_samples_collected": Metric(
            "reference_samples_collected",
            _("DNA reference samples collected"),
            _("Reference samples given by relatives of the missing by the day."),
            "samples",
            lambda c, d, _s: c.samples(d),
        ),
        "aid_recipients": Metric(
            "aid_recipients",
            _("KRG survivors' aid recipients"),
            _("Survivors paid by the KRG survivors' aid programme by the day (reversals removed)."),
            compute=_aid(KRG_AID_PROGRAMME, "recipients"),
        ),
        "survivors_law_approved": Metric(
            "survivors_law_approved",
            _("Yazidi Survivors Law: survivors approved"),
            _("Survivors approved for the monthly salary under Law No. 8 of 2021 by the day."),
            compute=_aid(SURVIVORS_LAW_PROGRAMME, "approved"),
        ),
        "survivors_law_salary_recipients": Metric(
            "survivors_law_salary_recipients",
            _("Yazidi Survivors Law: salary recipients"),
            _("Survivors paid the monthly salary at least once by the day (reversals removed)."),
            compute=_aid(SURVIVORS_LAW_PROGRAMME, "recipients"),
        ),
        "survivors_law_monthly_salary": Metric(
            "survivors_law_monthly_salary",
            _("Yazidi Survivors Law: monthly salary paid"),
            _("The amount paid per survivor for the latest month paid by the day."),
            "IQD",
            _aid(SURVIVORS_LAW_PROGRAMME, "amount"),
        ),
        "displaced_in_camps": Metric(
            "displaced_in_camps",
            _("Yazidis in camps in the Kurdistan Region"),
            _("Displaced population in camps: context, not case records."),
        ),
        "displaced_outside_camps": Metric(
            "displaced_outside_camps",
            _("Yazidis displaced outside camps"),
            _("Displaced population outside camps: context, not case records."),
        ),
    }
)

assert all(m.key == k for k, m in METRICS.items())  # noqa: S101 - registry consistency
