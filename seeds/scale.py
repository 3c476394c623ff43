"""`seed --scale N`: N more synthetic cases for load tests, written fast.

The normal seed (seeds.generator) builds a population that adds up to the published figures,
case by case through the lifecycle's bulk service: right for the demo, but about 900 cases/s, and
a national registry's benchmark needs a million cases. This loader builds each row as a tuple of
PostgreSQL COPY text fields and writes a table's rows of a batch as one block of COPY text
(psycopg 3 `copy.write`); on SQLite the same fields go through `executemany`, each read back the
way COPY reads it and converted by its model field.

What it writes per case: the case and its timeline (events), a relative or two with their
kinship (some with a DNA reference sample), an alternate spelling for some; for the cases whose
remains were identified, a grave site (one per 40 such cases) with its report, exhumation and
remains (some never identified), the confirmed identification and, for returned remains, the
handover; a change-feed entry for every record the feed serves; and, with `audit_per_case`,
that many "view" entries per case on the audit hash chain (for audit_verify at scale). No aid.

How it is fast (docs/performance.md has the measurements):
- rows are built as text from pools of pre-normalised names, in a second thread while the main
  thread copies the previous batch: Python builds on one core while PostgreSQL writes on another;
- the audit trail (`audit_per_case`) is hashed while PostgreSQL creates the case tables' indexes
  again, the one stretch in which Python would otherwise wait, and written after them;
- the whole load is one transaction. When it at least doubles a table, that table's indexes and
  constraints (except those a foreign key depends on) are dropped first and created again at the
  end: building an index once (a sort) is far cheaper than updating it row by row, above all the
  trigram GIN index, and a foreign key added back checks every row with one join instead of a
  trigger per row. Created again, a unique index or foreign key is still checked over every row,
  so a bad row fails the load; and since PostgreSQL's DDL is transactional, a load that fails or
  is killed anywhere leaves every index and constraint as it was (`IndexDeferral`).

The invariants are the normal seed's, kept by construction rather than checked row by row (that
check is what makes the normal seed slow):
- every timeline is one the lifecycle accepts: `plan_transition` over the events gives the case's
  status, its milestones and `version` (seeds/tests/test_scale.py replays every case);
- every database constraint holds (the database checks them on COPY, or when re-creating them);
- `search_name` is `normalise` of the names, computed once per name from a fixed pool;
- the change feed numbers and the audit chain continue from their current ends, under the chain's
  lock (sync.feed, audit.services) held for the whole load, so both stay gap-free and in commit
  order.

The output is deterministic for a given starting case count: rerunning adds N more cases after
those already loaded (numbers `SC-<office>-<n>`), never the same ones twice. A load that fails
adds nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import tempfile
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, field
from itertools import islice
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from audit.chain import (
    GENESIS_HASH,
    canonical_changes,
    canonical_text,
    chained_hash,
    entry_hash,
    timestamp_text,
)
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
# For dropped indexes built again in one go: a sort in memory instead of on disk. Per transaction
# only (SET LOCAL), on a machine with gigabytes to spare.
INDEX_BUILD_MEMORY = "1GB"

# What becomes of the people, cumulative shares: roughly the normal seed's proportions.
FATES = (
    (0.55, Status.RESCUED),
    (0.85, Status.MISSING),  # some of them captive
    (0.95, Status.REPORTED_DEAD),
    (0.99, Status.REMAINS_RETURNED),
    (1.00, Status.REMAINS_IDENTIFIED),
)
# How many relatives a case has, cumulative shares.
RELATIVES = ((0.1, 0), (0.7, 1), (1.0, 2))


def _chooser(shares: tuple[tuple[float, Any], ...]) -> Callable[[float], Any]:
    """The outcome of a roll in [0, 1) over cumulative shares (bisect: the loop runs per case)."""
    bounds, outcomes = [share for share, _ in shares], [outcome for _, outcome in shares]
    return lambda roll: outcomes[bisect_right(bounds, roll)]


_fate, _relatives = _chooser(FATES), _chooser(RELATIVES)

# COPY's text format: NULL, booleans; tab between fields, newline after a row.
NULL, TRUE, FALSE = "\\N", "t", "f"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPE = re.compile(r"\\(.)")
_COPY_UNESCAPED = {"t": "\t", "n": "\n", "r": "\r"}

# The "view" entries of the audit trail: who, what (the subject_id and occurred_at vary).
AUDIT_VIEW = {
    "actor_id": None,
    "actor_username": "scale-load",
    "role": "caseworker",
    "offices": "",
    "action": AuditEntry.Action.VIEW.value,
    "subject_type": Case._meta.label_lower,
    "request_id": "",
    "ip": None,
}


def copy_text(value: str) -> str:
    """`value` as a field of COPY text: backslash, tab, newline and carriage return escaped."""
    if _COPY_SPECIAL.search(value) is None:
        return value
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_value(field_text: str) -> str | None:
    """A field of COPY text read back as PostgreSQL reads it (NULL, or the unescaped text)."""
    if field_text == NULL:
        return None
    if "\\" not in field_text:
        return field_text
    return _COPY_ESCAPE.sub(lambda m: _COPY_UNESCAPED.get(m[1], m[1]), field_text)


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
    FeedEntry,
]


@dataclass
class LoadResult:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # The tables whose indexes were dropped for the load and created again, and how long that
    # took (included in `seconds`).
    rebuilt: list[str] = field(default_factory=list)
    rebuild_seconds: float = 0.0

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
        name = _Name(latn, ar, normalise(latn), normalise(ar))
        # Pool names go into COPY text as they are (seeds.names builds them from letters), and
        # into search keys joined by single spaces: say so loudly if that ever changes rather
        # than escape or check every name of every row.
        if any(not text or copy_text(text) != text for text in astuple(name)):
            raise ValueError(f"name {name!r} is empty or needs escaping in COPY text")
        pool.append(name)
    return pool


def _uuid4_text(bits: int) -> str:
    """str(uuid.UUID(int=bits, version=4)) without making the UUID (half the cost)."""
    bits = (bits & ~(0xC000 << 48) | (0x8000 << 48)) & ~(0xF000 << 64) | (4 << 76)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def scale_cases_loaded() -> int:
    return Case.objects.filter(case_number__startswith=PREFIX).count()


@dataclass
class _ChainEnds:
    """Where the change feed and the audit chain continue: advanced batch by batch, in order."""

    feed_seq: int  # the next feed number
    audit_sequence: int  # the last entry's
    audit_hash: str
    moment: dt.datetime  # the last audit entry's time


class ScaleBatch:
    """The rows of `count` cases numbered from `first` (a global, 0-based case index), each a
    tuple of COPY text fields in COLUMNS order."""

    def __init__(self, loader: ScaleLoader, first: int, count: int) -> None:
        self.loader = loader
        self.rng = random.Random(BASE_SEED * 1_000_003 + first)
        self.first, self.count = first, count
        self.rows: dict[type[models.Model], list[tuple[str, ...]]] = {
            model: [] for model in WRITE_ORDER
        }
        self.feed_first = 0

    def uuid(self) -> str:
        return _uuid4_text(self.rng.getrandbits(128))

    def below(self, stop: int) -> int:
        # rng.randrange's rejection sampling costs more than the rest of a draw; the bias of
        # scaling a float is below 1e-12 for these small ranges.
        return int(self.rng.random() * stop)

    def moment(self, day_text: str) -> str:
        minute = self.below(480)
        return f"{day_text}T{6 + minute // 60:02d}:{minute % 60:02d}:00+00:00"

    def build(self) -> ScaleBatch:
        rng, loader, rows, below = self.rng, self.loader, self.rows, self.below
        random_ = rng.random
        events, cases, alternates = rows[CaseEvent], rows[Case], rows[AlternateName]
        female, male, families = loader.female, loader.male, loader.families
        villages, offices = loader.villages, loader.offices
        identified = []
        now = loader.now_text
        for index in range(self.first, self.first + self.count):
            sex = "female" if random_() < 0.6 else "male"
            minor = random_() < 0.35
            given = female[below(len(female))] if sex == "female" else male[below(len(male))]
            father, grandfather = male[below(len(male))], male[below(len(male))]
            family = families[below(len(families))]
            office_id, office_code = offices[index % len(offices)]
            origin_id = villages[below(len(villages))]
            age = 1 + below(17) if minor else 19 + below(52)
            abducted = ABDUCTION_DAY + dt.timedelta(days=0 if random_() < 0.6 else below(29))
            abducted_text = abducted.isoformat()
            case_id = self.uuid()
            # The timeline, with the status and milestones the lifecycle derives from it.
            roll = random_()
            fate = _fate(roll)
            reported = abducted + dt.timedelta(days=1 + below(150))
            timeline, milestones = self.timeline(fate, reported)
            for sequence, (event_type, before, after, day_text, source) in enumerate(timeline, 1):
                events.append(
                    (self.uuid(), case_id, str(sequence), event_type, before, after,
                     day_text, day_text, day_text, self.moment(day_text), source, "")
                )  # fmt: skip
            # normalise of the names as NormalisedNameField joins them (every key is non-empty).
            search = (
                f"{given.key_ar} {father.key_ar} {grandfather.key_ar} {family.key_ar} "
                f"{given.key_latn} {father.key_latn} {grandfather.key_latn} {family.key_latn}"
            )
            cases.append(
                (
                    case_id, f"{PREFIX}{office_code}-{index + 1:07d}",
                    given.ar, father.ar, grandfather.ar, family.ar,
                    given.latn, father.latn, grandfather.latn, family.latn, search,
                    sex, str(abducted.year - age), str(age), "yazidi", origin_id, office_id,
                    abducted_text, abducted_text, origin_id if random_() < 0.7 else NULL,
                    NOTE, "", timeline[-1][2],
                    milestones.get("rescued_on", NULL), milestones.get("reported_dead_on", NULL),
                    milestones.get("remains_identified_on", NULL),
                    milestones.get("remains_returned_on", NULL),
                    NULL, str(len(timeline)), TRUE, now, now,
                )
            )  # fmt: skip
            if random_() < 0.25:
                variant = names.latin_variant(rng, given.latn)
                if variant:
                    full = f"{variant} {father.latn} {family.latn}"
                    alternates.append(
                        (self.uuid(), case_id, copy_text(full), "latn", "family report",
                         copy_text(normalise(full)))
                    )  # fmt: skip
            relative_id = self.family(case_id, family)
            if fate in (Status.REMAINS_IDENTIFIED, Status.REMAINS_RETURNED):
                identified.append((case_id, sex, age, milestones, relative_id, origin_id))
        self.graves(identified)
        return self

    def timeline(self, fate: str, reported: dt.date) -> tuple[list[tuple], dict[str, str]]:
        """The case's events, each (type, from status, to status, day, source), and the
        milestones they set: what `plan_transition` derives from the same events."""
        below = self.below
        timeline: list[tuple[str, str, str, str, str]] = []
        milestones: dict[str, str] = {}
        last_day = reported

        def step(event_type: str, to_status: str, day: dt.date, source: str) -> None:
            nonlocal last_day
            before = timeline[-1][2] if timeline else ""
            text = day.isoformat()
            timeline.append((event_type.value, before, to_status.value, text, source))
            if event_type in MILESTONE_FIELD:
                milestones[MILESTONE_FIELD[event_type]] = text
            last_day = day

        step(EventType.REPORTED_MISSING, Status.MISSING, reported, OFFICE_SOURCE)
        if fate == Status.MISSING and self.rng.random() < 0.12:
            day = reported + dt.timedelta(days=1 + below(1500))
            step(EventType.CAPTIVITY_CONFIRMED, Status.CAPTIVE, day, "survivor testimony")
        elif fate == Status.RESCUED:
            rescued = reported + dt.timedelta(days=30 + below(2971))
            if self.rng.random() < 0.35:
                day = reported + dt.timedelta(days=1 + below((rescued - reported).days - 1))
                step(EventType.CAPTIVITY_CONFIRMED, Status.CAPTIVE, day, "survivor testimony")
            step(EventType.RESCUED, Status.RESCUED, rescued, OFFICE_SOURCE)
        elif fate == Status.REPORTED_DEAD or (
            fate == Status.REMAINS_RETURNED and self.rng.random() < 0.5
        ):
            day = reported + dt.timedelta(days=10 + below(1491))
            step(EventType.DEATH_REPORTED, Status.REPORTED_DEAD, day, "witness statement")
        if fate in (Status.REMAINS_IDENTIFIED, Status.REMAINS_RETURNED):
            day = max(IDENTIFIED_FROM, last_day) + dt.timedelta(days=below(1501))
            source = "Medico-Legal Directorate"
            step(EventType.REMAINS_IDENTIFIED, Status.REMAINS_IDENTIFIED, day, source)
            if fate == Status.REMAINS_RETURNED:
                day += dt.timedelta(days=11 + below(110))
                step(
                    EventType.REMAINS_RETURNED,
                    Status.REMAINS_RETURNED,
                    day,
                    "Martyrs Foundation",
                )
        return timeline, milestones

    def family(self, case_id: str, family: _Name) -> str:
        """One or two relatives (none for some); returns the first, who receives remains (NULL
        when there is none)."""
        rng, rows, below, now = self.rng, self.rows, self.below, self.loader.now_text
        roll = rng.random()
        count = _relatives(roll)
        first = NULL
        for number in range(count):
            sex = "female" if number == 0 or rng.random() < 0.5 else "male"
            pool = self.loader.female if sex == "female" else self.loader.male
            given = pool[below(len(pool))]
            roll = rng.random()
            consent = "given" if roll < 0.75 else "not_asked" if roll < 0.9 else "refused"
            given_consent = consent == "given"
            relative_id = self.uuid()
            dna = given_consent and rng.random() < 0.95
            share = given_consent and rng.random() < 0.6
            recorded = (
                None
                if consent == "not_asked"
                else dt.date(2015, 6, 1) + dt.timedelta(days=below(270))
            )
            rows[Relative].append(
                (relative_id, f"{given.latn} {family.latn}", f"{given.ar} {family.ar}", sex,
                 str(1940 + below(56)), f"+964 750 555 {below(10000):04d}",
                 "(synthetic address)", consent, recorded.isoformat() if recorded else NULL,
                 TRUE if dna else FALSE, TRUE if share else FALSE, TRUE, now)
            )  # fmt: skip
            rows[Kinship].append(
                (self.uuid(), case_id, relative_id, "mother" if number == 0 else "sibling")
            )
            if dna and rng.random() < 0.4:
                lab_reference = relative_id.replace("-", "")[:16]
                rows[ReferenceSample].append(
                    (self.uuid(), relative_id,
                     (recorded + dt.timedelta(days=below(400))).isoformat(),
                     f"{PREFIX}LAB-{lab_reference}", "profiled")
                )  # fmt: skip
            if first is NULL:
                first = relative_id
        return first

    def graves(self, identified: list[tuple]) -> None:
        """A grave site per SITE_CASES identified people, exhumed before any of them was
        identified, with their remains and some never identified."""
        rows, below, now = self.rows, self.below, self.loader.now_text
        for start in range(0, len(identified), SITE_CASES):
            people = identified[start : start + SITE_CASES]
            site_id, exhumation_id = self.uuid(), self.uuid()
            code = f"{PREFIX}MG-{site_id.replace('-', '')[:12]}"
            reported = dt.date(2015, 11, 13) + dt.timedelta(days=below(60))
            confirmed = reported + dt.timedelta(days=10 + below(51))
            opened = confirmed + dt.timedelta(days=30 + below(61))
            ended = opened + dt.timedelta(days=10 + below(51))  # by August 2016
            victims = str(len(people) + UNIDENTIFIED_PER_SITE)
            reported_text, opened_text = reported.isoformat(), opened.isoformat()
            rows[GraveSite].append(
                (site_id, code, f"Synthetic site {code}", people[0][5], NULL, NULL, "exhumed",
                 reported_text, confirmed.isoformat(), opened_text, victims, NOTE, TRUE)
            )  # fmt: skip
            rows[GraveReport].append(
                (self.uuid(), site_id, reported_text, "local witnesses", victims, "")
            )
            rows[Exhumation].append(
                (exhumation_id, site_id, opened_text, ended.isoformat(),
                 "Mass Graves Directorate team", "")
            )  # fmt: skip
            span = (ended - opened).days
            for number in range(len(people) + UNIDENTIFIED_PER_SITE):
                remains_id = self.uuid()
                person = people[number] if number < len(people) else None
                low = person[2] if person else 8 + below(53)
                rows[Remains].append(
                    (remains_id, f"{code}-R{number + 1:03d}", site_id, exhumation_id,
                     person[1] if person else "undetermined", str(low), str(low + below(11)),
                     (opened + dt.timedelta(days=below(span + 1))).isoformat(),
                     "profiled" if person else "sampled", TRUE)
                )  # fmt: skip
                if person is None:
                    continue
                case_id, _sex, _age, milestones, relative_id, origin_id = person
                identified_on = milestones["remains_identified_on"]
                identification_id = self.uuid()
                rows[Identification].append(
                    (identification_id, remains_id, case_id, "dna_kinship", "0.9999",
                     "confirmed", identified_on, identified_on, now)
                )  # fmt: skip
                returned = milestones.get("remains_returned_on")
                if returned is not None:
                    rows[Handover].append(
                        (self.uuid(), case_id, identification_id, returned, relative_id,
                         origin_id, "Family burial", "Family burial ground", now)
                    )  # fmt: skip

    # -- the change feed continues from the previous batch ----------------------------------
    def number(self, ends: _ChainEnds) -> ScaleBatch:
        rows = self.rows
        self.feed_first = seq = ends.feed_seq
        feed = rows[FeedEntry]
        now = timestamp_text(timezone.now())
        for model, resource in FEED_RESOURCES.items():
            for row in rows[model]:
                feed.append((str(seq), resource, row[0], "upsert", "1", now))
                seq += 1
        ends.feed_seq = seq
        return self


def audit_trail(case_ids: list[str], ends: _ChainEnds, per_case: int) -> list[tuple[str, ...]]:
    """`per_case` views of each case, chained on from `ends`. The views of a case share one
    moment, so that its text is made once per case; changes are `{"view": n}`, made once per n.

    The text hashed is the chain's own `canonical_text`. The first entry is hashed again by
    `entry_hash`, the writer's definition, so that this faster path can never write a chain
    that audit_verify rejects."""
    view = AUDIT_VIEW
    actor_id, actor_username, role = view["actor_id"], view["actor_username"], view["role"]
    offices, action, subject_type = view["offices"], view["action"], view["subject_type"]
    request_id, ip = view["request_id"], view["ip"]
    # The same fields as COPY text.
    actor_id_, actor_username_, role_, offices_, action_, subject_type_, request_id_, ip_ = (
        _copy_field(value)
        for value in (actor_id, actor_username, role, offices, action, subject_type, request_id, ip)
    )
    # (hashed text, COPY text) of each view's changes.
    changes = [
        (text, copy_text(text))
        for text in (canonical_changes({"view": n}) for n in range(1, per_case + 1))
    ]
    trail: list[tuple[str, ...]] = []
    append, link, text_of = trail.append, chained_hash, canonical_text
    sequence, prev_hash, moment = ends.audit_sequence, ends.audit_hash, ends.moment
    step = dt.timedelta(microseconds=1)
    for case_id in case_ids:
        moment += step
        occurred = timestamp_text(moment)
        for changes_text, changes_copy in changes:
            sequence += 1
            text = text_of(sequence, occurred, actor_id, actor_username, role, offices,
                           action, subject_type, case_id, changes_text, request_id, ip,
                           prev_hash)  # fmt: skip
            digest = link(prev_hash, text)
            append(
                (str(sequence), occurred, actor_id_, actor_username_, role_, offices_, action_,
                 subject_type_, case_id, changes_copy, request_id_, ip_, prev_hash, digest)
            )  # fmt: skip
            prev_hash = digest
    if trail:
        expected = entry_hash(
            **view,
            sequence=ends.audit_sequence + 1,
            occurred_at=ends.moment + step,
            subject_id=case_ids[0],
            changes={"view": 1},
            prev_hash=ends.audit_hash,
        )
        if trail[0][-1] != expected:
            raise AssertionError("the scale load's audit hashes differ from entry_hash")
    ends.audit_sequence, ends.audit_hash, ends.moment = sequence, prev_hash, moment
    return trail


def _copy_field(value: str | int | None) -> str:
    return NULL if value is None else copy_text(str(value))


class ScaleLoader:
    def __init__(
        self, *, audit_per_case: int = 0, batch_size: int = BATCH, rebuild: bool | None = None
    ) -> None:
        """`rebuild`: drop the indexes for the load and create them again after it (True), keep
        them (False), or decide by how much the load adds (None: IndexDeferral.for_load)."""
        self.audit_per_case = audit_per_case
        self.batch_size = batch_size
        self.rebuild = rebuild
        self.now_text = timestamp_text(timezone.now())
        rng = random.Random(BASE_SEED)
        self.female = _pool(rng, lambda r: names.given_name(r, "female"), 3000)
        self.male = _pool(rng, lambda r: names.given_name(r, "male"), 3000)
        self.families = _pool(rng, names.family_name, 2000)
        self.offices = [
            (str(pk), copy_text(code))
            for pk, code in Office.objects.order_by("code").values_list("id", "code")
        ]
        self.villages = [
            str(pk) for pk in Place.objects.filter(kind="village").values_list("id", flat=True)
        ]
        if not self.offices or not self.villages:
            raise RuntimeError("load the gazetteer and offices first (manage.py seed does)")
        self.vendor = connection.vendor

    def load(self, count: int, progress: Callable[[int], None] = lambda n: None) -> LoadResult:
        """Add `count` cases after those already loaded, in one transaction.

        On PostgreSQL, in this order: the case tables and the feed, batch by batch; their
        indexes created again; the audit trail; its indexes. The builder thread hashes the trail
        while the database sorts the case tables' indexes, the one time it would otherwise wait.
        """
        started = time.monotonic()
        result = LoadResult()
        first = scale_cases_loaded()
        deferral = IndexDeferral([])
        with transaction.atomic():
            if self.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # A seed, not casework: a crash may lose the load, never corrupt it.
                    cursor.execute("SET LOCAL synchronous_commit TO off")
                    # set_config, not SET: SET takes no bound parameters (server-side binding).
                    cursor.execute(
                        "SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY]
                    )
                deferral = IndexDeferral.for_load(count, self.audit_per_case, self.rebuild)
                deferral.lock()
            # The feed and the chain are numbered under the chain's lock, held to commit; taken
            # after the tables' locks, as every writer does (audit_log comes last).
            chain_lock(connection.alias)
            ends = self.chain_ends()
            deferral.drop()
            # The builder never touches the database: a thread of its own would have a
            # connection of its own, outside the load's transaction.
            builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scale-build")
            try:
                case_ids = self.write_cases(builder, first, count, ends, result, progress)
                if self.audit_per_case:
                    self.write_audit_trail(builder, case_ids, ends, deferral, result)
                self.restore(deferral, result, deferral.tables)
            finally:
                # After a failure, the batches built ahead are not wanted.
                builder.shutdown(cancel_futures=True)
            if result.cases:
                # Like every bulk load: one entry says who loaded what, not one per record.
                audit_log(
                    action=AuditEntry.Action.CREATE,
                    subject_type=Case._meta.label_lower,
                    changes={"bulk": result.cases, "scale_load": result.rows},
                )
        if self.vendor == "postgresql" and result.cases:
            self.analyze(result)
        result.rebuilt = deferral.tables
        result.seconds = time.monotonic() - started
        return result

    def analyze(self, result: LoadResult) -> None:
        """Planner statistics for the tables the load wrote, counted in its time: until
        autovacuum gets round to them the planner guesses, and at a million cases it guesses
        badly (the DNA worklist took 1.8 s on a fresh load, 0.2 s after ANALYZE)."""
        quote = connection.ops.quote_name
        tables = sorted(
            {apps.get_model(label)._meta.db_table for label, rows in result.rows.items() if rows}
        )
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {quote(table)}")

    def chain_ends(self) -> _ChainEnds:
        last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, prev_hash = last if last else (0, GENESIS_HASH)
        return _ChainEnds(
            feed_seq=feed_reserve(connection.alias, 0),  # the next number, none taken
            audit_sequence=sequence,
            audit_hash=prev_hash,
            moment=timezone.now(),
        )

    def write_cases(
        self,
        builder: ThreadPoolExecutor,
        first: int,
        count: int,
        ends: _ChainEnds,
        result: LoadResult,
        progress: Callable[[int], None],
    ) -> list[str]:
        """The cases and their records, batch by batch, each built while the one before is
        written; returns the cases' ids for the audit trail."""

        def build(start: int) -> _Block:
            batch = ScaleBatch(self, start, min(self.batch_size, first + count - start))
            batch.build().number(ends)
            return _Block(
                tables={model: self.rows_of(model, rows) for model, rows in batch.rows.items()},
                count=batch.count,
                case_ids=[row[0] for row in batch.rows[Case]] if self.audit_per_case else [],
                feed_first=batch.feed_first,
            )

        case_ids: list[str] = []
        starts = range(first, first + count, self.batch_size)
        for block in _pipelined(builder, build, starts, ahead=1):
            # The builder numbered the feed from the counter it was given; taking the numbers
            # here moves the counter on (the chain's lock keeps anyone else from taking them).
            feed = block.tables[FeedEntry].count
            if feed and feed_reserve(connection.alias, feed) != block.feed_first:
                raise AssertionError("feed numbers taken during the load")
            for model, rows in block.tables.items():
                self.write(model, rows, result)
            case_ids += block.case_ids
            result.cases += block.count
            progress(block.count)
        return case_ids

    def write_audit_trail(
        self,
        builder: ThreadPoolExecutor,
        case_ids: list[str],
        ends: _ChainEnds,
        deferral: IndexDeferral,
        result: LoadResult,
    ) -> None:
        """The audit trail, hashed by the builder from now on while the database creates the
        case tables' indexes again, block after block as far ahead as it gets: on PostgreSQL
        the blocks wait in a temporary file (a million cases' trail is gigabytes)."""
        size, per_case = self.batch_size, self.audit_per_case
        blocks = [case_ids[start : start + size] for start in range(0, len(case_ids), size)]
        with _Spool() as spool:
            trail = _pipelined(
                builder,
                lambda ids: spool.park(self.rows_of(AuditEntry, audit_trail(ids, ends, per_case))),
                blocks,
                ahead=len(blocks),
            )
            audit_table = AuditEntry._meta.db_table
            self.restore(deferral, result, [t for t in deferral.tables if t != audit_table])
            for rows in trail:
                self.write(AuditEntry, spool.take(rows), result)

    def restore(self, deferral: IndexDeferral, result: LoadResult, tables: list[str]) -> None:
        rebuilding = time.monotonic()
        deferral.restore(tables)
        result.rebuild_seconds += time.monotonic() - rebuilding

    # -- writing ----------------------------------------------------------------------------
    def rows_of(self, model: type[models.Model], rows: list[tuple[str, ...]]) -> _Rows:
        """The rows as they are written: on PostgreSQL one block of COPY text (made here, by
        the builder, so that the writer only sends it; the tuples are let go), on SQLite the
        tuples."""
        if self.vendor == "postgresql":
            return _Rows(len(rows), None, "\n".join(map("\t".join, rows)) + "\n")
        return _Rows(len(rows), rows, None)

    def write(self, model: type[models.Model], rows: _Rows, result: LoadResult) -> None:
        label = model._meta.label_lower
        result.rows[label] = result.rows.get(label, 0) + rows.count
        if not rows.count:
            return
        columns = COLUMNS[model]
        table = connection.ops.quote_name(model._meta.db_table)
        names_sql = ", ".join(
            connection.ops.quote_name(name) for name in _db_columns(model, columns)
        )
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                assert rows.text is not None, "rows still parked"
                # The psycopg cursor under Django's wrapper: COPY is psycopg 3's own API. One
                # block per table: psycopg's write_row would convert each value in Python.
                copy_sql = f"COPY {table} ({names_sql}) FROM STDIN"
                with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                    copy.write(rows.text)
            else:
                prepare = _preparers(model, columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({names_sql}) VALUES ({marks})",  # noqa: S608 - our names
                    [
                        tuple(p(copy_value(v)) for p, v in zip(prepare, row, strict=True))
                        for row in rows.rows or ()
                    ],
                )


