"""`seed --scale N`: N more synthetic cases for load tests, written fast.

The normal seed (seeds.generator) builds a population that adds up to the published figures,
case by case through the lifecycle's bulk service: right for the demo, but about 900 cases/s, and
a national registry's benchmark needs a million cases. This loader builds rows as plain tuples
and writes them with PostgreSQL's COPY (psycopg 3 `cursor.copy`), in batches of its own
transactions; on SQLite it falls back to `executemany` with each field's own conversion.

What it writes per case: the case and its timeline (events), a relative or two with their
kinship (some with a DNA reference sample), an alternate spelling for some; for the cases whose
remains were identified, a grave site (one per 40 such cases) with its report, exhumation and
remains (some never identified), the confirmed identification and, for returned remains, the
handover; a change-feed entry for every record the feed serves; and, with `audit_per_case`,
that many "view" entries per case on the audit hash chain (for audit_verify at scale). No aid.

The invariants are the normal seed's, kept by construction rather than checked row by row (that
check is what makes the normal seed slow):
- every timeline is one the lifecycle accepts: `plan_transition` over the events gives the case's
  status, its milestones and `version` (seeds/tests/test_scale.py replays every case);
- every database constraint holds (the database checks them on COPY);
- `search_name` is `normalise` of the names, computed once per name from a fixed pool;
- the change feed numbers and the audit chain continue from their current ends, under the chain's
  lock (sync.feed, audit.services), so both stay gap-free and in commit order.

The output is deterministic for a given starting case count: rerunning adds N more cases after
those already loaded (numbers `SC-<office>-<n>`), never the same ones twice.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, entry_hash
from audit.models import AuditEntry
from audit.services import audit_log, chain_lock
from cases.lifecycle import MILESTONE_FIELD, EventType, Status
from cases.models import AlternateName, Case, CaseEvent, Office
from cases.search import normalise
from families.models import Handover, Kinship, ReferenceSample, Relative
from gazetteer.models import Place
from graves.models import Exhumation, GraveReport, GraveSite, Identification, Remains
from sync.feed import _reserve as feed_reserve
from sync.models import FeedEntry

from . import names

PREFIX = "SC-"
BASE_SEED = 20140803
BATCH = 5000
NOTE = "Synthetic record (scale load): invented for load tests; no real person."
OFFICE_SOURCE = "KRG Office for Rescuing Kidnapped Yazidis (synthetic)"
SITE_CASES = 40  # identified cases per grave site
UNIDENTIFIED_PER_SITE = 10
ABDUCTION_DAY = dt.date(2014, 8, 3)
# Grave sites are exhumed by August 2016; identifications start later (at least 30 days after
# the remains were recovered, as the normal seed has them).
IDENTIFIED_FROM = dt.date(2017, 1, 1)

# What becomes of the people, cumulative shares: roughly the normal seed's proportions.
FATES = (
    (0.55, Status.RESCUED),
    (0.85, Status.MISSING),  # some of them captive
    (0.95, Status.REPORTED_DEAD),
    (0.99, Status.REMAINS_RETURNED),
    (1.00, Status.REMAINS_IDENTIFIED),
)


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# The columns each table is written with, by attname, in COPY order.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Case: _columns(
        "id case_number given_name_ar father_name_ar grandfather_name_ar family_name_ar "
        "given_name_latn father_name_latn grandfather_name_latn family_name_latn search_name "
        "sex birth_date age_at_abduction community origin_id office_id abducted_on "
        "abducted_by abduction_place_id captivity_notes health_notes status rescued_on "
        "reported_dead_on remains_identified_on remains_returned_on closed_on version "
        "is_synthetic created_at updated_at"
    ),
    CaseEvent: _columns(
        "id case_id sequence type from_status to_status date date_lower date_upper "
        "recorded_at source note"
    ),
    AlternateName: _columns("id case_id full_name script source search_name"),
    Relative: _columns(
        "id full_name_latn full_name_ar sex birth_date phone address consent "
        "consent_recorded_on consent_dna_matching consent_share_with_partners is_synthetic "
        "created_at"
    ),
    Kinship: _columns("id case_id relative_id relationship"),
    ReferenceSample: _columns("id relative_id collected_on lab_reference status"),
    GraveSite: _columns(
        "id code name place_id latitude longitude status reported_on confirmed_on opened_on "
        "estimated_victims notes is_synthetic"
    ),
    GraveReport: _columns("id site_id reported_on source estimated_victims note"),
    Exhumation: _columns("id site_id started_on ended_on team notes"),
    Remains: _columns(
        "id code site_id exhumation_id sex_estimate age_min age_max recovered_on "
        "sample_status is_synthetic"
    ),
    Identification: _columns(
        "id remains_id case_id method match_statistic status identified_on confirmed_on created_at"
    ),
    Handover: _columns(
        "id case_id identification_id handed_over_on receiving_relative_id burial_place_id "
        "ceremony burial_note created_at"
    ),
    FeedEntry: _columns("seq resource record_id op version changed_at"),
    AuditEntry: _columns(
        "sequence occurred_at actor_id actor_username role offices action subject_type "
        "subject_id changes request_id ip prev_hash hash"
    ),
}
# The change feed's resource for each model it serves (as seeds.loader and cases.services tell it).
FEED_RESOURCES: dict[type[models.Model], str] = {
    Case: "cases",
    CaseEvent: "events",
    Relative: "relatives",
    ReferenceSample: "reference-samples",
    GraveSite: "grave-sites",
    Exhumation: "exhumations",
    Remains: "remains",
    Identification: "identifications",
    Handover: "handovers",
}
WRITE_ORDER = [
    Case,
    CaseEvent,
    AlternateName,
    Relative,
    Kinship,
    ReferenceSample,
    GraveSite,
    GraveReport,
    Exhumation,
    Remains,
    Identification,
    Handover,
]


@dataclass
class LoadResult:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _Name:
    latn: str
    ar: str
    key_latn: str
    key_ar: str


def _pool(rng: random.Random, make: Callable[[random.Random], tuple[str, str]], size: int):
    pool = []
    for _ in range(size):
        latn, ar = make(rng)
        pool.append(_Name(latn, ar, normalise(latn), normalise(ar)))
    return pool


def scale_cases_loaded() -> int:
    return Case.objects.filter(case_number__startswith=PREFIX).count()


class ScaleBatch:
    """The rows of `count` cases numbered from `first` (a global, 0-based case index)."""

    def __init__(self, loader: ScaleLoader, first: int, count: int) -> None:
        self.loader = loader
        self.rng = random.Random(BASE_SEED * 1_000_003 + first)
        self.first, self.count = first, count
        self.rows: dict[type[models.Model], list[tuple]] = {model: [] for model in WRITE_ORDER}

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(6, 0), dt.UTC) + dt.timedelta(
            minutes=self.rng.randrange(480)
        )

    def build(self) -> ScaleBatch:
        rng, loader, rows = self.rng, self.loader, self.rows
        events, identified = rows[CaseEvent], []
        now = loader.now
        for index in range(self.first, self.first + self.count):
            sex = "female" if rng.random() < 0.6 else "male"
            minor = rng.random() < 0.35
            given = rng.choice(loader.female if sex == "female" else loader.male)
            father, grandfather = rng.choice(loader.male), rng.choice(loader.male)
            family = rng.choice(loader.families)
            office_id, office_code = loader.offices[index % len(loader.offices)]
            origin_id = rng.choice(loader.villages)
            age = rng.randint(1, 17) if minor else rng.randint(19, 70)
            abducted = ABDUCTION_DAY + dt.timedelta(
                days=0 if rng.random() < 0.6 else rng.randrange(29)
            )
            case_id = self.uuid()
            # The timeline, with the status and milestones the lifecycle derives from it.
            roll = rng.random()
            fate = next(status for share, status in FATES if roll < share)
            reported = abducted + dt.timedelta(days=rng.randint(1, 150))
            timeline, milestones = self.timeline(fate, reported)
            status = timeline[-1][2]
            for sequence, (event_type, before, after, day, source) in enumerate(timeline, 1):
                text = day.isoformat()
                events.append(
                    (
                        self.uuid(),
                        case_id,
                        sequence,
                        event_type.value,
                        before,
                        after,
                        text,
                        day,
                        day,
                        self.moment(day),
                        source,
                        "",
                    )
                )
            search = " ".join(
                key
                for key in (
                    given.key_ar,
                    father.key_ar,
                    grandfather.key_ar,
                    family.key_ar,
                    given.key_latn,
                    father.key_latn,
                    grandfather.key_latn,
                    family.key_latn,
                )
                if key
            )
            rows[Case].append(
                (
                    case_id, f"{PREFIX}{office_code}-{index + 1:07d}",
                    given.ar, father.ar, grandfather.ar, family.ar,
                    given.latn, father.latn, grandfather.latn, family.latn, search,
                    sex, str(abducted.year - age), age, "yazidi", origin_id, office_id,
                    abducted.isoformat(), abducted, origin_id if rng.random() < 0.7 else None,
                    NOTE, "", status.value,
                    milestones.get("rescued_on"), milestones.get("reported_dead_on"),
                    milestones.get("remains_identified_on"), milestones.get("remains_returned_on"),
                    None, len(timeline), True, now, now,
                )
            )  # fmt: skip
            if rng.random() < 0.25:
                variant = names.latin_variant(rng, given.latn)
                if variant:
                    full = f"{variant} {father.latn} {family.latn}"
                    rows[AlternateName].append(
                        (self.uuid(), case_id, full, "latn", "family report", normalise(full))
                    )
            relative_id = self.family(case_id, family, origin_id)
            if fate in (Status.REMAINS_IDENTIFIED, Status.REMAINS_RETURNED):
                identified.append((case_id, sex, age, milestones, relative_id, origin_id))
        self.graves(identified)
        return self

    def timeline(self, fate: str, reported: dt.date) -> tuple[list[tuple], dict[str, dt.date]]:
        """The case's events, each (type, from status, to status, day, source), and the
        milestones they set: what `plan_transition` derives from the same events."""
        rng = self.rng
        timeline: list[tuple[str, str, str, dt.date, str]] = []
        milestones: dict[str, dt.date] = {}

        def step(event_type: str, to_status: str, day: dt.date, source: str) -> None:
            before = timeline[-1][2] if timeline else ""
            timeline.append((event_type, before, to_status, day, source))
            if event_type in MILESTONE_FIELD:
                milestones[MILESTONE_FIELD[event_type]] = day

        step(EventType.REPORTED_MISSING, Status.MISSING, reported, OFFICE_SOURCE)
        if fate == Status.MISSING and rng.random() < 0.12:
            day = reported + dt.timedelta(days=rng.randint(1, 1500))
            step(EventType.CAPTIVITY_CONFIRMED, Status.CAPTIVE, day, "survivor testimony")
        elif fate == Status.RESCUED:
            rescued = reported + dt.timedelta(days=rng.randint(30, 3000))
            if rng.random() < 0.35:
                day = reported + dt.timedelta(days=rng.randint(1, (rescued - reported).days - 1))
                step(EventType.CAPTIVITY_CONFIRMED, Status.CAPTIVE, day, "survivor testimony")
            step(EventType.RESCUED, Status.RESCUED, rescued, OFFICE_SOURCE)
        elif fate == Status.REPORTED_DEAD or (
            fate == Status.REMAINS_RETURNED and rng.random() < 0.5
        ):
            day = reported + dt.timedelta(days=rng.randint(10, 1500))
            step(EventType.DEATH_REPORTED, Status.REPORTED_DEAD, day, "witness statement")
        if fate in (Status.REMAINS_IDENTIFIED, Status.REMAINS_RETURNED):
            day = max(IDENTIFIED_FROM, timeline[-1][3]) + dt.timedelta(days=rng.randint(0, 1500))
            source = "Medico-Legal Directorate"
            step(EventType.REMAINS_IDENTIFIED, Status.REMAINS_IDENTIFIED, day, source)
            if fate == Status.REMAINS_RETURNED:
                day += dt.timedelta(days=rng.randint(11, 120))
                step(
                    EventType.REMAINS_RETURNED,
                    Status.REMAINS_RETURNED,
                    day,
                    "Martyrs Foundation",
                )
        return timeline, milestones

    def family(self, case_id: uuid.UUID, family: _Name, origin_id: Any) -> uuid.UUID | None:
        """One or two relatives (none for some); returns the first, who receives remains."""
        rng, rows = self.rng, self.rows
        count = rng.choices((0, 1, 2), weights=(10, 60, 30))[0]
        first = None
        for number in range(count):
            sex = "female" if number == 0 or rng.random() < 0.5 else "male"
            given = rng.choice(self.loader.female if sex == "female" else self.loader.male)
            roll = rng.random()
            consent = "given" if roll < 0.75 else "not_asked" if roll < 0.9 else "refused"
            given_consent = consent == "given"
            relative_id = self.uuid()
            dna = given_consent and rng.random() < 0.95
            recorded = (
                None
                if consent == "not_asked"
                else dt.date(2015, 6, 1) + dt.timedelta(days=rng.randrange(270))
            )
            rows[Relative].append(
                (relative_id, f"{given.latn} {family.latn}", f"{given.ar} {family.ar}", sex,
                 str(rng.randint(1940, 1995)), f"+964 750 555 {rng.randrange(10000):04d}",
                 "(synthetic address)", consent, recorded, dna,
                 given_consent and rng.random() < 0.6, True, self.loader.now)
            )  # fmt: skip
            rows[Kinship].append(
                (self.uuid(), case_id, relative_id, "mother" if number == 0 else "sibling")
            )
            if dna and rng.random() < 0.4:
                rows[ReferenceSample].append(
                    (self.uuid(), relative_id, recorded + dt.timedelta(days=rng.randrange(400)),
                     f"{PREFIX}LAB-{relative_id.hex[:16]}", "profiled")
                )  # fmt: skip
            first = first or relative_id
        return first

    def graves(self, identified: list[tuple]) -> None:
        """A grave site per SITE_CASES identified people, exhumed before any of them was
        identified, with their remains and some never identified."""
        rng, rows, now = self.rng, self.rows, self.loader.now
        for start in range(0, len(identified), SITE_CASES):
            people = identified[start : start + SITE_CASES]
            site_id, exhumation_id = self.uuid(), self.uuid()
            code = f"{PREFIX}MG-{site_id.hex[:12]}"
            reported = dt.date(2015, 11, 13) + dt.timedelta(days=rng.randrange(60))
            confirmed = reported + dt.timedelta(days=rng.randint(10, 60))
            opened = confirmed + dt.timedelta(days=rng.randint(30, 90))
            ended = opened + dt.timedelta(days=rng.randint(10, 60))  # by August 2016
            victims = len(people) + UNIDENTIFIED_PER_SITE
            rows[GraveSite].append(
                (site_id, code, f"Synthetic site {code}", people[0][5], None, None, "exhumed",
                 reported, confirmed, opened, victims, NOTE, True)
            )  # fmt: skip
            rows[GraveReport].append(
                (self.uuid(), site_id, reported, "local witnesses", victims, "")
            )
            rows[Exhumation].append(
                (exhumation_id, site_id, opened, ended, "Mass Graves Directorate team", "")
            )
            span = (ended - opened).days
            for number in range(len(people) + UNIDENTIFIED_PER_SITE):
                remains_id = self.uuid()
                person = people[number] if number < len(people) else None
                low = person[2] if person else rng.randint(8, 60)
                rows[Remains].append(
                    (remains_id, f"{code}-R{number + 1:03d}", site_id, exhumation_id,
                     person[1] if person else "undetermined", low, low + rng.randint(0, 10),
                     opened + dt.timedelta(days=rng.randint(0, span)),
                     "profiled" if person else "sampled", True)
                )  # fmt: skip
                if person is None:
                    continue
                case_id, _sex, _age, milestones, relative_id, origin_id = person
                identified_on = milestones["remains_identified_on"]
                identification_id = self.uuid()
                rows[Identification].append(
                    (identification_id, remains_id, case_id, "dna_kinship", Decimal("0.9999"),
                     "confirmed", identified_on, identified_on, now)
                )  # fmt: skip
                returned = milestones.get("remains_returned_on")
                if returned is not None:
                    rows[Handover].append(
                        (self.uuid(), case_id, identification_id, returned, relative_id,
                         origin_id, "Family burial", "Family burial ground", now)
                    )  # fmt: skip


class ScaleLoader:
    def __init__(self, *, audit_per_case: int = 0, batch_size: int = BATCH) -> None:
        self.audit_per_case = audit_per_case
        self.batch_size = batch_size
        self.now = timezone.now()
        rng = random.Random(BASE_SEED)
        self.female = _pool(rng, lambda r: names.given_name(r, "female"), 3000)
        self.male = _pool(rng, lambda r: names.given_name(r, "male"), 3000)
        self.families = _pool(rng, names.family_name, 2000)
        self.offices = list(Office.objects.order_by("code").values_list("id", "code"))
        self.villages = list(Place.objects.filter(kind="village").values_list("id", flat=True))
        if not self.offices or not self.villages:
            raise RuntimeError("load the gazetteer and offices first (manage.py seed does)")
        self.vendor = connection.vendor

    def load(self, count: int, progress: Callable[[int], None] = lambda n: None) -> LoadResult:
        """Add `count` cases after those already loaded, one transaction per batch."""
        started = time.monotonic()
        result = LoadResult()
        first = scale_cases_loaded()
        for start in range(first, first + count, self.batch_size):
            batch = ScaleBatch(self, start, min(self.batch_size, first + count - start)).build()
            self.write_batch(batch, result)
            result.cases += batch.count
            progress(batch.count)
        if result.cases:
            # Like every bulk load: one entry says who loaded what, not one per record.
            audit_log(
                action=AuditEntry.Action.CREATE,
                subject_type=Case._meta.label_lower,
                changes={"bulk": result.cases, "scale_load": result.rows},
            )
        result.seconds = time.monotonic() - started
        return result

    def write_batch(self, batch: ScaleBatch, result: LoadResult) -> None:
        def counted(label: str, rows: list[tuple]) -> None:
            result.rows[label] = result.rows.get(label, 0) + len(rows)

        with transaction.atomic():
            if self.vendor == "postgresql":
                # A seed, not casework: a crash may lose the last batches, never corrupt them.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO off")
            for model in WRITE_ORDER:
                self.write(model, batch.rows[model])
                counted(model._meta.label_lower, batch.rows[model])
            # The feed and the chain are numbered under the chain's lock, held to commit.
            chain_lock(connection.alias)
            feed = self.feed_rows(batch)
            self.write(FeedEntry, feed)
            counted("sync.feedentry", feed)
            if self.audit_per_case:
                trail = self.audit_rows(batch)
                self.write(AuditEntry, trail)
                counted("audit.auditentry", trail)

    # -- numbering --------------------------------------------------------------------------
    def feed_rows(self, batch: ScaleBatch) -> list[tuple]:
        records = [
            (resource, row[0])
            for model, resource in FEED_RESOURCES.items()
            for row in batch.rows[model]
        ]
        first = feed_reserve(connection.alias, len(records))
        now = timezone.now()
        return [
            (first + offset, resource, record_id, "upsert", 1, now)
            for offset, (resource, record_id) in enumerate(records)
        ]

    def audit_rows(self, batch: ScaleBatch) -> list[tuple]:
        last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, prev_hash = last if last else (0, GENESIS_HASH)
        moment = timezone.now()
        trail = []
        step = dt.timedelta(microseconds=1)
        for case in batch.rows[Case]:
            for view in range(self.audit_per_case):
                sequence += 1
                moment += step
                fields = {
                    "sequence": sequence,
                    "occurred_at": moment,
                    "actor_id": None,
                    "actor_username": "scale-load",
                    "role": "caseworker",
                    "offices": "",
                    "action": AuditEntry.Action.VIEW.value,
                    "subject_type": "cases.case",
                    "subject_id": str(case[0]),
                    "changes": {"view": view + 1},
                    "request_id": "",
                    "ip": None,
                    "prev_hash": prev_hash,
                }
                prev_hash = entry_hash(**fields)
                fields["changes"] = f'{{"view":{view + 1}}}'  # stored as hashed (canonical)
                trail.append((*fields.values(), prev_hash))
        return trail

    # -- writing ----------------------------------------------------------------------------
    def write(self, model: type[models.Model], rows: list[tuple]) -> None:
        if not rows:
            return
        columns = COLUMNS[model]
        table = connection.ops.quote_name(model._meta.db_table)
        names_sql = ", ".join(
            connection.ops.quote_name(name) for name in _db_columns(model, columns)
        )
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # The psycopg cursor under Django's wrapper: COPY is psycopg 3's own API.
                with cursor.cursor.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                prepare = _preparers(model, columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({names_sql}) VALUES ({marks})",  # noqa: S608 - our names
                    [tuple(p(v) for p, v in zip(prepare, row, strict=True)) for row in rows],
                )


def _db_columns(model: type[models.Model], attnames: Iterable[str]) -> list[str]:
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


def _preparers(model: type[models.Model], attnames: Iterable[str]) -> list[Callable[[Any], Any]]:
    """Each column's conversion to what the database takes (the SQLite fallback: UUIDs as
    hex, datetimes as UTC text), exactly as the ORM would write it."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    preparers = []
    for name in attnames:
        model_field = by_attname[name]
        if model is AuditEntry and name == "changes":
            preparers.append(lambda value: value)  # already the stored text
        else:
            preparers.append(lambda value, f=model_field: f.get_db_prep_save(value, connection))
    return preparers
