"""`seed --copies N` writes N copies with the same proportions; `seed --scale N` adds N cases for
load tests (seeds.scale) that keep every invariant of the normal seed."""

import datetime as dt
from collections import defaultdict

import pytest
from django.core.management import call_command

from audit.chain import verify_chain
from cases.lifecycle import MILESTONE_FIELD, CaseState, plan_transition
from cases.models import Case, CaseEvent
from families.models import Handover
from families.services import handover_check
from graves.models import Identification
from reports.metrics import FigureComputer
from seeds.scale import FEED_RESOURCES, PREFIX
from sync.models import FeedEntry


@pytest.mark.django_db
def test_copies_two_doubles_every_count_and_keeps_proportions():
    call_command("seed", "--copies", "2", "--no-progress", verbosity=0)
    counts = FigureComputer().cases(dt.date(2024, 12, 3))
    assert counts["kidnapped_total"] == 2 * 6417
    assert counts["rescued_total"] == 2 * 3579
    assert counts["remains_returned"] == 2 * 243
    assert Case.objects.filter(case_number__startswith="X1-").count() == 6417 + 12


def _assert_timelines_are_the_lifecycles(cases):
    """Replaying each case's events through the lifecycle gives its status, milestones and
    version: what case_histories_bulk_create would have stored."""
    events = defaultdict(list)
    for event in CaseEvent.objects.filter(case__in=cases).order_by("case_id", "sequence"):
        events[event.case_id].append(event)
    for case in cases:
        state = CaseState(status=None, abducted_on=case.abducted_on)
        milestones = dict.fromkeys(MILESTONE_FIELD.values())
        for sequence, event in enumerate(events[case.pk], 1):
            assert event.sequence == sequence
            plan = plan_transition(state, event.type, event.date)
            assert (event.from_status, event.to_status) == (plan.from_status or "", plan.to_status)
            assert (event.date_lower, event.date_upper) == (event.date.lower(), event.date.upper())
            milestones.update(plan.milestone_updates)
            state = state.after(plan)
        assert case.status == state.status, case.case_number
        assert {name: getattr(case, name) for name in milestones} == milestones
        assert case.version == len(events[case.pk])
        assert case.abducted_by == case.abducted_on.upper()
        assert case.search_name == Case._meta.get_field("search_name").key_for(case)


@pytest.mark.django_db
def test_scale_adds_consistent_cases_and_adds_on_top_when_run_again():
    call_command("seed", "--scale", "200", "--audit-per-case", "2", "--no-progress", verbosity=0)
    cases = list(Case.objects.filter(case_number__startswith=PREFIX))
    assert len(cases) == 200
    assert all(case.is_synthetic for case in cases)
    assert {case.status for case in cases} >= {"missing", "rescued", "reported_dead"}
    _assert_timelines_are_the_lifecycles(cases)

    # Identifications are confirmed, one per remains, and handovers follow the service's rules.
    for identification in Identification.objects.filter(case__in=cases):
        assert identification.case.status in {"remains_identified", "remains_returned"}
    for handover in Handover.objects.filter(case__in=cases).select_related(
        "identification", "receiving_relative"
    ):
        handover_check(
            case=handover.case,
            identification=handover.identification,
            handed_over_on=handover.handed_over_on,
            receiving_relative=handover.receiving_relative,
        )
        assert handover.case.status == "remains_returned"

    # Every record the feed serves has its entry, numbered without gaps; the chain is intact.
    for model, resource in FEED_RESOURCES.items():
        stored = set(model.objects.values_list("pk", flat=True))
        fed = set(FeedEntry.objects.filter(resource=resource).values_list("record_id", flat=True))
        assert stored <= fed, resource
    # The load numbers its entries from the current end, cases first, without gaps (the rest of
    # the feed may have gaps: a record that changes again moves to the end).
    first = min(
        FeedEntry.objects.filter(resource="cases", record_id__in=[c.pk for c in cases]).values_list(
            "seq", flat=True
        )
    )
    seqs = sorted(FeedEntry.objects.filter(seq__gte=first).values_list("seq", flat=True))
    assert seqs == list(range(first, first + len(seqs)))
    report = verify_chain()
    assert report.intact, report.problem
    assert report.entries >= 400

    call_command("seed", "--scale", "50", "--no-progress", verbosity=0)
    numbers = sorted(
        Case.objects.filter(case_number__startswith=PREFIX).values_list("case_number", flat=True)
    )
    assert len(numbers) == len(set(numbers)) == 250
    assert max(int(number.rsplit("-", 1)[1]) for number in numbers) == 250
    assert verify_chain().intact