@dataclass
class _Rows:
    count: int
    rows: list[tuple[str, ...]] | None  # on SQLite
    text: str | bytes | None  # on PostgreSQL: the rows as COPY text
    parked: tuple[int, int] | None = None  # or where that text waits in a _Spool


class _Spool:
    """Blocks of COPY text parked in a temporary file: written by the builder, read back by the
    writer with pread (no file position shared between the threads)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="scale-")  # noqa: SIM115 - closed by __exit__
        self.size = 0

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.file.close()

    def park(self, rows: _Rows) -> _Rows:
        if not isinstance(rows.text, str):
            return rows  # SQLite's tuples stay as they are
        data = rows.text.encode()
        self.file.write(data)
        self.file.flush()
        parked = _Rows(rows.count, None, None, parked=(self.size, len(data)))
        self.size += len(data)
        return parked

    def take(self, rows: _Rows) -> _Rows:
        if rows.parked is None:
            return rows
        offset, length = rows.parked
        return _Rows(rows.count, None, os.pread(self.file.fileno(), length, offset))


@dataclass
class _Block:
    """A batch as the writer receives it."""

    tables: dict[type[models.Model], _Rows]
    count: int
    case_ids: list[str]  # for the audit trail, if any
    feed_first: int


def _pipelined(builder: ThreadPoolExecutor, work: Callable, items: Iterable, *, ahead: int):
    """work(item) for each item, in order, computed by `builder` (one thread: in order, too) up
    to `ahead` items before the caller takes them; the first ones are submitted now."""
    items = iter(items)
    pending = deque(builder.submit(work, item) for item in islice(items, ahead))

    def results() -> Iterator:
        try:
            while pending:
                result = pending.popleft().result()
                pending.extend(builder.submit(work, item) for item in islice(items, 1))
                yield result
        finally:
            for future in pending:
                future.cancel()

    return results()


def _db_columns(model: type[models.Model], attnames: Iterable[str]) -> list[str]:
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


def _preparers(model: type[models.Model], attnames: Iterable[str]) -> list[Callable[[Any], Any]]:
    """Each column's conversion from COPY's text to what the database takes (the SQLite
    fallback: UUIDs as hex, datetimes as UTC text), exactly as the ORM would write it."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    preparers = []
    for name in attnames:
        model_field = by_attname[name]
        if model is AuditEntry and name == "changes":
            preparers.append(lambda value: value)  # already the stored text
        else:
            preparers.append(lambda value, f=model_field: f.get_db_prep_save(value, connection))
    return preparers


