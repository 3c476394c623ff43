"""Deterministic generator of synthetic records that add up to the published figures.

`generate(copy=0)` builds, in memory, one complete synthetic population: 6,417 cases with their
timelines, a dozen duplicate records, relatives and reference samples, grave sites, exhumations,
remains, identifications, handovers and aid disbursements, dated by `seeds.schedule`. Nothing
here writes to the database; `seeds.loader` does, through the lifecycle's bulk service.

The same `copy` always gives the same records (fixed seed; ids drawn from the same generator).
`copy` > 0 gives another, independent population for `seed --scale`.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from aid.models import AidProgramme, Disbursement
from cases.lifecycle import EventType
from cases.models import ADULT_AGE, AlternateName, Case, Office
from cases.partial_dates import PartialDate, age_on
from cases.services import NewCaseHistory, NewEvent
from families.models import Handover, Kinship, ReferenceSample, Relative
from gazetteer.models import Place
from graves.models import Exhumation, GraveReport, GraveSite, Identification, Remains

from . import names
from . import schedule as S
from .gazetteer_data import GRAVE_PLACE_WEIGHTS, OFFICES, ORIGIN_WEIGHTS

BASE_SEED = 20140803
SYNTHETIC_NOTE = "Synthetic record: invented for demonstration and tests; no real person."
OFFICE_SOURCE = "KRG Office for Rescuing Kidnapped Yazidis (synthetic)"


@dataclass
class Population:
    histories: list[NewCaseHistory] = field(default_factory=list)
    alternate_names: list[AlternateName] = field(default_factory=list)
    relatives: list[Relative] = field(default_factory=list)
    kinships: list[Kinship] = field(default_factory=list)
    samples: list[ReferenceSample] = field(default_factory=list)
    sites: list[GraveSite] = field(default_factory=list)
    site_reports: list[GraveReport] = field(default_factory=list)
    exhumations: list[Exhumation] = field(default_factory=list)
    remains: list[Remains] = field(default_factory=list)
    identifications: list[Identification] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    disbursements: list[Disbursement] = field(default_factory=list)


@dataclass
class _Person:
    """A case being planned: its fate and dates, before it becomes a Case and its events."""

    sex: str
    minor: bool
    rescued_on: PartialDate | None = None
    identified_on: dt.date | None = None
    returned_on: dt.date | None = None
    ceremony: str = ""
    death_reported: bool = False
    kocho: bool = False
    case: Case | None = None
    events: list[NewEvent] = field(default_factory=list)
    relatives: list[Relative] = field(default_factory=list)


class Generator:
    def __init__(
        self,
        *,
        copy: int,
        places: dict[str, Place],
        offices: dict[str, Office],
        programmes: dict[str, AidProgramme],
    ) -> None:
        self.copy = copy
        self.rng = random.Random(BASE_SEED + copy)
        self.places, self.offices, self.programmes = places, offices, programmes
        self.prefix = "" if copy == 0 else f"X{copy}-"
        self.out = Population()

    # -- helpers ---------------------------------------------------------------------------
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def spread(self, first: dt.date, last: dt.date, count: int) -> list[dt.date]:
        return sorted(self.day_between(first, last) for _ in range(count))

    def moment(self, day: dt.date) -> dt.datetime:
        """A recording time on `day` (office hours, Baghdad time stored as UTC)."""
        naive = dt.datetime.combine(day, dt.time(6, 0)) + dt.timedelta(
            minutes=self.rng.randint(0, 8 * 60)
        )
        return timezone.make_aware(naive, dt.UTC)

    def weighted(self, weights: dict[str, int]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    # -- the plan ----------------------------------------------------------------------------
    def generate(self) -> Population:
        people = self.plan_people()
        self.build_cases(people)
        self.build_families(people)
        self.build_graves_and_identifications(people)
        self.build_duplicates(people)
        self.build_aid(people)
        return self.out

    def plan_people(self) -> list[_Person]:
        people: list[_Person] = []
        # Rescues, window by window, so the counts at each snapshot day are exact.
        for first, last, women, girls, men, boys in S.RESCUE_WINDOWS:
            for sex, minor, count in (
                ("female", False, women),
                ("female", True, girls),
                ("male", False, men),
                ("male", True, boys),
            ):
                for _ in range(count):
                    person = _Person(sex=sex, minor=minor)
                    person.rescued_on = self.rescue_date(first, last)
                    people.append(person)
        # Remains identified and returned.
        for first, last, female, male, ceremony in S.RETURN_WINDOWS:
            for sex, count in (("female", female), ("male", male)):
                for day in self.spread(first, last, count):
                    person = _Person(sex=sex, minor=self.rng.random() < 0.15)
                    person.returned_on, person.ceremony = day, ceremony
                    person.kocho = ceremony.startswith("Collective reburial, Kocho")
                    if person.kocho:
                        person.minor = False
                    people.append(person)
        for day, sex in S.IDENTIFIED_PENDING:
            people.append(_Person(sex=sex, minor=False, identified_on=day))
        # Everyone else is still missing.
        for sex, total in S.KIDNAPPED.items():
            remaining = total - sum(1 for p in people if p.sex == sex)
            for _ in range(remaining):
                person = _Person(
                    sex=sex, minor=self.rng.random() < (0.4 if sex == "female" else 0.35)
                )
                person.death_reported = sex == "male" and self.rng.random() < 0.25
                people.append(person)
        self.rng.shuffle(people)
        return people

    def rescue_date(self, first: dt.date, last: dt.date) -> PartialDate:
        if last == S.RESCUE_WINDOWS[0][1]:
            years = list(S.RESCUE_YEAR_WEIGHTS)
            year = self.rng.choices(years, weights=list(S.RESCUE_YEAR_WEIGHTS.values()))[0]
            first = max(first, dt.date(year, 1, 1))
            last = min(last, dt.date(year, 12, 31))
        day = self.day_between(first, last)
        # Early rescues are often known only to the month or the year; a partial date counts
        # from its last day, which must still fall before the first snapshot.
        # Never for the first months, so the report can still be dated before the rescue.
        roll = self.rng.random()
        if 2015 <= day.year <= 2017 and roll < 0.10:
            return PartialDate(day.year)
        if dt.date(2014, 11, 1) <= day <= dt.date(2019, 12, 31) and roll < 0.35:
            return PartialDate(day.year, day.month)
        return PartialDate.parse(day)

    # -- cases and their timelines --------------------------------------------------------------
    def build_cases(self, people: list[_Person]) -> None:
        office_codes = [code for code, *_ in OFFICES]
        office_weights = [share for *_, share in OFFICES]
        counters = dict.fromkeys(office_codes, 0)
        families: list[tuple[str, str]] = []
        for person in people:
            office = self.rng.choices(office_codes, weights=office_weights)[0]
            counters[office] += 1
            # Siblings abducted together share a father and a family name.
            if families and self.rng.random() < 0.45:
                father, family = self.rng.choice(families[-40:])
            else:
                father = names.given_name(self.rng, "male")
                family = names.family_name(self.rng)
                families.append((father, family))
            grandfather = names.given_name(self.rng, "male")
            given = names.given_name(self.rng, person.sex)
            origin = "kocho" if person.kocho else self.weighted(ORIGIN_WEIGHTS)
            abducted = self.abduction_date()
            birth, age = self.birth(person.minor, abducted)
            case = Case(
                id=self.uuid(),
                case_number=f"{self.prefix}{office}-{counters[office]:05d}",
                given_name_latn=given[0],
                given_name_ar=given[1],
                father_name_latn=father[0],
                father_name_ar=father[1],
                grandfather_name_latn=grandfather[0],
                grandfather_name_ar=grandfather[1],
                family_name_latn=family[0],
                family_name_ar=family[1],
                sex=person.sex,
                birth_date=birth,
                age_at_abduction=age,
                origin=self.places[origin],
                office=self.offices[office],
                abducted_on=abducted,
                abduction_place=self.places[origin if self.rng.random() < 0.7 else "sinjar"],
                captivity_notes=SYNTHETIC_NOTE,
                is_synthetic=True,
            )
            person.case = case
            variant = names.latin_variant(self.rng, given[0])
            if variant and self.rng.random() < 0.5:
                self.out.alternate_names.append(
                    AlternateName(
                        id=self.uuid(),
                        case=case,
                        script="latn",
                        source="family report",
                        full_name=f"{variant} {father[0]} {family[0]}",
                    )
                )
            self.plan_events(person)

    def abduction_date(self) -> PartialDate:
        roll = self.rng.random()
        if roll < 0.6:
            return PartialDate.parse(S.ABDUCTION_DAY)
        if roll < 0.9:
            return PartialDate.parse(self.day_between(S.ABDUCTION_DAY, dt.date(2014, 8, 31)))
        return PartialDate(2014, 8)

    def birth(self, minor: bool, abducted: PartialDate) -> tuple[PartialDate | None, int | None]:
        """A birth date (usually only the year) or, for some, only a reported age."""
        age = self.rng.randint(1, 17) if minor else self.rng.randint(19, 70)
        if self.rng.random() < 0.1:
            return None, age
        year = abducted.midpoint().year - age
        roll = self.rng.random()
        if roll < 0.7:
            birth = PartialDate(year)
        elif roll < 0.85:
            birth = PartialDate(year, self.rng.randint(1, 12))
        else:
            birth = PartialDate(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        # The age the service will derive (mid-period rule) must keep the person's category.
        if (age_on(birth, abducted.midpoint()) < ADULT_AGE) != minor:
            birth = PartialDate(year)  # born 1 July: exactly `age` in August
        return birth, None

    def plan_events(self, person: _Person) -> None:
        case = person.case
        abducted_upper = case.abducted_on.upper()
        # The first dated outcome bounds when the report and other news can be dated.
        if person.rescued_on is not None:
            horizon = person.rescued_on.lower() - dt.timedelta(days=1)
        elif person.returned_on is not None or person.identified_on is not None:
            horizon = dt.date(2016, 12, 31)
        else:
            horizon = dt.date(2019, 12, 31)
        report_last = min(abducted_upper + dt.timedelta(days=150), horizon)
        reported = self.day_between(abducted_upper + dt.timedelta(days=1), report_last)
        events = [
            NewEvent(
                EventType.REPORTED_MISSING,
                reported,
                OFFICE_SOURCE,
                recorded_at=self.moment(reported),
            )
        ]
        last = reported
        still_open = (
            person.rescued_on is None and person.returned_on is None and not person.death_reported
        )
        if still_open and self.rng.random() < 0.12:
            day = self.day_between(last + dt.timedelta(days=1), dt.date(2019, 12, 31))
            events.append(
                NewEvent(
                    EventType.CAPTIVITY_CONFIRMED,
                    day,
                    "survivor testimony",
                    recorded_at=self.moment(day),
                )
            )
        if person.rescued_on is not None:
            gap = (person.rescued_on.lower() - last).days
            if gap > 20 and self.rng.random() < 0.35:
                day = last + dt.timedelta(days=self.rng.randint(1, gap - 1))
                events.append(
                    NewEvent(
                        EventType.CAPTIVITY_CONFIRMED,
                        day,
                        "survivor testimony",
                        recorded_at=self.moment(day),
                    )
                )
            recorded = person.rescued_on.upper() + dt.timedelta(days=self.rng.randint(0, 20))
            events.append(
                NewEvent(
                    EventType.RESCUED,
                    person.rescued_on,
                    OFFICE_SOURCE,
                    recorded_at=self.moment(recorded),
                )
            )
        if (
            person.death_reported
            or person.kocho
            or (person.returned_on is not None and self.rng.random() < 0.5)
        ):
            day = (
                dt.date(2014, 8, 20)
                if person.kocho
                else self.day_between(last + dt.timedelta(days=1), dt.date(2018, 12, 31))
            )
            day = max(day, last)
            events.append(
                NewEvent(
                    EventType.DEATH_REPORTED,
                    day,
                    "witness statement",
                    recorded_at=self.moment(day + dt.timedelta(days=3)),
                )
            )
        person.events = events

    def build_duplicates(self, people: list[_Person]) -> None:
        """A few cases registered twice, found and closed as duplicates of the original."""
        originals = [
            p
            for p in people
            if p.rescued_on is None and p.returned_on is None and p.identified_on is None
        ]
        for number, original in enumerate(self.rng.sample(originals, S.DUPLICATE_RECORDS), 1):
            source = original.case
            office = self.rng.choice([o for o in self.offices.values() if o != source.office])
            duplicate = Case(
                id=self.uuid(),
                case_number=f"{self.prefix}{office.code}-D{number:04d}",
                given_name_latn=names.latin_variant(self.rng, source.given_name_latn)
                or source.given_name_latn,
                given_name_ar=source.given_name_ar,
                father_name_latn=source.father_name_latn,
                father_name_ar=source.father_name_ar,
                family_name_latn=source.family_name_latn,
                family_name_ar=source.family_name_ar,
                sex=source.sex,
                birth_date=source.birth_date,
                age_at_abduction=source.age_at_abduction,
                origin=source.origin,
                office=office,
                abducted_on=source.abducted_on,
                captivity_notes=SYNTHETIC_NOTE,
                is_synthetic=True,
            )
            reported = self.day_between(dt.date(2015, 1, 1), dt.date(2016, 12, 31))
            closed = self.day_between(dt.date(2017, 1, 1), dt.date(2019, 12, 31))
            self.out.histories.append(
                NewCaseHistory(
                    duplicate,
                    [
                        NewEvent(
                            EventType.REPORTED_MISSING,
                            reported,
                            "camp registration drive",
                            recorded_at=self.moment(reported),
                        ),
                        NewEvent(
                            EventType.CLOSED_DUPLICATE,
                            closed,
                            "registry reconciliation",
                            note=f"duplicate of {source.case_number}",
                            duplicate_of=source,
                            recorded_at=self.moment(closed),
                        ),
                    ],
                )
            )

    # -- families -------------------------------------------------------------------------------
    def build_families(self, people: list[_Person]) -> None:
        households: dict[tuple[str, str], list[_Person]] = {}
        for person in people:
            key = (person.case.father_name_latn, person.case.family_name_latn)
            households.setdefault(key, []).append(person)
        for (_father, family), members in households.items():
            count = self.rng.choices((0, 1, 2, 3, 4), weights=(10, 30, 35, 20, 5))[0]
            for index in range(count):
                sex = "female" if index == 0 or self.rng.random() < 0.5 else "male"
                given = names.given_name(self.rng, sex)
                consent = self.rng.choices(
                    [
                        Relative.Consent.GIVEN,
                        Relative.Consent.NOT_ASKED,
                        Relative.Consent.REFUSED,
                        Relative.Consent.WITHDRAWN,
                    ],
                    weights=(75, 15, 7, 3),
                )[0]
                given_consent = consent == Relative.Consent.GIVEN
                relative = Relative(
                    id=self.uuid(),
                    full_name_latn=f"{given[0]} {family}",
                    full_name_ar=f"{given[1]} {members[0].case.family_name_ar}",
                    sex=sex,
                    birth_date=PartialDate(self.rng.randint(1940, 1995)),
                    phone=f"+964 750 555 {self.rng.randint(0, 9999):04d}",
                    address=f"{members[0].case.origin.name_latn} (synthetic address)",
                    consent=consent,
                    consent_recorded_on=None
                    if consent == Relative.Consent.NOT_ASKED
                    else self.day_between(dt.date(2015, 6, 1), dt.date(2016, 2, 28)),
                    consent_dna_matching=given_consent and self.rng.random() < 0.95,
                    consent_share_with_partners=given_consent and self.rng.random() < 0.6,
                    is_synthetic=True,
                )
                self.out.relatives.append(relative)
                relationship = (
                    "mother"
                    if index == 0
                    else self.rng.choice(["father", "sibling", "aunt_uncle", "grandparent"])
                )
                for member in members:
                    member.relatives.append(relative)
                    self.out.kinships.append(
                        Kinship(
                            id=self.uuid(),
                            case=member.case,
                            relative=relative,
                            relationship=relationship,
                        )
                    )
        donors = [r for r in self.out.relatives if r.consent_dna_matching]
        self.rng.shuffle(donors)
        position = 0
        for first, last, count in S.SAMPLES_WINDOWS:
            for relative in donors[position : position + count]:
                collected = self.day_between(max(first, relative.consent_recorded_on), last)
                self.out.samples.append(
                    ReferenceSample(
                        id=self.uuid(),
                        relative=relative,
                        collected_on=collected,
                        lab_reference=f"{self.prefix}SYN-LAB-{len(self.out.samples) + 1:06d}",
                        status=self.rng.choices(
                            [
                                ReferenceSample.Status.PROFILED,
                                ReferenceSample.Status.SENT_TO_LAB,
                                ReferenceSample.Status.FAILED,
                            ],
                            weights=(85, 10, 5),
                        )[0],
                    )
                )
            position += count
        if position > len(donors):
            raise RuntimeError("not enough consenting relatives for the sample schedule")

    # -- graves, remains, identifications, handovers ---------------------------------------------
    def build_graves_and_identifications(self, people: list[_Person]) -> None:
        mass_graves = self.build_sites()
        remains_pool = self.build_remains(mass_graves)
        identified = sorted(
            (p for p in people if p.returned_on is not None or p.identified_on is not None),
            key=lambda p: p.returned_on or p.identified_on,
        )
        kocho_remains = [r for r in remains_pool if r.site.place.code == "kocho"]
        other_remains = [r for r in remains_pool if r.site.place.code != "kocho"]
        for person in identified:
            if person.returned_on is not None:
                confirmed = person.returned_on - dt.timedelta(days=self.rng.randint(10, 120))
            else:
                confirmed = person.identified_on
            identified_on = confirmed - dt.timedelta(days=self.rng.randint(0, 10))
            pool = kocho_remains if person.kocho else other_remains
            # The earliest-recovered free remains recovered at least 30 days before.
            candidates = [
                r for r in pool if r.recovered_on <= identified_on - dt.timedelta(days=30)
            ]
            if not candidates:
                raise RuntimeError(f"no remains recovered in time for {identified_on}")
            remains = self.rng.choice(candidates[:40])
            pool.remove(remains)
            remains.sex_estimate = person.sex
            remains.sample_status = Remains.SampleStatus.PROFILED
            identification = Identification(
                id=self.uuid(),
                remains=remains,
                case=person.case,
                method=Identification.Method.DNA_KINSHIP,
                match_statistic=Decimal("0.9999") + Decimal(self.rng.randint(0, 99)) / 1000000,
                status=Identification.Status.CONFIRMED,
                identified_on=identified_on,
                confirmed_on=confirmed,
            )
            self.out.identifications.append(identification)
            person.events.append(
                NewEvent(
                    EventType.REMAINS_IDENTIFIED,
                    identified_on,
                    "Medico-Legal Directorate",
                    note=f"remains {remains.code}",
                    recorded_at=self.moment(confirmed),
                )
            )
            if person.returned_on is not None:
                receiving = person.relatives[0] if person.relatives else None
                self.out.handovers.append(
                    Handover(
                        id=self.uuid(),
                        case=person.case,
                        identification=identification,
                        handed_over_on=person.returned_on,
                        receiving_relative=receiving,
                        burial_place=person.case.origin,
                        ceremony=person.ceremony,
                        burial_note="Village cemetery" if person.kocho else "Family burial ground",
                    )
                )
                person.events.append(
                    NewEvent(
                        EventType.REMAINS_RETURNED,
                        person.returned_on,
                        "Martyrs Foundation",
                        note=person.ceremony,
                        recorded_at=self.moment(person.returned_on),
                    )
                )
        for person in people:
            self.out.histories.append(NewCaseHistory(person.case, person.events))

    def build_sites(self) -> list[GraveSite]:
        mass_graves: list[GraveSite] = []
        number = 0

        def site(place_code: str, reported: dt.date) -> GraveSite:
            nonlocal number
            number += 1
            place = self.places[place_code]
            grave = GraveSite(
                id=self.uuid(),
                code=f"{self.prefix}MG-{number:03d}",
                name=f"{place.name_latn} site {number}",
                place=place,
                latitude=Decimal(str(place.latitude))
                + Decimal(self.rng.randint(-200, 200)) / 10000,
                longitude=Decimal(str(place.longitude))
                + Decimal(self.rng.randint(-200, 200)) / 10000,
                status=GraveSite.Status.SUSPECTED,
                reported_on=reported,
                estimated_victims=self.rng.randint(3, 90),
                notes=SYNTHETIC_NOTE,
                is_synthetic=True,
            )
            self.out.sites.append(grave)
            self.out.site_reports.append(
                GraveReport(
                    id=self.uuid(),
                    site=grave,
                    reported_on=reported,
                    source=self.rng.choice(
                        [
                            "local witnesses",
                            "survivor testimony",
                            "Sinjar district authorities",
                            "UNITAD field mission",
                        ]
                    ),
                    estimated_victims=grave.estimated_victims,
                )
            )
            return grave

        for first, last, count in S.GRAVE_CONFIRMATION_WINDOWS:
            for confirmed in self.spread(first, last, count):
                kocho = first == S.LIBERATION_OF_SINJAR and len(mass_graves) < S.KOCHO_GRAVES
                reported = max(
                    S.LIBERATION_OF_SINJAR, confirmed - dt.timedelta(days=self.rng.randint(0, 120))
                )
                grave = site("kocho" if kocho else self.weighted(GRAVE_PLACE_WEIGHTS), reported)
                grave.status, grave.confirmed_on = GraveSite.Status.CONFIRMED, confirmed
                self.out.site_reports.append(
                    GraveReport(
                        id=self.uuid(),
                        site=grave,
                        reported_on=confirmed,
                        source="Mass Graves Directorate",
                        note="confirmed",
                    )
                )
                mass_graves.append(grave)
        for first, last, count in S.SUSPECTED_ONLY:
            for reported in self.spread(first, last, count):
                site(self.weighted(GRAVE_PLACE_WEIGHTS), reported)
        # Open the Kocho graves first (March 2019), then others confirmed early enough.
        opened_by, opened_count = S.MASS_GRAVES_OPENED_BY
        kocho = [g for g in mass_graves if g.place.code == "kocho"]
        others = [
            g
            for g in mass_graves
            if g.place.code != "kocho" and g.confirmed_on <= dt.date(2021, 2, 15)
        ]
        for grave in kocho + self.rng.sample(others, opened_count - len(kocho)):
            first = max(S.FIRST_EXHUMATION, grave.confirmed_on + dt.timedelta(days=30))
            grave.opened_on = (
                S.FIRST_EXHUMATION
                if grave in kocho
                else self.day_between(first, opened_by - dt.timedelta(days=60))
            )
            grave.status = GraveSite.Status.EXHUMED
        return mass_graves

    def build_remains(self, mass_graves: list[GraveSite]) -> list[Remains]:
        opened = sorted((g for g in mass_graves if g.opened_on), key=lambda g: g.opened_on)
        kocho = [g for g in opened if g.place.code == "kocho"]
        others = [g for g in opened if g.place.code != "kocho"]
        # Share the remains out: Kocho's graves hold KOCHO_REMAINS, the rest at least one each.
        counts = {g.pk: S.KOCHO_REMAINS // len(kocho) for g in kocho}
        counts[kocho[0].pk] += S.KOCHO_REMAINS % len(kocho)
        rest = S.REMAINS_BY_JULY_2024 - S.KOCHO_REMAINS
        for grave in others:
            counts[grave.pk] = 1
        for _ in range(rest - len(others)):
            counts[self.rng.choice(others).pk] += 1
        pool: list[Remains] = []
        number = 0
        for grave in opened:
            end = min(
                grave.opened_on + dt.timedelta(days=self.rng.randint(10, 60)),
                S.MASS_GRAVES_OPENED_BY[0],
            )
            exhumation = Exhumation(
                id=self.uuid(),
                site=grave,
                started_on=grave.opened_on,
                ended_on=end,
                team="Mass Graves Directorate team",
            )
            self.out.exhumations.append(exhumation)
            for _ in range(counts[grave.pk]):
                number += 1
                pool.append(
                    self.remains(number, grave, exhumation, self.day_between(grave.opened_on, end))
                )
        # Later exhumations at graves already opened (734 by 28 Apr 2025).
        first, last, count = S.REMAINS_LATER
        shares = [count // 3] * 3
        shares[0] += count % 3
        for grave, share in zip(self.rng.sample(others, 3), shares, strict=True):
            exhumation = Exhumation(
                id=self.uuid(),
                site=grave,
                started_on=first,
                ended_on=last,
                team="Mass Graves Directorate team, second phase",
            )
            self.out.exhumations.append(exhumation)
            for _ in range(share):
                number += 1
                pool.append(self.remains(number, grave, exhumation, self.day_between(first, last)))
        pool.sort(key=lambda r: r.recovered_on)
        return pool

    def remains(
        self, number: int, grave: GraveSite, exhumation: Exhumation, recovered: dt.date
    ) -> Remains:
        low = self.rng.randint(8, 60)
        remains = Remains(
            id=self.uuid(),
            code=f"{self.prefix}R-{number:05d}",
            site=grave,
            exhumation=exhumation,
            sex_estimate=self.rng.choice(["female", "male", "male", "undetermined"]),
            age_min=low,
            age_max=low + self.rng.randint(5, 15),
            recovered_on=recovered,
            sample_status=self.rng.choices(
                [
                    Remains.SampleStatus.SAMPLED,
                    Remains.SampleStatus.PROFILED,
                    Remains.SampleStatus.NOT_SAMPLED,
                    Remains.SampleStatus.FAILED,
                ],
                weights=(60, 20, 15, 5),
            )[0],
            is_synthetic=True,
        )
        self.out.remains.append(remains)
        return remains

    # -- aid --------------------------------------------------------------------------------
    def build_aid(self, people: list[_Person]) -> None:
        from reports.metrics import KRG_AID_PROGRAMME, SURVIVORS_LAW_PROGRAMME

        krg = self.programmes[KRG_AID_PROGRAMME]
        ysl = self.programmes[SURVIVORS_LAW_PROGRAMME]
        rescued = sorted(
            (p for p in people if p.rescued_on is not None),
            key=lambda p: (p.rescued_on.upper(), p.case.case_number),
        )
        approved, paid, launch_count = S.KRG_AID_LAUNCH
        eligible_at_launch = [p for p in rescued if p.rescued_on.upper() < approved]
        at_launch = set(id(p) for p in self.rng.sample(eligible_at_launch, launch_count))
        for person in rescued:
            if id(person) in at_launch:
                self.disburse(krg, person, approved, paid)
            elif person.rescued_on.upper() <= dt.date(2024, 12, 3):
                later = max(person.rescued_on.upper() + dt.timedelta(days=14), dt.date(2024, 9, 10))
                self.disburse(krg, person, later, later + dt.timedelta(days=5))
        # A couple of payments reversed after the launch (paid to a wrong account).
        for disbursement in self.rng.sample(self.out.disbursements[:launch_count], 2):
            disbursement.status = Disbursement.Status.REVERSED
            disbursement.reversed_on = dt.date(2024, 10, 1)

        candidates = list(rescued)
        self.rng.shuffle(candidates)
        chosen = iter(candidates)
        for first, last, count in S.YSL_APPROVAL_WINDOWS:
            for approval in self.spread(first, last, count):
                person = next(chosen)
                while person.rescued_on.upper() >= approval:
                    person = next(chosen)
                self.salary(ysl, person, approval)

    def disburse(
        self,
        programme: AidProgramme,
        person: _Person,
        approved: dt.date,
        paid: dt.date,
        period: dt.date | None = None,
    ) -> Disbursement:
        disbursement = Disbursement(
            id=self.uuid(),
            programme=programme,
            case=person.case,
            period=period or paid.replace(day=1),
            amount=programme.standard_amount,
            currency=programme.currency,
            status=Disbursement.Status.PAID,
            approved_on=approved,
            paid_on=paid,
            reference=f"{self.prefix}SYN-PAY-{len(self.out.disbursements) + 1:07d}",
        )
        self.out.disbursements.append(disbursement)
        return disbursement

    def salary(self, programme: AidProgramme, person: _Person, approval: dt.date) -> None:
        """Monthly salary from the month after approval's payday to the last seeded month."""
        period = approval.replace(day=1)
        if approval.day > 20:  # approved after this month's payroll: paid from next month
            period = (period + dt.timedelta(days=32)).replace(day=1)
        while period <= S.YSL_LAST_PERIOD:
            payday = period.replace(day=25)
            self.disburse(programme, person, approval, payday, period=period)
            period = (period + dt.timedelta(days=32)).replace(day=1)
