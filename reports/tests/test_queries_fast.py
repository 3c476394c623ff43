"""The map of villages, the DNA coverage, the worklist, the funnel and the breakdowns, rewritten
for a million cases (docs/performance.md, "Reports at 1,000,000 cases"), answer what the first
implementations answered, on data made to trip them: cases with several relatives and
relatives of several cases, samples destroyed, failed or collected later, relatives with
several samples, duplicates, cases no longer missing, cases abducted after the day, cases from
places above the village level, of every sex and age, and case numbers whose order depends on
the collation."""

import datetime as dt
import random

import pytest
from django.db.models import Count, Exists, F, OuterRef, Q

from access import policy
from access.services import user_create
from audit.models import AuditEntry
from cases.lifecycle import Status
from cases.models import Case, Office
from families.models import Kinship, ReferenceSample, Relative
from gazetteer.models import Place
from graves.models import Identification, Remains
from reports.metrics import case_conditions, counted_cases
from reports.queries import families, people
from reports.queries._common import DISTRICT, SUBDISTRICT, VILLAGE, place_at_level, place_names
from reports.registry import REPORTS
from reports.tests.test_metrics_fast import varied_cases

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
            age_at_abduction=rng.choice([None, 4, 17, 18, 61]),
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


def worklist_before(user, as_of: dt.date) -> tuple[list[tuple], list[str]]:
    """The first implementation's rows and audited ids: the listed cases and their names read
    in one query, the sampled and the recorded relatives in two more, sorted in Python."""
    visible = families._still_missing(as_of).filter(
        pk__in=policy.cases_visible_to(user).values("pk")
    )
    covered = families._sampled_per_case(visible, as_of).filter(n__gte=2).values("case")
    listed = visible.exclude(pk__in=covered)
    cases = list(
        listed.values(
            "pk", "case_number", "office_id", "office__name", "origin__name_latn", "status"
        )
    )
    sampled = {row["case"]: row["n"] for row in families._sampled_per_case(listed, as_of)}
    recorded = dict(
        Kinship.objects.filter(case__in=listed.values("pk"))
        .values("case")
        .annotate(n=Count("relative", distinct=True))
        .values_list("case", "n")
    )
    for case in cases:
        case["sampled"] = sampled.get(case["pk"], 0)
        case["recorded"] = recorded.get(case["pk"], 0)
    cases.sort(key=lambda case: (case["sampled"], case["case_number"]))
    shown = [f for f in families.WORKLIST_FIELDS if f in policy.case_fields_any(user)]
    labels = dict(Case._meta.get_field("status").choices)
    rows = []
    for case in cases:
        may_see = policy.case_fields_for(
            user, Case(pk=case["pk"], office_id=case["office_id"], status=case["status"])
        )
        values = {
            "case_number": case["case_number"],
            "office": case["office__name"],
            "origin": case["origin__name_latn"],
            "status": str(labels.get(case["status"], case["status"])),
        }
        rows.append(
            (
                *(values[f] if f in may_see else None for f in shown),
                case["sampled"],
                case["recorded"],
            )
        )
    return rows, [str(case["pk"]) for case in cases]


def test_worklist_answers_and_audits_as_before(tricky):
    users = [
        user_create(username="caseworker-dhk", role="caseworker", offices=["DHK"]),
        user_create(username="supervisor-both", role="supervisor", offices=["DHK", "SNJ"]),
        user_create(username="forensic-fast", role="forensic"),
        user_create(username="aid-dhk", role="aid_officer", offices=["DHK"]),
    ]
    # Case numbers a linguistic collation orders otherwise than Python (case, punctuation,
    # accents), on listed cases: the worklist keeps Python's order of strings.
    tricky_numbers = ["b-2", "B-1", "a_3", "A-4", "É-5", "e-6", "T-00001a"]
    _rows, listed_ids = worklist_before(users[1], DAYS[-1])
    for pk, number in zip(listed_ids, tricky_numbers, strict=False):
        Case.objects.filter(pk=pk).update(case_number=number)
    listed = 0
    for user in users:
        for day in DAYS:
            rows_before, ids_before = worklist_before(user, day)
            table = run("dna_worklist", day, user)
            assert table.rows == rows_before, (user.username, day)
            entry = AuditEntry.objects.filter(actor_username=user.username).order_by("-sequence")
            audited = entry.first().changes["ids"] if rows_before else []
            assert audited == ids_before, (user.username, day)
            listed += len(rows_before)
    assert listed
    # The data trips the order: case numbers sorted by code point, not by a collation.
    numbers = [row[0] for row in run("dna_worklist", DAYS[-1], users[1]).rows]
    assert set(tricky_numbers) <= set(numbers)