# -- indexes: dropped for a bulk load, created again after it --------------------------------

# Every index of the tables, with the constraint it backs (primary key, unique) if any.
_INDEXES_SQL = """
SELECT t.relname, i.relname, c.conname,
       COALESCE(pg_get_constraintdef(c.oid), pg_get_indexdef(x.indexrelid))
  FROM pg_index x
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_class i ON i.oid = x.indexrelid
  LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
       AND c.contype IN ('p', 'u', 'x')
 WHERE x.indrelid = ANY(%s::regclass[]) AND x.indisvalid
 ORDER BY t.relname, i.relname
"""
# The foreign keys of the tables and those pointing to them (from any table), with what checking
# one by hand takes: its columns, the table and columns it points to, the triggers that check
# each row inserted.
_FOREIGN_KEYS_SQL = """
SELECT t.relname, c.conname, pg_get_constraintdef(c.oid),
       c.confrelid = ANY(%(tables)s::regclass[]), c.condeferred, c.confmatchtype = 's',
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(number, position)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.number
              ORDER BY k.position),
       f.relname,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(number, position)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.number
              ORDER BY k.position),
       ARRAY(SELECT g.tgname FROM pg_trigger g
              WHERE g.tgconstraint = c.oid AND g.tgrelid = c.conrelid ORDER BY g.tgname)
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_class f ON f.oid = c.confrelid
 WHERE c.contype = 'f'
   AND (c.conrelid = ANY(%(tables)s::regclass[]) OR c.confrelid = ANY(%(tables)s::regclass[]))
 ORDER BY t.relname, c.conname
"""
_OWNED_SQL = """
SELECT bool_and(pg_has_role(current_user, relowner, 'USAGE'))
  FROM pg_class WHERE oid = ANY(%s::regclass[])
"""
# Tables with an index that CREATE INDEX from its definition would not give back as it was.
_UNUSUAL_SQL = """
SELECT DISTINCT indrelid::regclass::text FROM pg_index
 WHERE indrelid = ANY(%s::regclass[])
   AND (NOT indisvalid OR indisclustered OR indisreplident
        OR obj_description(indexrelid, 'pg_class') IS NOT NULL)
"""


