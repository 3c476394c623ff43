"""Figures computed from hand-made records: the counting conventions, one by one."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cases.lifecycle import EventType
from cases.services import case_transition
from reports.metrics import METRICS, FigureComputer
from reports.models import PublishedFigure
from reports.selectors import (
    CONFLICT,
    MATCH,
    MISMATCH,
    NOT_PUBLISHED,
    NOT_TRACKED,
    figure_satisfies,
    figure_status,
    figures_reconcile,
)

D = dt.date


def rescued(day):
    return FigureComputer().value("rescued_total", day)


def test_a_rescue_known_only_to_the_year_counts_from_the_last_day_of_that_year(make_case):
    case = make_case()
    case_transition(case=case, event_type=EventType.RESCUED, on="2016", actor=None, source="s")
    assert rescued(D(2016, 12, 30)) == 0
    assert rescued(D(2016, 12, 31)) == 1


def test_a_rescue_known_to_the_month_counts_from_its_last_day(make_case):
    case = make_case()
    case_transition(case=case, event_type=EventType.RESCUED, on="2016-02", actor=None, source="s")
    assert rescued(D(2016, 2, 28)) == 0
    assert rescued(D(2016, 2, 29)) == 1  # 2016 is a leap year


def test_women_men_girls_boys_split_at_18_when_abducted(make_case):
    for sex, age in [("female", 18), ("female", 17), ("male", 40), ("male", 3), ("male", 5)]:
        case = make_case(sex=sex, age_at_abduction=age)
        case_transition(
            case=case, event_type=EventType.RESCUED, on="2015-01-01", actor=None, source="s"
        )
    counts = FigureComputer().cases(D(2020, 1, 1))
    assert (
        counts["rescued_women"],
        counts["rescued_girls"],
        counts["rescued_men"],
        counts["rescued_boys"],
    ) == (1, 1, 1, 2)


def test_duplicates_never_count_and_missing_is_kidnapped_minus_rescued_minus_returned(make_case):
    original = make_case()
    duplicate = make_case()
    make_case(sex="male")
    case_transition(
        case=duplicate,
        event_type=EventType.CLOSED_DUPLICATE,
        on="2016-01-01",
        actor=None,
        source="s",
        duplicate_of=original,
    )
    counts = FigureComputer().cases(D(2015, 6, 1))  # before the closure, too
    assert counts["kidnapped_total"] == 2
    assert counts["still_missing"] == 2
    assert counts["still_missing_female"] == 1


def test_reported_dead_and_identified_but_not_returned_are_still_missing(make_case):
    dead = make_case(sex="male")
    case_transition(
        case=dead, event_type=EventType.DEATH_REPORTED, on="2015-01-01", actor=None, source="s"
    )
    identified = make_case(sex="male")
    case_transition(
        case=identified,
        event_type=EventType.REMAINS_IDENTIFIED,
        on="2020-01-01",
        actor=None,
        source="s",
    )
    counts = FigureComputer().cases(D(2021, 1, 1))
    assert counts["still_missing"] == 2
    assert counts["cases_identified"] == 1
    assert counts["remains_returned"] == 0


def test_cases_abducted_after_the_day_are_not_yet_kidnapped(make_case):
    make_case(abducted_on="2014-08")
    assert FigureComputer().value("kidnapped_total", D(2014, 8, 30)) == 0
    assert FigureComputer().value("kidnapped_total", D(2014, 8, 31)) == 1


@pytest.mark.parametrize(
    ("relation", "computed", "published", "expected"),
    [
        ("exactly", 5, 5, True),
        ("exactly", 6, 5, False),
        ("more_than", 201, 200, True),
        ("more_than", 200, 200, False),
        ("fewer_than", 699, 700, True),
        ("fewer_than", 700, 700, False),
        ("at_least", 5, 5, True),
        ("at_most", 6, 5, False),
        ("about", 1292, 1280, True),
        ("about", 1294, 1280, False),
    ],
)
def test_relations(relation, computed, published, expected):
    assert figure_satisfies(relation, computed, published, Decimal(1)) is expected


def _figure(**fields) -> PublishedFigure:
    defaults = {
        "ref": "f",
        "key": "rescued_total",
        "label": "Rescued",
        "as_of": D(2020, 1, 1),
        "value": 1,
        "publisher": "p",
        "definition": "d",
    }
    return PublishedFigure(**{**defaults, **fields})


def test_status_match_mismatch_conflict_not_published_not_tracked():
    assert figure_status(_figure(value=1), 1) == MATCH
    assert figure_status(_figure(value=2), 1) == MISMATCH
    assert figure_status(_figure(value=2, conflict_reason="because"), 1) == CONFLICT
    assert figure_status(_figure(value=None), 1) == NOT_PUBLISHED
    assert figure_status(_figure(key="displaced_in_camps"), None) == NOT_TRACKED


def test_a_figure_added_later_is_reconciled_from_then_on(make_case):
    case = make_case()
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2015-03-01", actor=None, source="s"
    )
    _figure(ref="new", as_of=D(2015, 12, 31), value=1).save()
    [result] = figures_reconcile()
    assert (result.ref, result.computed, result.status) == ("new", 1, MATCH)


def test_unknown_figure_key_is_refused_with_the_field_named(db):
    with pytest.raises(ValidationError) as error:
        _figure(key="no_such_figure").full_clean()
    assert "key" in error.value.message_dict


def test_every_metric_has_a_label_and_definition():
    for key, metric in METRICS.items():
        assert metric.label and metric.definition, key
