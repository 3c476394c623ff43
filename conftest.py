"""Fixtures shared by every app's tests: a small gazetteer, offices, and a case factory."""

import datetime as dt
import itertools

import pytest

from cases.models import Case, Office
from cases.services import case_register
from gazetteer.models import Place

_numbers = itertools.count(1)


@pytest.fixture
def gazetteer(db):
    nineveh = Place.objects.create(code="nineveh", kind="governorate", name_latn="Nineveh")
    sinjar = Place.objects.create(
        code="sinjar", kind="district", name_latn="Sinjar", parent=nineveh
    )
    centre = Place.objects.create(
        code="sinjar-centre", kind="subdistrict", name_latn="Sinjar centre", parent=sinjar
    )
    kocho = Place.objects.create(
        code="kocho",
        kind="village",
        name_latn="Kocho",
        parent=centre,
        latitude="36.21",
        longitude="41.74",
    )
    return {"nineveh": nineveh, "sinjar": sinjar, "centre": centre, "kocho": kocho}


@pytest.fixture
def offices(db):
    return {
        "duhok": Office.objects.create(code="DHK", name="Duhok"),
        "sinjar": Office.objects.create(code="SNJ", name="Sinjar"),
    }


@pytest.fixture
def make_case(gazetteer, offices):
    """Register a case through the lifecycle service (so it has its first event)."""

    def make(**overrides) -> Case:
        fields = {
            "case_number": f"T-{next(_numbers):05d}",
            "given_name_latn": "Testa",
            "given_name_ar": "تيستا",
            "sex": "female",
            "age_at_abduction": 25,
            "origin": gazetteer["kocho"],
            "office": offices["duhok"],
            "abducted_on": "2014-08-03",
        }
        reported_on = overrides.pop("reported_on", "2014-09-01")
        fields.update(overrides)
        return case_register(
            case=Case(**fields), reported_on=reported_on, actor=None, source="test report"
        )

    return make


@pytest.fixture
def today():
    return dt.date.today()


def _wipe_seed() -> None:
    from django.contrib.auth import get_user_model

    from access.models import PartnerAgreement
    from aid.models import AidProgramme
    from reports.models import PublishedFigure
    from seeds.loader import delete_synthetic
    from seeds.personas import PERSONAS
    from sync.models import ExternalRef, FeedDelivered, FeedEntry

    delete_synthetic()
    # The seed's ~70,000 feed entries would otherwise outlive it and make every later feed
    # test page through them (seed --reset itself does not yet write tombstones: see notes).
    FeedDelivered.objects.all().delete()
    ExternalRef.objects.all().delete()
    FeedEntry.objects.all().delete()
    PartnerAgreement.objects.all().delete()
    get_user_model().objects.filter(username__in=[name for name, *_ in PERSONAS]).delete()
    PublishedFigure.objects.all().delete()
    AidProgramme.objects.all().delete()
    Office.objects.all().delete()
    for kind in ("village", "subdistrict", "district", "governorate"):
        Place.objects.filter(kind=kind).delete()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The full seed (`manage.py seed`), loaded once for a module's read-only tests and removed
    afterwards. Tests that change records use the `db` fixture too, so their changes roll back."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        _wipe_seed()
        call_command("seed", "--no-progress", verbosity=0)
        yield
        _wipe_seed()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL (row locks, real concurrency): on SQLite they are
    skipped with the reason shown in the summary (-ra), never silently."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: run with DATABASE_URL set to a PostgreSQL URL"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


WEB_PASSWORD = "web-test-password-2014"  # noqa: S105 (test accounts only)


@pytest.fixture
def web_user(offices):
    """make(username, role, *office codes) -> an account that logs in with WEB_PASSWORD."""
    from access.services import user_create

    def make(username: str, role: str, *office_codes: str):
        return user_create(
            username=username, role=role, offices=list(office_codes), password=WEB_PASSWORD
        )

    return make


@pytest.fixture
def web_login(client):
    """Log `user` in through the real login form, with a TOTP code where the role needs one,
    so that page tests pass the same middleware (second factor, session) as people do."""
    from django.urls import reverse
    from django_otp.oath import totp

    from access.second_factor import totp_device_enrol, user_requires_second_factor

    def login(user, client=client):
        data = {"username": user.username, "password": WEB_PASSWORD}
        if user_requires_second_factor(user):
            device = totp_device_enrol(user=user)
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            data["otp_token"] = f"{code:0{device.digits}d}"
        response = client.post(reverse("login"), data)
        assert response.status_code == 302, response.content[:500]
        return client

    return login
