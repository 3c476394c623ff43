"""`seed --copies N` writes N copies with the same proportions; `seed --scale N` adds N cases for
load tests (seeds.scale) that keep every invariant of the normal seed."""

import datetime as dt
import itertools
import uuid
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection

from audit.chain import verify_chain
from audit.models import AuditEntry
from cases.lifecycle import MILESTONE_FIELD, CaseState, plan_transition
from cases.models import Case, CaseEvent
from families.models import Handover, Kinship
from families.services import handover_check
from graves.models import Identification
from reports.metrics import FigureComputer
from seeds import scale
from seeds.scale import COLUMNS, FEED_RESOURCES, PREFIX, WRITE_ORDER, ScaleBatch, ScaleLoader
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


# --- the bulk path: indexes and foreign keys dropped for the load, created again after it ------

SCALE_TABLES = [model._meta.db_table for model in [*WRITE_ORDER, AuditEntry]]
_PUBLIC = "(SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)"


def _schema():
    """Every index (definition, valid and ready), constraint (definition, validated) and
    trigger (what it is for, enabled) of the database's tables, by what they are rather than by
    their OIDs, which change when they are created again."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid), indisvalid, indisready FROM pg_index "
            f"WHERE indrelid IN {_PUBLIC}"
        )
        indexes = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            f"FROM pg_constraint WHERE conrelid IN {_PUBLIC}"
        )
        constraints = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT g.tgrelid::regclass::text, coalesce(c.conname, g.tgname), "
            "g.tgfoid::regproc::text, g.tgenabled FROM pg_trigger g "
            "LEFT JOIN pg_constraint c ON c.oid = g.tgconstraint "
            f"WHERE g.tgrelid IN {_PUBLIC}"
        )
        triggers = sorted(cursor.fetchall())
    assert all(valid and ready for _definition, valid, ready in indexes)
    assert all(validated for *_names, validated in constraints)
    assert all(enabled == "O" for *_names, enabled in triggers)
    return indexes, constraints, triggers


def _scale_load(count, **options):
    return ScaleLoader(**options).load(count)


@pytest.mark.django_db
def test_bulk_load_creates_every_index_and_key_again_and_keeps_the_invariants(gazetteer, offices):
    before = _schema()
    # Several batches: each built in the builder thread while the one before is written.
    result = _scale_load(300, audit_per_case=3, batch_size=64, rebuild=True)
    assert result.cases == 300
    if connection.vendor == "postgresql":
        assert result.rebuilt == sorted(SCALE_TABLES)
    assert _schema() == before
    cases = list(Case.objects.filter(case_number__startswith=PREFIX))
    _assert_timelines_are_the_lifecycles(cases)
    assert verify_chain().intact
    if connection.vendor == "postgresql":
        # COPY fires the name-search triggers too (cases migration 0007): every word is known.
        words = {word for case in cases for word in case.search_name.split()}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM cases_nameword WHERE word = ANY(%s)", [list(words)]
            )
            assert cursor.fetchone()[0] == len(words)
    seqs = list(FeedEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))

    # A smaller load on top keeps the indexes in place (CREATE INDEX counted the rows).
    assert _scale_load(100, audit_per_case=1).rebuilt == []
    assert _schema() == before
    assert Case.objects.filter(case_number__startswith=PREFIX).count() == 400
    assert verify_chain().intact


def _fails_in_second_batch(monkeypatch):
    build, calls = ScaleBatch.build, itertools.count()

    def failing(batch):
        if next(calls) == 1:
            raise RuntimeError("the load fails midway")
        return build(batch)

    monkeypatch.setattr(ScaleBatch, "build", failing)


def _adds_a_duplicate_kinship(monkeypatch):
    """A row that only the unique index, dropped during the load, refuses."""
    build = ScaleBatch.build

    def duplicating(batch):
        build(batch)
        kinships = batch.rows[Kinship]
        kinships.append((str(uuid.uuid4()), *kinships[0][1:]))
        return batch

    monkeypatch.setattr(ScaleBatch, "build", duplicating)


def _points_to_a_missing_place(monkeypatch):
    """A row that only the foreign key to places, not dropped, refuses."""
    build = ScaleBatch.build

    def orphaning(batch):
        build(batch)
        cases = batch.rows[Case]
        origin = COLUMNS[Case].index("origin_id")
        cases[-1] = (*cases[-1][:origin], str(uuid.uuid4()), *cases[-1][origin + 1 :])
        return batch

    monkeypatch.setattr(ScaleBatch, "build", orphaning)


@pytest.mark.django_db
@pytest.mark.parametrize("superuser", [True, False])
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (_fails_in_second_batch, "fails midway"),
        # On PostgreSQL, found when the dropped unique index is created again.
        (_adds_a_duplicate_kinship, "kinship_once|UNIQUE constraint failed: families_kinship"),
        (_points_to_a_missing_place, "origin_id"),
    ],
)
def test_failed_load_adds_nothing_and_leaves_every_index_and_key(
    gazetteer, offices, monkeypatch, fault, error, superuser
):
    if connection.vendor != "postgresql" and (not superuser or fault is _points_to_a_missing_place):
        # SQLite checks foreign keys at the outermost commit, which a test never reaches; the
        # superuser's path is PostgreSQL's.
        pytest.skip("PostgreSQL only")
    if not superuser:
        # The foreign keys to places are then checked as each COPY ends, by the database.
        monkeypatch.setattr(scale, "_superuser", lambda: False)
    _scale_load(10, audit_per_case=1, rebuild=True)  # something to add to (no checks pending)
    before = _schema()
    counts = (Case.objects.count(), AuditEntry.objects.count(), FeedEntry.objects.count())
    fault(monkeypatch)
    with pytest.raises((RuntimeError, IntegrityError), match=error):
        _scale_load(200, audit_per_case=2, batch_size=100, rebuild=True)
    assert _schema() == before
    assert (Case.objects.count(), AuditEntry.objects.count(), FeedEntry.objects.count()) == counts
    monkeypatch.undo()
    _scale_load(20, audit_per_case=1)
    assert Case.objects.filter(case_number__startswith=PREFIX).count() == 30
    assert verify_chain().intact


@pytest.mark.django_db
def test_load_by_someone_who_does_not_own_the_tables_keeps_the_indexes(
    gazetteer, offices, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(scale, "_OWNED_SQL", "SELECT false FROM unnest(%s::text[])")
    before = _schema()
    result = _scale_load(50, audit_per_case=1, rebuild=True)
    assert result.rebuilt == []
    assert _schema() == before
    assert verify_chain().intact


def test_copy_text_reads_back_as_written():
    for text in ["plain", "a\\b", "tab\there", "line\nbreak", "cr\rhere", "\\N", "\\t"]:
        assert scale.copy_value(scale.copy_text(text)) == text
    assert scale.copy_value(scale.NULL) is None


@pytest.mark.django_db
def test_load_leaves_planner_statistics_for_the_tables_it_wrote(gazetteer, offices):
    """Without them the planner guesses until autovacuum comes round, badly at a million cases."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite plans without statistics")

    def analysed(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", [table])
            return cursor.fetchone()[0] > 0

    assert not analysed(Case._meta.db_table)
    _scale_load(40, audit_per_case=1, rebuild=False)
    for model in (Case, CaseEvent, Kinship, AuditEntry, FeedEntry):
        assert analysed(model._meta.db_table), model
