"""Records for the report tests, built here (never copied from the ledger): grave sites,
remains, identifications, handovers, relatives with samples, aid; and personas by role."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from access.models import Role
from access.second_factor import totp_device_enrol
from access.services import user_create
from access.tokens import token_issue
from aid.models import AidProgramme, Disbursement
from cases.lifecycle import EventType
from cases.services import case_transition
from families.models import Handover, Kinship, ReferenceSample, Relative
from gazetteer.models import Place
from graves.models import GraveSite, Identification, Remains

D = dt.date
_codes = itertools.count(1)


def transition(case, event_type, on, **extra):
    return case_transition(
        case=case, event_type=event_type, on=on, actor=None, source="test", **extra
    )


@pytest.fixture
def places(gazetteer):
    """The conftest gazetteer plus a second district with a village, and a village of Sinjar
    in another sub-district."""
    baaj = Place.objects.create(
        code="al-baaj", kind="district", name_latn="al-Ba'aj", parent=gazetteer["nineveh"]
    )
    baaj_centre = Place.objects.create(
        code="al-baaj-centre", kind="subdistrict", name_latn="al-Ba'aj centre", parent=baaj
    )
    siba = Place.objects.create(
        code="siba",
        kind="village",
        name_latn="Siba Sheikh Khidir",
        parent=baaj_centre,
        latitude="36.15",
        longitude="41.58",
    )
    sinuni = Place.objects.create(
        code="sinuni", kind="subdistrict", name_latn="Sinuni", parent=gazetteer["sinjar"]
    )
    hardan = Place.objects.create(
        code="hardan",
        kind="village",
        name_latn="Hardan",
        parent=sinuni,
        latitude="36.45",
        longitude="41.80",
    )
    return {**gazetteer, "baaj": baaj, "baaj_centre": baaj_centre, "siba": siba, "hardan": hardan}


@pytest.fixture
def make_site(places):
    def make(*, place=None, reported_on=None, confirmed_on=None, opened_on=None, **extra):
        reported_on = reported_on or D(2015, 1, 1)
        status = "exhumed" if opened_on else "confirmed" if confirmed_on else "suspected"
        return GraveSite.objects.create(
            code=f"MG-T{next(_codes):03d}",
            name="Test site",
            place=place or places["kocho"],
            status=status,
            reported_on=reported_on,
            confirmed_on=confirmed_on,
            opened_on=opened_on,
            **extra,
        )

    return make


@pytest.fixture
def make_remains():
    def make(site, recovered_on):
        return Remains.objects.create(
            code=f"R-T{next(_codes):04d}", site=site, recovered_on=recovered_on
        )

    return make


@pytest.fixture
def identify():
    """Remains identified as the case (confirmed), moving the case through the lifecycle."""

    def make(case, remains, on):
        transition(case, EventType.REMAINS_IDENTIFIED, on.isoformat())
        return Identification.objects.create(
            remains=remains,
            case=case,
            method="dna_kinship",
            status="confirmed",
            identified_on=on,
            confirmed_on=on,
        )

    return make


@pytest.fixture
def hand_over():
    def make(identification, on, ceremony=""):
        transition(identification.case, EventType.REMAINS_RETURNED, on.isoformat())
        return Handover.objects.create(
            case=identification.case,
            identification=identification,
            handed_over_on=on,
            ceremony=ceremony,
        )

    return make


@pytest.fixture
def add_relative():
    """A relative of the case (or of several cases), with samples collected on the given days."""

    def make(*cases, samples=(), status="collected"):
        relative = Relative.objects.create(
            full_name_latn="Relative Name",
            sex="female",
            phone="+964 750 000 0000",
            consent="given",
            consent_recorded_on=D(2015, 1, 1),
            consent_dna_matching=True,
        )
        for case in cases:
            Kinship.objects.create(case=case, relative=relative, relationship="mother")
        for collected_on in samples:
            ReferenceSample.objects.create(
                relative=relative, collected_on=collected_on, status=status
            )
        return relative

    return make


@pytest.fixture
def programme(db):
    return AidProgramme.objects.create(
        code="test-aid",
        name="Test aid",
        administered_by="KRG",
        frequency="monthly",
        standard_amount=Decimal("1000"),
        starts_on=D(2024, 1, 1),
    )


@pytest.fixture
def pay(programme):
    def make(case, period, paid_on, reversed_on=None, amount=Decimal("1000")):
        return Disbursement.objects.create(
            programme=programme,
            case=case,
            period=period,
            amount=amount,
            status="reversed" if reversed_on else "paid",
            approved_on=period,
            paid_on=paid_on,
            reversed_on=reversed_on,
        )

    return make


PASSWORD = "a-long-test-passphrase-2014"


@pytest.fixture
def persona(offices):
    """persona(role, office_code) -> a test client logged in through the real login form (with
    a TOTP code for the roles that need one) as a new account of that role."""

    def make(role: str, office_code: str = "DHK"):
        user = user_create(
            username=f"{role}-{office_code}-{next(_codes)}",
            role=role,
            offices=[office_code],
            password=PASSWORD,
        )
        data = {"username": user.username, "password": PASSWORD}
        if role in {Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}:
            device = totp_device_enrol(user=user)
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            data["otp_token"] = f"{code:0{device.digits}d}"
        client = Client()
        response = client.post(reverse("login"), data)
        assert response.status_code == 302, response.content[:300]
        client.user = user
        return client

    return make


@pytest.fixture
def api_persona(offices):
    """api_persona(role, office_code) -> (user, bearer header) for the API."""

    def make(role: str, office_code: str = "DHK"):
        user = user_create(
            username=f"api-{role}-{office_code}-{next(_codes)}", role=role, offices=[office_code]
        )
        _record, token = token_issue(user=user, days=1)
        return user, f"Bearer {token}"

    return make


ROLES_WITH_REPORTS = [Role.ANALYST, Role.CASEWORKER, Role.SUPERVISOR, Role.FORENSIC]
ROLES_WITHOUT_REPORTS = [Role.AID_OFFICER, Role.PARTNER, Role.AUDITOR, Role.ADMIN]