def test_the_worklists_first_cases_are_the_first_of_the_whole_list(tricky):
    """The page and the API show the first cases of the worklist (Report.shows_at_most) found
    without counting every case's relatives: the same rows, in the same order, as the head of
    the whole list, with a note when there are more, and only those cases audited."""
    users = [
        user_create(username="caseworker-head", role="caseworker", offices=["DHK"]),
        user_create(username="supervisor-head", role="supervisor", offices=["DHK", "SNJ"]),
        user_create(username="forensic-head", role="forensic"),
    ]
    # Case numbers whose order differs between code points and a linguistic collation.
    _rows, listed_ids = worklist_before(users[1], DAYS[-1])
    for pk, number in zip(listed_ids, ["b-2", "B-1", "a_3", "A-4", "É-5", "e-6"], strict=False):
        Case.objects.filter(pk=pk).update(case_number=number)
    report = REPORTS["dna_worklist"]
    tried = set()
    for user in users:
        for day in DAYS:
            whole = report.compute(user, day)
            for limit in (1, 2, 5, len(whole.rows) - 1, len(whole.rows), len(whole.rows) + 3):
                if limit < 1:
                    continue
                head = families.dna_worklist(user, day, limit=limit)
                assert head.rows == whole.rows[:limit], (user.username, day, limit)
                more = len(whole.rows) > limit
                assert any("Only the first" in note for note in head.notes) == more
                audited = AuditEntry.objects.filter(actor_username=user.username).order_by(
                    "-sequence"
                )
                if head.rows:
                    assert len(audited.first().changes["ids"]) == len(head.rows)
                tried.add((more, any(row[-2] == 1 for row in head.rows)))
    # Heads cut short and whole, and heads reaching the cases with one sampled relative.
    assert {more for more, _one in tried} == {True, False}
    assert any(one for _more, one in tried)
    # The page and the API show at most the report's limit.
    assert (
        report.compute_shown(users[1], DAYS[-1]).rows
        == report.compute(users[1], DAYS[-1]).rows[: report.shows_at_most]
    )


# -- the funnel and the breakdowns ---------------------------------------------------------------


def funnel_rows_before(as_of: dt.date) -> list[tuple]:
    """The first implementation: one filtered COUNT per stage and split."""
    conditions = case_conditions(as_of)
    stages = [
        ("rescued", conditions["rescued_total"]),
        ("remains_returned", conditions["remains_returned"]),
        ("still_missing", conditions["still_missing"]),
        ("kidnapped", Q()),
    ]
    counts = counted_cases(as_of).aggregate(
        **{
            f"{stage}__{split}": Count("pk", filter=(stage_q & split_q) or None)
            for stage, stage_q in stages
            for split, split_q in people.SPLITS.items()
        }
    )
    return [
        (stage, *(counts[f"{stage}__{split}"] for split in people.SPLITS)) for stage, _q in stages
    ]


def grouped_before(as_of: dt.date, group) -> list[dict]:
    """The first implementation of the breakdowns: the cases grouped by `group`, one filtered
    COUNT per measure, groups in their order."""
    conditions = case_conditions(as_of)
    measures = {
        "kidnapped": Count("pk"),
        "rescued": Count("pk", filter=conditions["rescued_total"]),
        "remains_returned": Count("pk", filter=conditions["remains_returned"]),
        "still_missing": Count("pk", filter=conditions["still_missing"]),
        "still_missing_female": Count("pk", filter=conditions["still_missing_female"]),
        "still_missing_male": Count("pk", filter=conditions["still_missing_male"]),
    }
    grouped = list(counted_cases(as_of).annotate(group=group).values("group").annotate(**measures))
    # The database's order of the groups (NULL last, as PostgreSQL puts it).
    return sorted(grouped, key=lambda g: (g["group"] is None, g["group"]))


def breakdown_rows_before(key: str, as_of: dt.date, level: str = "") -> list[tuple]:
    measures = [
        "kidnapped",
        "rescued",
        "remains_returned",
        "still_missing",
        "still_missing_female",
        "still_missing_male",
    ]
    if key == "breakdown_by_place":
        grouped = grouped_before(as_of, place_at_level("origin", level))
        names = place_names(g["group"] for g in grouped)
        unknown = "Not recorded at this level"
        rows = sorted(
            ((names.get(g["group"], unknown), *(g[m] for m in measures)) for g in grouped),
            key=lambda row: (row[0] == unknown, str(row[0])),
        )
    elif key == "breakdown_by_office":
        names = dict(Office.objects.values_list("pk", "name"))
        rows = sorted(
            (
                (names.get(g["group"], ""), *(g[m] for m in measures))
                for g in grouped_before(as_of, F("office"))
            ),
            key=lambda row: str(row[0]),
        )
    else:
        grouped = {g["group"]: g for g in grouped_before(as_of, people.age_group_expression())}
        rows = [
            (
                "Age not recorded" if label == people.UNKNOWN else label,
                *(grouped[label][m] for m in measures),
            )
            for _lower, label in [*people.AGE_GROUPS, (None, people.UNKNOWN)]
            if label in grouped
        ]
    return people._with_total(rows, 1)


