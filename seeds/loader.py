"""Writes the reference data, the ledger and generated populations to the database."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from aid.models import AidProgramme, Disbursement
from aid.services import disbursement_check
from cases.models import AlternateName, Case, CaseEvent, Office
from cases.services import case_histories_bulk_create
from families.models import Handover, Kinship, ReferenceSample, Relative
from families.services import handover_check
from gazetteer.models import Place
from graves.models import Exhumation, GraveReport, GraveSite, Identification, Remains
from reports.metrics import KRG_AID_PROGRAMME, METRICS, SURVIVORS_LAW_PROGRAMME
from reports.models import PublishedFigure
from sync.feed import feed_touch

from . import schedule
from .gazetteer_data import OFFICES, PLACES
from .generator import Generator, Population

LEDGER_PATH = Path(__file__).with_name("ledger.toml")
# Stable ids for the gazetteer: uuid5 of the place code in this namespace.
PLACE_NAMESPACE = uuid.UUID("6f1c2a70-3b1e-5d6a-9a51-0d2f1b8e2014")
BATCH = 2000


def load_gazetteer() -> dict[str, Place]:
    places: dict[str, Place] = {}
    for code, kind, name, name_ar, parent, lat, lon, alternates in PLACES:
        values = {
            "kind": kind,
            "name_latn": name,
            "name_ar": name_ar,
            "parent": places[parent] if parent else None,
            "latitude": None if lat is None else Decimal(str(lat)),
            "longitude": None if lon is None else Decimal(str(lon)),
            "alternate_names": alternates,
        }
        places[code], _ = Place.objects.update_or_create(
            code=code,
            defaults=values,
            create_defaults={"id": uuid.uuid5(PLACE_NAMESPACE, code), **values},
        )
    return places


def load_offices() -> dict[str, Office]:
    return {
        code: Office.objects.update_or_create(code=code, defaults={"name": name, "name_ar": ar})[0]
        for code, name, ar, _share in OFFICES
    }


def load_programmes() -> dict[str, AidProgramme]:
    krg, _ = AidProgramme.objects.update_or_create(
        code=KRG_AID_PROGRAMME,
        defaults={
            "name": "KRG survivors' aid (2024)",
            "administered_by": "Kurdistan Regional Government, Prime Minister's aid project",
            "frequency": AidProgramme.Frequency.ONE_TIME,
            # The per-person amount was not published; this one is illustrative.
            "standard_amount": Decimal("1000000"),
            "currency": "IQD",
            "starts_on": schedule.KRG_AID_LAUNCH[0],
        },
    )
    ysl, _ = AidProgramme.objects.update_or_create(
        code=SURVIVORS_LAW_PROGRAMME,
        defaults={
            "name": "Yazidi Survivors Law monthly salary",
            "administered_by": "General Directorate for Survivors' Affairs",
            "legal_basis": "Law No. 8 of 2021 (Yazidi Female Survivors Law)",
            "frequency": AidProgramme.Frequency.MONTHLY,
            "standard_amount": Decimal(schedule.YSL_MONTHLY_AMOUNT),
            "currency": "IQD",
            "starts_on": schedule.YSL_APPROVAL_WINDOWS[0][0],
        },
    )
    return {krg.code: krg, ysl.code: ysl}


def load_ledger(path: Path = LEDGER_PATH) -> int:
    """Upsert every figure of the ledger file by its `ref`. Figures added from the admin (refs
    not in the file) are left alone."""
    with path.open("rb") as handle:
        entries = tomllib.load(handle)["figure"]
    for entry in entries:
        key = entry["key"]
        if key not in METRICS:
            raise ValueError(f"ledger entry {entry['ref']}: unknown figure key {key!r}")
        PublishedFigure.objects.update_or_create(
            ref=entry["ref"],
            defaults={
                "key": key,
                "label": entry["label"],
                "as_of": entry["as_of"],
                "window_start": entry.get("window_start"),
                "value": entry.get("value"),
                "relation": entry.get("relation", PublishedFigure.Relation.EXACTLY),
                "publisher": entry["publisher"],
                "source_title": entry.get("source_title", ""),
                "source_url": entry.get("source_url", ""),
                "definition": entry.get("definition") or str(METRICS[key].definition),
                "note": entry.get("note", ""),
                "conflict_reason": entry.get("conflict_reason", ""),
            },
        )
    return len(entries)


def write_population(population: Population, progress: Callable[[int], None]) -> None:
    """Insert one generated population. The case timelines go through the lifecycle's bulk
    service; identifications, handovers and payments are checked by their services' rules."""
    with transaction.atomic():
        case_histories_bulk_create(histories=population.histories, batch_size=BATCH)
        progress(1)
        AlternateName.objects.bulk_create(population.alternate_names, batch_size=BATCH)
        Relative.objects.bulk_create(population.relatives, batch_size=BATCH)
        Kinship.objects.bulk_create(population.kinships, batch_size=BATCH)
        ReferenceSample.objects.bulk_create(population.samples, batch_size=BATCH)
        progress(1)
        GraveSite.objects.bulk_create(population.sites, batch_size=BATCH)
        GraveReport.objects.bulk_create(population.site_reports, batch_size=BATCH)
        Exhumation.objects.bulk_create(population.exhumations, batch_size=BATCH)
        Remains.objects.bulk_create(population.remains, batch_size=BATCH)
        Identification.objects.bulk_create(population.identifications, batch_size=BATCH)
        for handover in population.handovers:
            handover_check(
                case=handover.case,
                identification=handover.identification,
                handed_over_on=handover.handed_over_on,
                receiving_relative=handover.receiving_relative,
            )
        Handover.objects.bulk_create(population.handovers, batch_size=BATCH)
        progress(1)
        for disbursement in population.disbursements:
            disbursement_check(
                programme=disbursement.programme,
                case=disbursement.case,
                period=disbursement.period,
                approved_on=disbursement.approved_on,
                amount=disbursement.amount,
            )
        Disbursement.objects.bulk_create(population.disbursements, batch_size=BATCH)
        # Bulk inserts send no signals: the change feed learns of them here.
        for resource, records in [
            ("relatives", population.relatives),
            ("reference-samples", population.samples),
            ("grave-sites", population.sites),
            ("exhumations", population.exhumations),
            ("remains", population.remains),
            ("identifications", population.identifications),
            ("handovers", population.handovers),
            ("disbursements", population.disbursements),
        ]:
            feed_touch(resource=resource, record_ids=[record.pk for record in records])
        progress(1)


