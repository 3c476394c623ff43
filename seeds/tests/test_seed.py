"""The seed: deterministic, synthetic, and adding up to the published figures at their dates."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Q

from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from cases.services import case_transition
from families.models import Relative
from reports.metrics import FigureComputer
from reports.selectors import CONFLICT, MATCH, NOT_PUBLISHED, NOT_TRACKED, figures_reconcile
from seeds import loader
from seeds.generator import SYNTHETIC_NOTE

pytestmark = pytest.mark.usefixtures("seeded")

SNAPSHOTS = [
    dt.date(2020, 9, 2),
    dt.date(2021, 2, 15),
    dt.date(2021, 8, 2),
    dt.date(2022, 10, 25),
    dt.date(2024, 12, 3),
    dt.date(2025, 3, 2),
]

EXPECTED_CONFLICTS = {
    "2019-12-31-kidnapped_total",
    "2024-07-31-mass_graves-92",
    "2024-07-31-mass_graves-94",
    "2024-07-31-mass_graves-95",
    "2024-07-31-mass_graves_unopened-37",
    "2024-08-03-still_missing_female",
    "2024-08-14-rescued_total",
    "2024-12-29-survivors_law_monthly_salary-statutory",
    "2025-02-13-reburial_batch-batch",
}


def fingerprint(population) -> list[tuple]:
    return [
        (
            h.case.case_number,
            h.case.given_name_latn,
            h.case.given_name_ar,
            h.case.sex,
            str(h.case.birth_date),
            h.case.age_at_abduction,
            h.case.origin.code,
            tuple((e.type, str(e.on)) for e in h.events),
        )
        for h in population.histories
    ] + [
        (d.case.case_number, d.programme.code, d.period, d.status) for d in population.disbursements
    ]


def test_generator_is_deterministic(db):
    first, second = loader.generate_population(0), loader.generate_population(0)
    assert fingerprint(first) == fingerprint(second)
    assert [h.case.pk for h in first.histories] == [h.case.pk for h in second.histories]
    # And the database holds exactly what the generator produces.
    stored = set(Case.objects.values_list("case_number", "status"))
    assert {(h.case.case_number, h.case.status) for h in first.histories} <= stored | {
        (h.case.case_number, Status.MISSING) for h in first.histories
    }
    assert len(stored) == len(first.histories)


def test_another_copy_is_a_distinct_population_of_the_same_shape(db):
    base, other = loader.generate_population(0), loader.generate_population(1)
    assert len(other.histories) == len(base.histories)
    assert all(h.case.case_number.startswith("X1-") for h in other.histories)
    assert fingerprint(other) != fingerprint(base)

    def females(population) -> int:  # duplicates (closed records) aside
        return sum(
            1
            for h in population.histories
            if h.case.sex == "female" and h.events[-1].type != EventType.CLOSED_DUPLICATE
        )

    assert females(other) == females(base) == 3548


def test_every_section_2_snapshot_is_reproduced_and_section_4_shown_as_conflicts(db):
    results = figures_reconcile()
    by_status: dict[str, set[str]] = {}
    for result in results:
        by_status.setdefault(result.status, set()).add(result.ref)
    assert "mismatch" not in by_status, by_status.get("mismatch")
    assert by_status[CONFLICT] == EXPECTED_CONFLICTS
    snapshot_refs = {
        r.ref for r in results if r.as_of in SNAPSHOTS and not r.key.startswith("displaced")
    }
    assert snapshot_refs <= by_status[MATCH] | by_status[NOT_PUBLISHED]
    assert {r.key for r in results if r.status == NOT_TRACKED} == {
        "displaced_in_camps",
        "displaced_outside_camps",
    }
    assert len(by_status[MATCH]) >= 95


@pytest.mark.parametrize("day", SNAPSHOTS)
def test_identity_of_section_1_holds_at_every_snapshot(db, day):
    counts = FigureComputer().cases(day)
    assert counts["kidnapped_total"] == 6417
    assert counts["kidnapped_total"] == (
        counts["rescued_total"] + counts["remains_returned"] + counts["still_missing"]
    )
    for sex, kidnapped in (("female", 3548), ("male", 2869)):
        assert counts[f"kidnapped_{sex}"] == kidnapped
        assert kidnapped == (
            counts[f"rescued_{sex}"]
            + counts[f"remains_returned_{sex}"]
            + counts[f"still_missing_{sex}"]
        )
    assert counts["rescued_total"] == (
        counts["rescued_women"]
        + counts["rescued_men"]
        + counts["rescued_girls"]
        + counts["rescued_boys"]
    )


@pytest.mark.parametrize("day", SNAPSHOTS)
def test_milestones_agree_with_the_timeline_events(db, day):
    """The dated milestones the figures read are the events' dates: count rescues from events."""
    from_events = (
        CaseEvent.objects.filter(type=EventType.RESCUED, date_upper__lte=day)
        .exclude(case__status=Status.CLOSED_DUPLICATE)
        .values("case")
        .distinct()
        .count()
    )
    assert from_events == FigureComputer().cases(day)["rescued_total"]
    returned = (
        CaseEvent.objects.filter(type=EventType.REMAINS_RETURNED, date_upper__lte=day)
        .values("case")
        .distinct()
        .count()
    )
    assert returned == FigureComputer().cases(day)["remains_returned"]