@dataclass(frozen=True)
class _ForeignKey:
    table: str
    name: str
    definition: str
    to_loaded_table: bool
    deferred: bool
    simple: bool  # MATCH SIMPLE, Django's
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    triggers: tuple[str, ...]  # the table's triggers that check each row inserted


class IndexDeferral:
    """Drop the indexes of the tables a load at least doubles, and create them again after it,
    all in the load's transaction.

    Crash-safe by PostgreSQL's transactional DDL rather than by our own clean-up: the definitions
    are read from the catalog (pg_get_indexdef, pg_get_constraintdef) in the same transaction,
    and if anything fails or the process dies before the commit, the drops are rolled back with
    the rows. A user who does not own the tables keeps them: the load is then slower.

    Every index goes, primary keys included (a random UUID's insert touches a random page of
    its index, and after each checkpoint writes that whole page to the WAL). So do the foreign
    keys pointing to these tables, from any table, since they need those keys; added back, each
    checks every row with one join instead of a trigger per row.

    Foreign keys from these tables to others (places, offices, users) are not dropped: that
    would lock those tables, read by every request, for the whole load (and PostgreSQL refuses
    while they have checks pending). A superuser turns off their per-row check triggers instead
    and checks every row with one query per table before turning them on again; anyone else has
    them checked as each COPY ends (CREATE INDEX refuses a table with checks pending).

    Each table is rebuilt or kept as a whole: an index created again costs a sort of the whole
    table, so a load that adds less than the table holds keeps its indexes (the audit table, a
    year of real entries, is weighed against the entries this load adds, not its cases).
    """

    def __init__(self, tables: list[str], *, superuser: bool = False) -> None:
        self.tables = tables
        self.superuser = superuser
        self.indexes: list[tuple[str, str, str | None, str]] = []
        self.foreign_keys: list[_ForeignKey] = []
        self.restored: set[str] = set()
        if tables:
            with connection.cursor() as cursor:
                cursor.execute(_FOREIGN_KEYS_SQL, {"tables": tables})
                self.foreign_keys = [
                    _ForeignKey(*row[:6], tuple(row[6]), row[7], tuple(row[8]), tuple(row[9]))
                    for row in cursor.fetchall()
                ]

    @classmethod
    def for_load(cls, count: int, audit_per_case: int, rebuild: bool | None) -> IndexDeferral:
        adding = {model._meta.db_table: count for model in WRITE_ORDER}
        if audit_per_case:
            adding[AuditEntry._meta.db_table] = count * audit_per_case
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE oid = ANY(%s::regclass[])",
                [list(adding)],
            )
            # reltuples: the planner's estimate (-1 when never counted, an empty table), kept
            # current by autovacuum and by CREATE INDEX; the case-sized tables are weighed
            # against the cases table (their rows grow with its rows, and COPY does not count).
            held = {name: max(estimate, 0) for name, estimate in cursor.fetchall()}
            cursor.execute(_UNUSUAL_SQL, [list(adding)])
            unusual = {name for (name,) in cursor.fetchall()}

        def doubled(name: str) -> bool:
            audit = name == AuditEntry._meta.db_table
            return held[name if audit else Case._meta.db_table] <= adding[name]

        tables = [
            name
            for name in sorted(adding)
            if name not in unusual and (rebuild or (rebuild is None and doubled(name)))
        ]
        deferral = cls(tables, superuser=bool(tables) and _superuser())
        with connection.cursor() as cursor:
            cursor.execute(_OWNED_SQL, [deferral.locked_tables])
            owned = cursor.fetchone()[0]
        return deferral if owned else cls([])

    @property
    def dropped_keys(self) -> list[_ForeignKey]:
        return [key for key in self.foreign_keys if key.to_loaded_table]

    @property
    def kept_keys(self) -> list[_ForeignKey]:
        """The keys to other tables; a superuser checks them by hand (check_kept_keys)."""
        return [key for key in self.foreign_keys if not key.to_loaded_table]

    @property
    def locked_tables(self) -> list[str]:
        """The tables and those whose foreign keys to them are dropped."""
        return sorted({*self.tables, *(key.table for key in self.dropped_keys)})

    def lock(self) -> None:
        """Take the tables before the chain's lock: a writer holding one of them and waiting for
        the chain's lock would otherwise deadlock with us."""
        if self.tables:
            quoted = ", ".join(map(connection.ops.quote_name, self.locked_tables))
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")

    def drop(self) -> None:
        if not self.tables:
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(_INDEXES_SQL, [self.tables])
            self.indexes = cursor.fetchall()
            self.set_kept_keys(cursor, enabled=False)
            for key in self.dropped_keys:
                cursor.execute(f"ALTER TABLE {quote(key.table)} DROP CONSTRAINT {quote(key.name)}")
            for table, index, constraint, _definition in self.indexes:
                if constraint:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(constraint)}"
                    )
                else:
                    cursor.execute(f"DROP INDEX {quote(index)}")

    def restore(self, tables: list[str]) -> None:
        """Create again what was dropped from `tables`: keys and indexes first (the foreign
        keys' checks use them), then the foreign keys, each checked over the whole table by one
        join."""
        quote = connection.ops.quote_name
        tables = [table for table in tables if table not in self.restored]
        self.restored.update(tables)
        with connection.cursor() as cursor:
            for table, _index, constraint, definition in self.indexes:
                if table not in tables:
                    continue
                if constraint:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} "
                        f"{definition}"
                    )
                else:
                    cursor.execute(definition)
            for key in self.dropped_keys:
                # Once both ends are back (a key from another table: once its target is).
                ends = {key.target, key.table} & set(self.tables)
                if ends <= self.restored and ends & set(tables):
                    cursor.execute(
                        f"ALTER TABLE {quote(key.table)} ADD CONSTRAINT {quote(key.name)} "
                        f"{key.definition}"
                    )
            self.set_kept_keys(cursor, enabled=True, tables=tables)

    def set_kept_keys(self, cursor: Any, *, enabled: bool, tables: list[str] | None = None):
        """Turn the per-row checks of the keys to other tables off for the load (a superuser),
        or have them made as each COPY ends; and back, checking every row by hand."""
        quote = connection.ops.quote_name
        keys = [key for key in self.kept_keys if tables is None or key.table in tables]
        by_hand = [key for key in keys if self.superuser and key.simple]
        deferred = [key.name for key in keys if key not in by_hand and key.deferred]
        if enabled:
            check_by_hand(cursor, by_hand)
        for key in by_hand:
            for trigger in key.triggers:
                cursor.execute(
                    f"ALTER TABLE {quote(key.table)} {'ENABLE' if enabled else 'DISABLE'} "
                    f"TRIGGER {quote(trigger)}"
                )
        if deferred:
            when = "DEFERRED" if enabled else "IMMEDIATE"
            cursor.execute(f"SET CONSTRAINTS {', '.join(map(quote, deferred))} {when}")


