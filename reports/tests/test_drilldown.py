"""A figure's drill-down lists exactly the cases the figure counts (the same conditions as
reports.metrics), before any limit to the cases the user may see."""

import datetime as dt

import pytest

from cases.lifecycle import EventType
from reports.metrics import METRICS, FigureComputer
from reports.selectors import figure_counted_cases, figure_drillable
from reports.tests.conftest import transition

D = dt.date


@pytest.fixture
def histories(make_case, make_site, make_remains, identify, hand_over, pay, programme):
    programme.code = "krg-survivors-2024"
    programme.save()
    cases = [
        make_case(sex=sex, age_at_abduction=age)
        for sex, age in [
            ("female", 30),
            ("female", 10),
            ("male", 40),
            ("male", 5),
            ("female", 50),
            ("male", 22),
        ]
    ]
    original = make_case()
    transition(make_case(), EventType.CLOSED_DUPLICATE, "2015-01-01", duplicate_of=original)
    transition(cases[0], EventType.RESCUED, "2015-02")
    transition(cases[1], EventType.RESCUED, "2016")
    transition(cases[2], EventType.RESCUED, "2016-03-01")
    transition(cases[3], EventType.DEATH_REPORTED, "2015-01-01")
    site = make_site(confirmed_on=D(2015, 1, 1), opened_on=D(2018, 1, 1))
    ident = identify(cases[4], make_remains(site, D(2018, 2, 1)), D(2019, 1, 1))
    hand_over(ident, D(2021, 2, 6), "batch")
    identify(cases[5], make_remains(site, D(2018, 2, 1)), D(2020, 1, 1))
    pay(cases[0], D(2024, 8, 1), D(2024, 8, 4))
    pay(cases[2], D(2024, 8, 1), D(2024, 8, 4), reversed_on=D(2024, 9, 1))


DAYS = [
    D(2015, 1, 31),
    D(2015, 2, 28),
    D(2016, 12, 31),
    D(2021, 2, 6),
    D(2024, 8, 20),
    D(2025, 1, 1),
]


# The histories above give these figures a non-zero value on some day, so that the comparison
# below is not between two zeros.
EXERCISED = {
    "kidnapped_total",
    "rescued_total",
    "rescued_women",
    "rescued_girls",
    "rescued_men",
    "remains_returned_female",
    "cases_identified",
    "still_missing_male",
    "reported_dead",
    "kidnapped_not_rescued",
    "reburial_batch_female",
    "aid_recipients",
}


@pytest.mark.parametrize("key", sorted(k for k in METRICS if figure_drillable(k)))
def test_the_cases_listed_are_the_cases_counted(histories, key):
    computer = FigureComputer()
    for day in DAYS:
        start = D(2021, 1, 1) if key.startswith("reburial_batch") else None
        counted = figure_counted_cases(key, day, start)
        assert counted.count() == computer.value(key, day, start), (key, day)
    if key in EXERCISED:
        assert any(computer.value(key, day, D(2021, 1, 1)) for day in DAYS), key


def test_figures_that_count_no_cases_have_no_drill_down():
    for key in (
        "mass_graves",
        "remains_exhumed",
        "reference_samples_collected",
        "displaced_in_camps",
    ):
        assert not figure_drillable(key)
