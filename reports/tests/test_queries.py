"""Every report computed from records built here, with the counting conventions of
reports/metrics.py: "as of D" counts what had certainly happened by D, duplicates never count,
women/men were 18 or older when abducted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.lifecycle import EventType
from reports.registry import REPORTS
from reports.tests.conftest import transition

D = dt.date
TODAY = dt.date.today()


def run(key, as_of=TODAY, user=None, **params):
    report = REPORTS[key]
    defaults = {p.name: p.default for p in report.parameters}
    return REPORTS[key].compute(user, as_of, **{**defaults, **params})


def by_first(table):
    return {row[0]: dict(zip(table.column_keys, row, strict=True)) for row in table.rows}


@pytest.fixture
def people(make_case, places):
    """Seven kidnapped; a duplicate that never counts; one abducted later (2016)."""
    woman = make_case(sex="female", age_at_abduction=30)
    girl = make_case(sex="female", age_at_abduction=12, origin=places["hardan"])
    man = make_case(sex="male", age_at_abduction=40, origin=places["siba"])
    boy = make_case(sex="male", age_at_abduction=8)
    missing_f = make_case(sex="female", age_at_abduction=20)
    missing_m = make_case(sex="male", age_at_abduction=None, origin=places["siba"])
    returned = make_case(sex="male", age_at_abduction=50)
    late = make_case(
        sex="female", age_at_abduction=17, abducted_on="2016-05-01", reported_on="2016-06-01"
    )
    duplicate = make_case(sex="female", age_at_abduction=30)
    transition(duplicate, EventType.CLOSED_DUPLICATE, "2015-01-01", duplicate_of=woman)
    transition(woman, EventType.RESCUED, "2015-03-10")
    transition(girl, EventType.RESCUED, "2015-03")  # counts from 31 March
    transition(man, EventType.RESCUED, "2016")  # counts from 31 December
    transition(boy, EventType.RESCUED, "2017-06-01")
    transition(returned, EventType.REMAINS_IDENTIFIED, "2019-01-01")
    transition(returned, EventType.REMAINS_RETURNED, "2021-02-06")
    return {
        "woman": woman,
        "girl": girl,
        "man": man,
        "boy": boy,
        "missing_f": missing_f,
        "missing_m": missing_m,
        "returned": returned,
        "late": late,
    }


def test_funnel_by_sex_and_women_men_girls_boys(people):
    funnel = by_first(run("lifecycle_funnel"))
    assert funnel["kidnapped"]["total"] == 8  # the duplicate never counts
    assert (funnel["rescued"]["women"], funnel["rescued"]["girls"]) == (1, 1)
    assert (funnel["rescued"]["men"], funnel["rescued"]["boys"]) == (1, 1)
    assert funnel["remains_returned"]["male"] == 1
    assert funnel["still_missing"]["total"] == 3  # missing_f, missing_m, late
    assert funnel["still_missing"]["female"] == 2
    # unknown age: in "All" and "Male", in neither men nor boys
    assert funnel["still_missing"]["men"] + funnel["still_missing"]["boys"] == 0
    table = run("lifecycle_funnel")
    assert table.has_total_row and table.rows[-1][0] == "kidnapped"
    for column in ("total", "female", "male", "women", "men", "girls", "boys"):
        parts = sum(funnel[s][column] for s in ("rescued", "remains_returned", "still_missing"))
        assert parts == funnel["kidnapped"][column], column


def test_funnel_as_of_counts_only_what_had_certainly_happened(people):
    early = by_first(run("lifecycle_funnel", D(2015, 3, 30)))
    assert early["kidnapped"]["total"] == 7  # `late` was abducted in 2016
    assert early["rescued"]["total"] == 1  # the rescue dated only "2015-03" counts from 31 March
    on_31 = by_first(run("lifecycle_funnel", D(2015, 3, 31)))
    assert on_31["rescued"]["total"] == 2
    before_year_end = by_first(run("lifecycle_funnel", D(2016, 12, 30)))
    assert before_year_end["rescued"]["men"] == 0  # rescued "2016": from 31 December
    assert by_first(run("lifecycle_funnel", D(2016, 12, 31)))["rescued"]["men"] == 1
    before_return = by_first(run("lifecycle_funnel", D(2021, 2, 5)))
    assert before_return["remains_returned"]["total"] == 0
    assert before_return["still_missing"]["male"] == 2  # identified, not yet returned: missing


def test_rescues_per_month_and_year_fill_empty_periods_and_total(people):
    yearly = by_first(run("rescues_over_time", grouping="year"))
    assert list(yearly) == ["2015", "2016", "2017", "Total"]
    assert yearly["2015"]["total"] == 2 and yearly["2015"]["girls"] == 1
    assert yearly["2016"]["men"] == 1
    assert yearly["Total"]["total"] == 4
    monthly = by_first(run("rescues_over_time", grouping="month"))
    assert monthly["2015-03"]["total"] == 2
    assert monthly["2015-04"]["total"] == 0  # an empty month is shown, not skipped
    assert monthly["2016-12"]["men"] == 1
    as_of_2016 = by_first(run("rescues_over_time", D(2016, 6, 30), grouping="year"))
    assert "2016" not in as_of_2016 and as_of_2016["Total"]["total"] == 2


def test_breakdowns_by_district_subdistrict_village_office_and_age(people, places, make_case):
    make_case(origin=places["centre"])  # origin recorded at the sub-district only
    districts = by_first(run("breakdown_by_place", level="district"))
    assert districts["Sinjar"]["kidnapped"] == 7 and districts["al-Ba'aj"]["kidnapped"] == 2
    assert districts["al-Ba'aj"]["still_missing"] == 1 and districts["al-Ba'aj"]["rescued"] == 1
    assert districts["Total"]["kidnapped"] == 9
    subdistricts = by_first(run("breakdown_by_place", level="subdistrict"))
    assert (
        subdistricts["Sinjar centre"]["kidnapped"] == 6 and subdistricts["Sinuni"]["kidnapped"] == 1
    )
    villages = by_first(run("breakdown_by_place", level="village"))
    assert villages["Kocho"]["kidnapped"] == 5 and villages["Hardan"]["kidnapped"] == 1
    assert villages["Not recorded at this level"]["kidnapped"] == 1  # the sub-district origin
    offices_table = by_first(run("breakdown_by_office"))
    assert offices_table["Duhok"]["kidnapped"] == 9
    ages = by_first(run("breakdown_by_age_group"))
    assert ages["5-9"]["kidnapped"] == 1 and ages["15-17"]["kidnapped"] == 1
    assert ages["Age not recorded"]["kidnapped"] == 1
    assert ages["Total"]["kidnapped"] == 9


def test_graves_by_status_and_district_as_of_their_dates(make_site, places):
    make_site(reported_on=D(2015, 1, 1))
    make_site(reported_on=D(2015, 1, 1), confirmed_on=D(2016, 1, 1))
    make_site(reported_on=D(2015, 1, 1), confirmed_on=D(2016, 1, 1), opened_on=D(2019, 5, 1))
    make_site(place=places["siba"], reported_on=D(2017, 1, 1), confirmed_on=D(2017, 2, 1))
    now = by_first(run("grave_sites_by_district"))
    assert now["Sinjar"] | {} == {
        "district": "Sinjar",
        "reported": 3,
        "suspected": 1,
        "unopened": 1,
        "opened": 1,
        "confirmed": 2,
    }
    assert now["al-Ba'aj"]["unopened"] == 1 and now["Total"]["reported"] == 4
    then = by_first(run("grave_sites_by_district", D(2016, 6, 1)))
    assert then["Sinjar"]["opened"] == 0 and then["Sinjar"]["unopened"] == 2
    assert "al-Ba'aj" not in then  # reported later
    unopened = run("grave_sites_unopened", D(2018, 1, 1))
    assert len(unopened.rows) == 3  # the opened one was still unopened in 2018
    assert len(run("grave_sites_unopened").rows) == 2
    yearly = by_first(run("grave_sites_over_time", grouping="year"))
    assert yearly["2016"]["confirmed"] == 2 and yearly["2019"]["opened"] == 1
    assert yearly["Total"]["reported"] == 4


def test_remains_awaiting_identification_over_time_and_batches(
    make_site, make_remains, identify, hand_over, make_case
):
    site = make_site(confirmed_on=D(2015, 6, 1), opened_on=D(2019, 1, 1))
    remains = [make_remains(site, D(2019, 3, 1)) for _ in range(4)]
    make_remains(site, D(2022, 1, 1))
    kocho = [make_case(sex="male") for _ in range(3)]
    ids = [identify(case, r, D(2020, 5, 1)) for case, r in zip(kocho, remains, strict=False)]
    hand_over(ids[0], D(2021, 2, 6), "Kocho reburial")
    hand_over(ids[1], D(2021, 2, 6), "Kocho reburial")
    awaiting = run("remains_awaiting_identification", D(2021, 1, 1)).rows
    assert awaiting[0][3:] == (4, 3, 1)
    assert run("remains_awaiting_identification", D(2020, 4, 30)).rows[0][3:] == (4, 0, 4)
    assert run("remains_awaiting_identification").rows[-1][3:] == (5, 3, 2)  # total row
    series = by_first(run("remains_over_time", grouping="year"))
    assert series["2019"]["exhumed"] == 4 and series["2020"]["identified"] == 3
    assert series["2021"]["returned"] == 2 and series["2022"]["exhumed"] == 1
    batches = run("reburial_batches").rows
    assert batches[0][:5] == ("2021-02-06", "Kocho reburial", 2, 0, 2)
    assert run("reburial_batches", D(2021, 2, 5)).rows[-1][2] == 0


def test_aid_per_programme_and_month_without_reversed_payments(make_case, pay):
    survivor, other = make_case(), make_case()
    for case in (survivor, other):
        transition(case, EventType.RESCUED, "2016-01-01")
    pay(survivor, D(2024, 1, 1), D(2024, 1, 20))
    pay(survivor, D(2024, 2, 1), D(2024, 2, 20))
    pay(other, D(2024, 2, 1), D(2024, 2, 20), reversed_on=D(2024, 3, 5))
    monthly = {row[1]: row for row in run("aid_disbursed", grouping="month").rows}
    assert monthly["2024-01"][2:5] == (1, 1, 1000)
    assert monthly["2024-02"][2:5] == (1, 1, 1000)  # the reversal counts no more
    before_reversal = {row[1]: row for row in run("aid_disbursed", D(2024, 3, 1)).rows}
    assert before_reversal["2024-02"][2:5] == (2, 2, 2000)
    yearly = run("aid_disbursed", D(2024, 3, 1), grouping="year").rows
    assert yearly[0][2:5] == (2, 3, 3000)  # two survivors, three payments
    assert run("aid_disbursed", D(2024, 1, 19)).rows == []
    assert Decimal(monthly["2024-01"][4]) == Decimal("1000")


def test_dna_coverage_counts_sampled_relatives_of_the_still_missing(make_case, add_relative):
    none, one, two, three = (make_case() for _ in range(4))
    rescued = make_case()
    transition(rescued, EventType.RESCUED, "2016-01-01")
    add_relative(none)  # recorded, never sampled
    add_relative(none, samples=[D(2019, 1, 1)], status="destroyed")  # consent withdrawn
    add_relative(one, two, samples=[D(2019, 1, 1), D(2019, 2, 1)])  # one person, two samples
    add_relative(two, samples=[D(2020, 1, 1)])
    for _ in range(3):
        add_relative(three, samples=[D(2019, 1, 1)])
    add_relative(rescued, samples=[D(2019, 1, 1)])
    coverage = {row[0]: row[2] for row in run("dna_coverage").rows}
    assert coverage == {"0": 1, "1": 1, "2": 1, "3+": 1, "": 4}
    # before the 2020 sample, `two` had one sampled relative
    assert {row[0]: row[2] for row in run("dna_coverage", D(2019, 6, 1)).rows}["1"] == 2
    assert {row[0]: row[2] for row in run("dna_coverage", D(2018, 1, 1)).rows}["0"] == 4


def test_map_places_grave_sites_and_villages_with_coordinates(make_site, places, make_case):
    make_site(confirmed_on=D(2016, 1, 1), latitude="36.30000", longitude="41.70000")
    make_site(place=places["siba"])  # no own coordinates: drawn at its village
    make_case(origin=places["hardan"])
    rows = run("grave_site_map").as_dicts()
    sites = [row for row in rows if row["marker"] != "village"]
    villages = [row for row in rows if row["marker"] == "village"]
    assert {(s["marker"], s["latitude"]) for s in sites} == {
        ("confirmed", 36.3),
        ("suspected", 36.15),
    }
    assert [(v["name"], v["kidnapped"]) for v in villages] == [("Hardan", 1)]


def test_every_report_answers_on_an_empty_database(db):
    for key in REPORTS:
        table = run(key)
        assert table.key == key and table.as_of == TODAY


def _queries(key):
    with CaptureQueriesContext(connection) as captured:
        list(run(key).rows)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_records(
    make_case, make_site, make_remains, add_relative, places
):
    def add_records(n):
        for i in range(n):
            case = make_case(origin=places["siba" if i % 2 else "hardan"], age_at_abduction=i * 7)
            transition(case, EventType.RESCUED, f"{2015 + i}-0{1 + i % 9}")
            site = make_site(place=places["siba"], confirmed_on=D(2016, 1, 1))
            make_remains(site, D(2016 + i, 1, 1))
            add_relative(make_case(), samples=[D(2019, 1, 1)])

    add_records(1)
    before = {key: _queries(key) for key in REPORTS}
    add_records(6)
    after = {key: _queries(key) for key in REPORTS}
    assert before == after