def assert_people_reports_answer_as_before(days) -> None:
    for day in days:
        funnel = [(row[0], *row[2:]) for row in run("lifecycle_funnel", day).rows]
        assert funnel == funnel_rows_before(day), day
        for level in (DISTRICT, SUBDISTRICT, VILLAGE):
            rows = REPORTS["breakdown_by_place"].compute(None, day, level=level).rows
            assert rows == breakdown_rows_before("breakdown_by_place", day, level), (day, level)
        for key in ("breakdown_by_office", "breakdown_by_age_group"):
            assert run(key, day).rows == breakdown_rows_before(key, day), (key, day)


def test_funnel_and_breakdowns_answer_as_before_across_places(tricky):
    assert_people_reports_answer_as_before(DAYS)
    # Cases recorded above the village level, without a sex or an age, reach the reports.
    villages = REPORTS["breakdown_by_place"].compute(None, DAYS[-1], level=VILLAGE).rows
    assert villages[-2][0] == "Not recorded at this level"
    ages = [row[0] for row in run("breakdown_by_age_group", DAYS[-1]).rows]
    assert {"0-4", "15-17", "18-29", "60+", "Age not recorded"} <= set(ages)


def test_funnel_and_breakdowns_answer_as_before_in_every_state(make_case):
    """Every combination of milestones the database allows (rescued and returned at once,
    returned without an identification date, dates known to the month or year), on the days
    either side of the milestones."""
    rng = random.Random(20261126)
    dates = varied_cases(make_case, rng)
    days = {D(2014, 1, 1), dt.date.today()}
    days |= {d + dt.timedelta(days=shift) for d in rng.sample(dates, 8) for shift in (-1, 0)}
    assert_people_reports_answer_as_before(sorted(days))
    both = Case.objects.filter(rescued_on__isnull=False, remains_returned_on__isnull=False)
    assert both.exists()


# -- remains awaiting identification -------------------------------------------------------------


def awaiting_rows_before(as_of: dt.date) -> list[tuple]:
    """The first implementation: the identified remains counted by a FILTER of the grouping."""
    grouped = list(
        Remains.objects.filter(recovered_on__lte=as_of)
        .values("site", "site__code", "site__name")
        .annotate(
            district=place_at_level("site__place", DISTRICT),
            exhumed=Count("pk"),
            identified=Count(
                "pk",
                filter=Q(
                    Exists(
                        Identification.objects.filter(
                            remains=OuterRef("pk"), status="confirmed", identified_on__lte=as_of
                        )
                    )
                ),
            ),
        )
        .order_by("site__code")
    )
    names = place_names(g["district"] for g in grouped)
    return [
        (
            g["site__code"],
            g["site__name"],
            names.get(g["district"], ""),
            g["exhumed"],
            g["identified"],
            g["exhumed"] - g["identified"],
        )
        for g in grouped
    ]


def test_remains_awaiting_identification_answers_as_before(tricky, make_site, places):
    """Sites at every level of the gazetteer, remains recovered on many days, identifications
    confirmed, proposed or withdrawn, on days before and after the remains were recovered."""
    rng = random.Random(20261127)
    sites = [
        make_site(place=places["kocho"]),
        make_site(place=places["siba"]),
        make_site(place=places["centre"]),
        make_site(place=places["sinjar"]),
        make_site(place=places["hardan"]),  # no remains recovered yet on early days
    ]
    cases = iter(tricky)
    for number in range(60):
        remains = Remains.objects.create(
            code=f"R-F{number:03d}", site=rng.choice(sites), recovered_on=_day(rng)
        )
        for status in rng.sample(["confirmed", "proposed", "withdrawn", "withdrawn"], 2):
            if status != "withdrawn" and remains.identifications.exclude(status="withdrawn"):
                continue  # one case per remains
            if rng.random() < 0.5:
                identified_on = remains.recovered_on + dt.timedelta(rng.randrange(-50, 900))
                Identification.objects.create(
                    remains=remains,
                    case=next(cases),
                    method="dna_kinship",
                    status=status,
                    identified_on=identified_on,
                    confirmed_on=identified_on if status == "confirmed" else None,
                )
    # And the days either side of some identifications and recoveries, where counts change.
    edges = [i.identified_on for i in Identification.objects.all()[:6]]
    edges += [r.recovered_on for r in Remains.objects.all()[:4]]
    for day in DAYS + [edge + dt.timedelta(days=shift) for edge in edges for shift in (-1, 0)]:
        assert run("remains_awaiting_identification", day).rows[:-1] == awaiting_rows_before(day)
    rows = run("remains_awaiting_identification", DAYS[-1]).rows
    assert 0 < rows[-1][4] < rows[-1][3]  # some identified, some awaiting


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