def generate_population(copy: int) -> Population:
    places = {p.code: p for p in Place.objects.all()}
    offices = {o.code: o for o in Office.objects.all()}
    programmes = {p.code: p for p in AidProgramme.objects.all()}
    return Generator(copy=copy, places=places, offices=offices, programmes=programmes).generate()


@transaction.atomic
def delete_synthetic() -> None:
    """Remove every synthetic record, and nothing else.

    Raw deletes, children first: the ORM's collector would refuse because events and
    identifications PROTECT their cases, which is right everywhere except here.
    """
    cases = Case.objects.filter(is_synthetic=True)
    steps = [
        Disbursement.objects.filter(case__in=cases),
        Handover.objects.filter(case__in=cases),
        Identification.objects.filter(case__in=cases),
        Kinship.objects.filter(case__in=cases),
        ReferenceSample.objects.filter(relative__is_synthetic=True),
        Relative.objects.filter(is_synthetic=True),
        Remains.objects.filter(is_synthetic=True),
        Exhumation.objects.filter(site__is_synthetic=True),
        GraveReport.objects.filter(site__is_synthetic=True),
        GraveSite.objects.filter(is_synthetic=True),
        AlternateName.objects.filter(case__in=cases),
        CaseEvent.objects.filter(case__in=cases),
        cases,
    ]
    for queryset in steps:
        queryset._raw_delete(queryset.db)
