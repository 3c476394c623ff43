"""The map of villages and the DNA coverage, rewritten for a million cases (docs/performance.md,
"Reports at 1,000,000 cases"), answer what the first implementations answered, on data made
to trip them: cases with several relatives and relatives of several cases, samples destroyed,
failed or collected later, relatives with several samples, duplicates, cases no longer missing,
cases abducted after the day and cases from places above the village level."""

import datetime as dt
import random

import pytest
from django.db.models import Count, F

from access.services import user_create
from cases.lifecycle import Status
from cases.models import Case
from families.models import Kinship, ReferenceSample, Relative
from gazetteer.models import Place
from reports.metrics import counted_cases
from reports.queries import families
from reports.queries._common import DISTRICT, place_at_level, place_names
from reports.registry import REPORTS

D = dt.date
DAYS = [D(2014, 8, 1), D(2015, 6, 1), D(2017, 1, 1), D(2019, 6, 1), D(2022, 3, 1), dt.date.today()]


def _day(rng: random.Random) -> dt.date:
    return D(2014, 6, 1) + dt.timedelta(days=rng.randrange(0, 3800))


@pytest.fixture
def tricky(make_case, places, offices):
    """Cases in every state that matters here, from villages and from places above them, and
    relatives linked to one to three cases with samples in every status."""
    rng = random.Random(20261125)
    uncharted = Place.objects.create(
        code="uncharted", kind="village", name_latn="Zorava", parent=places["centre"]
    )  # no coordinates
    origins = [
        places["kocho"],
        places["siba"],
        places["hardan"],
        uncharted,
        places["centre"],  # a sub-district
        places["sinjar"],  # a district
    ]
    cases = []
    for number in range(80):
        case = make_case(
            sex=rng.choice(["female", "male", "unknown"]),
            origin=rng.choice(origins),
            office=offices["duhok" if number % 3 else "sinjar"],
            abducted_on=rng.choice(["2014-08-03", "2014-08", "2014", "2016-05-02", "2018"]),
            reported_on="2018-06-01",
        )
        milestones: dict = {}
        kind = number % 5
        if kind == 1:
            milestones["rescued_on"] = _day(rng)
        elif kind == 2:
            milestones["remains_identified_on"] = identified = _day(rng)
            if rng.random() < 0.6:
                milestones["remains_returned_on"] = identified + dt.timedelta(rng.randrange(500))
        if milestones:
            Case.objects.filter(pk=case.pk).update(**milestones)
        if number % 9 == 4:
            Case.objects.filter(pk=case.pk).update(
                status=Status.CLOSED_DUPLICATE, duplicate_of=cases[0], closed_on=_day(rng)
            )
        cases.append(case)
    for _number in range(70):
        relative = Relative.objects.create(full_name_latn="Relative", sex="female")
        for case in rng.sample(cases, rng.choice([1, 1, 2, 3])):
            Kinship.objects.create(case=case, relative=relative, relationship="sibling")
        for _sample in range(rng.choice([0, 1, 1, 2, 3])):
            ReferenceSample.objects.create(
                relative=relative,
                collected_on=_day(rng),
                status=rng.choice(ReferenceSample.Status.values),
            )
    return cases


def run(key, as_of, user=None):
    return REPORTS[key].compute(user, as_of)


# -- the DNA coverage and the worklist ----------------------------------------------------------


def sampled_per_case_before(cases, as_of: dt.date):
    """The first implementation: kinships joined to every sample, distinct relatives counted."""
    return (
        Kinship.objects.filter(
            case__in=cases.values("pk"),
            relative__samples__collected_on__lte=as_of,
            relative__samples__status__in=families.USABLE,
        )
        .values("case")
        .annotate(n=Count("relative", distinct=True), sex=F("case__sex"))
    )


def test_sampled_relatives_per_case_are_counted_as_before(tricky):
    for day in DAYS:
        cases = Case.objects.all()
        before = {(r["case"], r["sex"], r["n"]) for r in sampled_per_case_before(cases, day)}
        after = {(r["case"], r["sex"], r["n"]) for r in families._sampled_per_case(cases, day)}
        assert after == before, day
    # The data trips what it should: several relatives, destroyed samples, shared relatives.
    assert max(r["n"] for r in families._sampled_per_case(Case.objects.all(), DAYS[-1])) >= 3
    assert ReferenceSample.objects.filter(status__in=families.NOT_USABLE).exists()
    shared = Kinship.objects.values("relative").annotate(n=Count("case")).filter(n__gt=1)
    assert shared.exists()


def test_dna_coverage_and_worklist_answer_as_before(tricky, monkeypatch):
    worker = user_create(username="caseworker-fast", role="caseworker", offices=["DHK"])
    after = {
        day: (run("dna_coverage", day).rows, run("dna_worklist", day, worker).rows) for day in DAYS
    }
    monkeypatch.setattr(families, "_sampled_per_case", sampled_per_case_before)
    before = {
        day: (run("dna_coverage", day).rows, run("dna_worklist", day, worker).rows) for day in DAYS
    }
    assert after == before
    # Every bucket is reached on some day, and the worklist lists cases.
    assert {row[0] for day in DAYS for row in after[day][0] if row[2]} >= {"0", "1", "2", "3+"}
    assert any(after[day][1] for day in DAYS)


# -- the map ------------------------------------------------------------------------------------


def village_rows_before(as_of: dt.date) -> list[tuple]:
    """The first implementation's villages: the cases joined to their village and grouped by
    the village's name, coordinates and district."""
    villages = list(
        counted_cases(as_of)
        .filter(origin__kind=Place.Kind.VILLAGE)
        .values("origin")
        .annotate(
            kidnapped=Count("pk"),
            name=F("origin__name_latn"),
            lat=F("origin__latitude"),
            lon=F("origin__longitude"),
            district=place_at_level("origin", DISTRICT),
        )
        .order_by("origin__name_latn")
    )
    names = place_names([v["district"] for v in villages] + [v["origin"] for v in villages])
    return [
        (
            "Village of origin",
            names.get(v["origin"], v["name"]),
            names.get(v["district"], ""),
            "",
            "village",
            v["kidnapped"],
            None if v["lat"] is None else float(v["lat"]),
            None if v["lon"] is None else float(v["lon"]),
        )
        for v in villages
    ]


def test_map_villages_answer_as_before(tricky, make_site, places):
    make_site(place=places["siba"], confirmed_on=D(2016, 1, 1))
    make_site(place=places["centre"], latitude="36.30000", longitude="41.70000")
    for day in DAYS:
        rows = run("grave_site_map", day).rows
        villages = [row for row in rows if row[4] == "village"]
        assert villages == village_rows_before(day), day
    assert {row[1] for row in villages} == {"Kocho", "Siba Sheikh Khidir", "Hardan", "Zorava"}
    assert any(row[6] is None for row in villages)
