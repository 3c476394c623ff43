"""PartialDate: parsing, bounds, ordering, ages, and the model field that stores it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from cases.models import Case
from cases.partial_dates import PartialDate, age_on

# --- parse and str ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014", PartialDate(2014)),
        ("2014-08", PartialDate(2014, 8)),
        ("2014-08-03", PartialDate(2014, 8, 3)),
        ("2016-02-29", PartialDate(2016, 2, 29)),
    ],
)
def test_parse_reads_each_precision_and_str_writes_it_back(text, expected):
    parsed = PartialDate.parse(text)
    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "precision"), [("2014", "year"), ("2014-08", "month"), ("2014-08-03", "day")]
)
def test_precision_is_what_the_text_gave(text, precision):
    assert PartialDate.parse(text).precision == precision


def test_parse_strips_surrounding_whitespace():
    assert PartialDate.parse(" 2014-08 ") == PartialDate(2014, 8)


def test_parse_accepts_a_date_and_a_datetime_as_day_precision():
    assert PartialDate.parse(dt.date(2015, 3, 9)) == PartialDate(2015, 3, 9)
    assert PartialDate.parse(dt.datetime(2015, 3, 9, 23, 59)) == PartialDate(2015, 3, 9)


def test_parse_returns_a_partial_date_unchanged():
    value = PartialDate(2014, 8)
    assert PartialDate.parse(value) is value


@pytest.mark.parametrize(
    "text",
    [
        "2014-13",  # no 13th month
        "2014-00",  # no month 0
        "2014-02-30",  # no 30 February
        "2015-02-29",  # not a leap year
        "2014-04-31",  # April has 30 days
        "14",  # two-digit year
        "2014-8",  # month without its leading zero
        "2014-08-3",  # day without its leading zero
        "2014/08/03",
        "03-08-2014",
        "",
        "August 2014",
        "1799",  # out of range
        "2201",
    ],
)
def test_parse_refuses_an_invalid_date(text):
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_a_day_without_a_month_is_refused():
    with pytest.raises(ValueError, match="day needs a month"):
        PartialDate(2014, None, 3)


# --- bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lower", "upper", "midpoint"),
    [
        ("2014", dt.date(2014, 1, 1), dt.date(2014, 12, 31), dt.date(2014, 7, 1)),
        ("2014-08", dt.date(2014, 8, 1), dt.date(2014, 8, 31), dt.date(2014, 8, 15)),
        ("2015-02", dt.date(2015, 2, 1), dt.date(2015, 2, 28), dt.date(2015, 2, 15)),
        ("2016-02", dt.date(2016, 2, 1), dt.date(2016, 2, 29), dt.date(2016, 2, 15)),
        ("2014-04", dt.date(2014, 4, 1), dt.date(2014, 4, 30), dt.date(2014, 4, 15)),
        ("2014-08-03", dt.date(2014, 8, 3), dt.date(2014, 8, 3), dt.date(2014, 8, 3)),
    ],
)
def test_bounds_and_midpoint(text, lower, upper, midpoint):
    value = PartialDate.parse(text)
    assert (value.lower(), value.upper(), value.midpoint()) == (lower, upper, midpoint)


# --- certainly_before -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("2013", "2014", True),
        ("2013-12-31", "2014", True),
        ("2014-07", "2014-08-03", True),
        ("2014-08-02", "2014-08-03", True),
        ("2014", "2014-08-03", False),  # overlaps: may be the same day or later
        ("2014-08-03", "2014", False),
        ("2014-08", "2014-08-03", False),
        ("2014-08-03", "2014-08-03", False),  # the same day is not before
        ("2014-08-04", "2014-08-03", False),
        ("2015", "2014", False),
    ],
)
def test_certainly_before(first, second, expected):
    assert PartialDate.parse(first).certainly_before(PartialDate.parse(second)) is expected


# --- age_on -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        ("1990", dt.date(2014, 6, 30), 23),  # a known year counts from 1 July
        ("1990", dt.date(2014, 7, 1), 24),
        ("1990-03", dt.date(2014, 3, 14), 23),  # a known month counts from the 15th
        ("1990-03", dt.date(2014, 3, 15), 24),
        ("1990-03-20", dt.date(2014, 3, 19), 23),
        ("1990-03-20", dt.date(2014, 3, 20), 24),
        ("2014-08-03", dt.date(2014, 8, 3), 0),
        ("2015", dt.date(2014, 8, 3), -1),  # born after the day: negative, callers refuse it
    ],
)
def test_age_on_uses_the_midpoint_of_a_partial_birth_date(birth, on, age):
    assert age_on(PartialDate.parse(birth), on) == age


# --- properties -------------------------------------------------------------------------------


@st.composite
def partial_date_texts(draw):
    day = draw(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31)))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@given(partial_date_texts())
def test_str_of_parse_is_the_original_text(text):
    assert str(PartialDate.parse(text)) == text


@given(partial_date_texts())
def test_bounds_are_ordered_and_contain_the_midpoint(text):
    value = PartialDate.parse(text)
    assert value.lower() <= value.midpoint() <= value.upper()
    assert not value.certainly_before(value)


@given(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_a_calendar_date_is_its_own_lower_and_upper_bound(day):
    value = PartialDate.parse(day)
    assert value.lower() == value.upper() == day
    assert str(value) == day.isoformat()


# --- the model field --------------------------------------------------------------------------


def test_field_stores_a_year_and_loads_it_as_a_partial_date(make_case):
    case = make_case(birth_date="1990")
    loaded = Case.objects.get(pk=case.pk)
    assert loaded.birth_date == PartialDate(1990)
    assert loaded.birth_date.precision == "year"


def test_field_stores_the_iso_text_without_inventing_precision(make_case):
    case = make_case(birth_date="1990", abducted_on="2014-08")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT birth_date, abducted_on FROM {Case._meta.db_table} WHERE id = %s",
            [Case._meta.pk.get_db_prep_value(case.pk, connection)],
        )
        assert cursor.fetchone() == ("1990", "2014-08")


def test_field_filters_by_partial_date(make_case):
    case = make_case(birth_date="1990-03")
    make_case(birth_date="1990")
    assert list(Case.objects.filter(birth_date=PartialDate(1990, 3))) == [case]
    assert list(Case.objects.filter(birth_date="1990-03")) == [case]


def test_field_keeps_an_empty_birth_date_as_none(make_case):
    case = make_case()
    assert Case.objects.get(pk=case.pk).birth_date is None


def test_field_to_python_refuses_an_invalid_date_with_a_validation_error():
    field = Case._meta.get_field("birth_date")
    with pytest.raises(ValidationError) as excinfo:
        field.to_python("1990-13")
    assert excinfo.value.code == "invalid_partial_date"


def test_field_clean_accepts_a_valid_partial_date():
    # Model.full_clean runs the field's validators on the parsed value.
    field = Case._meta.get_field("birth_date")
    assert field.clean("1990-03", None) == PartialDate(1990, 3)
