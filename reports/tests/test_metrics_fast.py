"""The people figures of many days from one grouped query (reports.metrics.people_counts) equal
the figures aggregated day by day with the conditions the drill-down filters by."""

import datetime as dt
import random

from django.db.models import Count

from cases.lifecycle import EventType, Status
from cases.models import Case
from cases.services import case_transition
from reports.metrics import FigureComputer, case_conditions, counted_cases, people_counts

D = dt.date


def counted_one_day_at_a_time(day: dt.date) -> dict[str, int]:
    """The definition: one aggregate over `counted_cases(day)` per day."""
    return counted_cases(day).aggregate(
        **{key: Count("pk", filter=q or None) for key, q in case_conditions(day).items()}
    )


def _day(rng: random.Random) -> dt.date:
    return D(2014, 6, 1) + dt.timedelta(days=rng.randrange(0, 4000))


def varied_cases(make_case, rng: random.Random) -> list[dt.date]:
    """Cases in every state the database allows, with milestones set directly (in any order
    relative to the abduction, as the constraints permit), plus some through the lifecycle
    with partial dates. Returns every milestone date written."""
    dates: list[dt.date] = []
    abductions = ["2014-08-03", "2014-08", "2014", "2015-03-10", "2017"]
    for number in range(90):
        case = make_case(
            sex=rng.choice(["female", "male", "unknown"]),
            age_at_abduction=rng.choice([None, 3, 17, 18, 40]),
            abducted_on=rng.choice(abductions),
            reported_on="2018-01-01",
        )
        kind = number % 6
        milestones: dict[str, dt.date | None] = {}
        if kind == 1:  # rescued (sometimes after a death report)
            milestones["rescued_on"] = _day(rng)
            if rng.random() < 0.3:
                milestones["reported_dead_on"] = _day(rng)
        elif kind == 2:  # identified, returned later or not
            milestones["remains_identified_on"] = identified = _day(rng)
            if rng.random() < 0.6:
                milestones["remains_returned_on"] = identified + dt.timedelta(rng.randrange(400))
        elif kind == 3:  # reported dead, then identified and returned
            milestones["reported_dead_on"] = dead = _day(rng)
            milestones["remains_identified_on"] = identified = dead + dt.timedelta(
                rng.randrange(-100, 900)
            )
            milestones["remains_returned_on"] = identified + dt.timedelta(rng.randrange(300))
        elif kind == 4:  # reported dead only
            milestones["reported_dead_on"] = _day(rng)
        elif kind == 5 and number % 4 == 1:  # returned without an identification date
            milestones["remains_returned_on"] = _day(rng)
            milestones["rescued_on"] = _day(rng)
        if milestones:
            Case.objects.filter(pk=case.pk).update(**milestones)
            dates.extend(milestones.values())
        if number % 10 == 7:  # a duplicate, whatever its milestones
            original = make_case()
            Case.objects.filter(pk=case.pk).update(
                status=Status.CLOSED_DUPLICATE, duplicate_of=original, closed_on=_day(rng)
            )
    # Through the lifecycle, with dates known only to the month or year.
    for event_type, on in [
        (EventType.RESCUED, "2016"),
        (EventType.RESCUED, "2019-02"),
        (EventType.DEATH_REPORTED, "2015-07"),
        (EventType.REMAINS_IDENTIFIED, "2020"),
    ]:
        case = make_case(sex="male", age_at_abduction=16, abducted_on="2014-08")
        case_transition(case=case, event_type=event_type, on=on, actor=None, source="s")
    dead = make_case(abducted_on="2014")
    for event_type, on in [
        (EventType.DEATH_REPORTED, "2016-05"),
        (EventType.REMAINS_IDENTIFIED, "2021-02-06"),
        (EventType.REMAINS_RETURNED, "2021-02"),
    ]:
        case_transition(case=dead, event_type=event_type, on=on, actor=None, source="s")
    original = make_case()
    duplicate = make_case(abducted_on="2014-08")
    case_transition(
        case=duplicate,
        event_type=EventType.CLOSED_DUPLICATE,
        on="2016-01-01",
        actor=None,
        source="s",
        duplicate_of=original,
    )
    for case in Case.objects.all():
        dates.extend(
            d
            for d in (
                case.abducted_by,
                case.rescued_on,
                case.reported_dead_on,
                case.remains_identified_on,
                case.remains_returned_on,
            )
            if d
        )
    return dates


def test_every_people_figure_on_many_days_equals_the_day_by_day_aggregate(make_case):
    rng = random.Random(20260801)
    dates = varied_cases(make_case, rng)
    # Random days, and the days on either side of each milestone (where a count changes).
    days = {_day(rng) for _ in range(25)} | {D(2014, 1, 1), D(2030, 1, 1)}
    days |= {d + dt.timedelta(days=shift) for d in rng.sample(dates, 20) for shift in (-1, 0, 1)}
    fast = people_counts(days)
    assert set(fast) == days
    for day in sorted(days):
        assert fast[day] == counted_one_day_at_a_time(day), day
    # Every figure counts someone on some day, and changes between the days.
    for key in case_conditions(D(2020, 1, 1)):
        assert len({counts[key] for counts in fast.values()}) > 1, key


def test_one_day_and_the_prefetched_ledger_dates_agree(make_case, django_assert_num_queries):
    rng = random.Random(7)
    dates = varied_cases(make_case, rng)
    days = sorted(set(rng.sample(dates, 15)))
    computer = FigureComputer()
    with django_assert_num_queries(1):
        computer.prefetch_people(days)
        prefetched = {day: computer.cases(day) for day in days}
    for day in days:
        assert prefetched[day] == FigureComputer().cases(day) == counted_one_day_at_a_time(day)


def test_no_days_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert people_counts([]) == {}