def check_by_hand(cursor: Any, keys: list[_ForeignKey]) -> None:
    """What the turned-off triggers would have checked, for every row, one scan per table: a
    foreign key whose columns are all set names a row that exists (MATCH SIMPLE)."""
    quote = connection.ops.quote_name
    by_table: dict[str, list[_ForeignKey]] = {}
    for key in keys:
        by_table.setdefault(key.table, []).append(key)
    for table, table_keys in by_table.items():
        missing = " OR ".join(map(_missing_sql, table_keys))
        cursor.execute(f"SELECT 1 FROM ONLY {quote(table)} c WHERE {missing} LIMIT 1")  # noqa: S608 - catalog names
        if cursor.fetchone():
            names_text = ", ".join(key.name for key in table_keys)
            raise IntegrityError(f"{table}: a row points to no record ({names_text})")


def _superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        return cursor.fetchone()[0]


def _missing_sql(key: _ForeignKey) -> str:
    """The condition on a row `c` of key.table that key is broken."""
    quote = connection.ops.quote_name
    is_set = " AND ".join(f"c.{quote(column)} IS NOT NULL" for column in key.columns)
    same = " AND ".join(
        f"p.{quote(target)} = c.{quote(column)}"
        for column, target in zip(key.columns, key.target_columns, strict=True)
    )
    return f"({is_set} AND NOT EXISTS (SELECT 1 FROM ONLY {quote(key.target)} p WHERE {same}))"  # noqa: S608