def test_no_count_ever_decreases(db):
    computer = FigureComputer()
    days = [dt.date(year, month, 1) for year in range(2014, 2027) for month in (1, 4, 7, 10)]
    rising = [
        "kidnapped_total",
        "rescued_total",
        "rescued_women",
        "rescued_men",
        "rescued_girls",
        "rescued_boys",
        "remains_returned",
        "mass_graves",
        "mass_graves_opened",
        "grave_sites_suspected",
        "remains_exhumed",
        "remains_identified",
        "reference_samples_collected",
        "survivors_law_approved",
    ]
    for key in rising:
        values = [computer.value(key, day) for day in days]
        assert values == sorted(values), key
    missing = [computer.value("still_missing", day) for day in days if day.year >= 2015]
    assert missing == sorted(missing, reverse=True)


def test_records_are_synthetic(db):
    assert not Case.objects.filter(is_synthetic=False).exists()
    assert not Case.objects.exclude(captivity_notes=SYNTHETIC_NOTE).exists()
    assert not Relative.objects.exclude(phone__startswith="+964 750 555 ").exists()
    assert not Relative.objects.exclude(address__endswith="(synthetic address)").exists()


def test_duplicates_are_closed_and_not_counted(db):
    duplicates = Case.objects.filter(status=Status.CLOSED_DUPLICATE)
    assert duplicates.count() == 12
    assert not duplicates.filter(duplicate_of__isnull=True).exists()
    assert Case.objects.count() == 6417 + 12


def test_figures_command_exits_0_and_prints_json(db):
    out = io.StringIO()
    call_command("figures", "--json", stdout=out)
    figures = json.loads(out.getvalue())["figures"]
    assert {
        "key",
        "label",
        "as_of",
        "published",
        "relation",
        "computed",
        "status",
        "publisher",
        "source_url",
        "note",
    } <= set(figures[0])
    rescued = next(f for f in figures if f["key"] == "rescued_total" and f["as_of"] == "2024-12-03")
    assert (rescued["published"], rescued["computed"], rescued["status"]) == (3579, 3579, "match")


def test_figures_command_as_of_one_day(db):
    out = io.StringIO()
    call_command("figures", "--as-of", "2020-09-02", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("2020-09-02")]
    assert lines and all("match" in line for line in lines)
    assert "2021-02-15" not in out.getvalue()


def test_changing_a_record_changes_the_computed_figure(db):
    case = Case.objects.filter(status=Status.MISSING).order_by("case_number").first()
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2024-12-01", actor=None, source="test"
    )
    assert FigureComputer().value("rescued_total", dt.date(2024, 12, 3)) == 3580
    assert FigureComputer().value("rescued_total", dt.date(2024, 8, 14)) == 3577
    with pytest.raises(SystemExit) as exit_info:
        call_command("figures", "--as-of", "2024-12-03", stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_info.value.code == 1


def test_seed_is_idempotent(db):
    before = (Case.objects.count(), CaseEvent.objects.count())
    out = io.StringIO()
    call_command("seed", "--no-progress", stdout=out)
    assert "already loaded" in out.getvalue()
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_every_returned_case_was_identified_from_remains_recovered_before(db):
    from families.models import Handover

    for handover in Handover.objects.select_related("identification__remains", "case"):
        identification = handover.identification
        assert identification.case_id == handover.case_id
        assert identification.remains.recovered_on < identification.identified_on
        assert identification.confirmed_on <= handover.handed_over_on
        assert handover.case.remains_identified_on == identification.identified_on
    assert not Case.objects.filter(
        Q(rescued_on__isnull=False), Q(remains_identified_on__isnull=False)
    ).exists()


def test_places_have_uuids_stable_across_installations(db):
    import uuid

    from gazetteer.models import Place

    kocho = Place.objects.get(code="kocho")
    assert kocho.pk == uuid.uuid5(loader.PLACE_NAMESPACE, "kocho")
    assert kocho.parent.parent.code == "sinjar"
