"""Personas and cases for the exports tests: two offices, cases in each with sensitive notes,
and one account per role. Export files go to a temporary EXPORTS_ROOT."""

from __future__ import annotations

import pytest

from access.models import Role
from access.services import user_create
from cases.lifecycle import EventType
from cases.services import case_transition


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def persona(offices):
    def make(role: str, office_codes=("DHK",), username: str | None = None):
        return user_create(
            username=username or f"{role}-{'-'.join(office_codes) or 'none'}".lower(),
            role=role,
            offices=list(office_codes),
        )

    return make


@pytest.fixture
def caseworker(persona):
    return persona(Role.CASEWORKER)


@pytest.fixture
def analyst(persona):
    return persona(Role.ANALYST, ())


@pytest.fixture
def some_cases(make_case, offices):
    """Duhok: 3 missing, 1 rescued; Sinjar: 2 missing. Notes and birth dates on all."""
    made = {"duhok": [], "sinjar": []}
    for office, count in (("duhok", 4), ("sinjar", 2)):
        for n in range(count):
            made[office].append(
                make_case(
                    office=offices[office],
                    given_name_latn=f"Name{office}{n}",
                    captivity_notes=f"secret captivity {office} {n}",
                    health_notes=f"secret health {office} {n}",
                    birth_date="1990-03-04",
                )
            )
    case_transition(
        case=made["duhok"][3],
        event_type=EventType.RESCUED,
        on="2016-02-01",
        actor=None,
        source="test",
    )
    return made
