"""The access matrix for exports (issues 3 and 5): role x dataset x office.

Every role is asked for every dataset, by the service and by the API; what is allowed is
checked against the issues' words (written out here, not read from the policy), and every file
produced is searched for what the role may not see: another office's cases, and the sensitive
fields (captivity and health notes, exact birth dates) of roles that may not see them.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from access.models import Role
from access.services import user_create
from access.tokens import token_issue
from cases.lifecycle import EventType
from cases.services import case_transition
from exports import services
from exports.models import ExportJob

pytestmark = pytest.mark.django_db

DATASETS = ["cases", "cases_crosstab", "report:breakdown_by_office", "report:dna_worklist"]
SECRETS = ("secret-captivity", "secret-health", "1987-06-05")

# (role) -> datasets it may export; the rest are refused (404, or 403 with no exports at all).
EXPECTED = {
    Role.CASEWORKER: {"cases", "cases_crosstab"},
    Role.SUPERVISOR: {"cases", "cases_crosstab"},
    Role.FORENSIC: {"cases", "cases_crosstab"},
    Role.AID_OFFICER: {"cases", "cases_crosstab"},
    Role.ANALYST: {"cases_crosstab", "report:breakdown_by_office"},
    Role.AUDITOR: set(),
    Role.PARTNER: set(),
    Role.ADMIN: set(),
}
# Roles that see the sensitive fields of their own office's cases.
SEES_SENSITIVE = {Role.CASEWORKER, Role.SUPERVISOR}


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"


@pytest.fixture
def world(make_case, offices):
    """Own office (Duhok) and other office (Sinjar): a missing and a rescued case in each, all
    with sensitive notes and an exact birth date."""
    cases = {}
    for where, office in (("own", "duhok"), ("other", "sinjar")):
        for status in ("missing", "rescued"):
            case = make_case(
                office=offices[office],
                case_number=f"{where.upper()}-{status.upper()}",
                captivity_notes="secret-captivity",
                health_notes="secret-health",
                birth_date="1987-06-05",
            )
            if status == "rescued":
                case_transition(
                    case=case, event_type=EventType.RESCUED, on="2016-02-01", actor=None, source="t"
                )
            cases[(where, status)] = case
    return cases


def _user(role: str):
    offices = ["DHK"] if role in EXPECTED and role not in {Role.ANALYST, Role.AUDITOR} else []
    return user_create(username=f"x-{role}", role=role, offices=offices)


def _run(user, dataset, fmt, capture):
    params = {"rows": "office", "columns": "fate"} if dataset == "cases_crosstab" else {}
    with capture(execute=True):
        job = services.export_request(user=user, dataset=dataset, params=params, fmt=fmt)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    return (services.exports_root() / job.file_name).read_bytes(), job


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("dataset", DATASETS)
def test_who_may_export_what(role, dataset, world, django_capture_on_commit_callbacks):
    user = _user(role)
    if dataset not in EXPECTED[role]:
        with pytest.raises((Http404, PermissionDenied)):
            services.export_request(user=user, dataset=dataset, fmt="csv")
        assert not ExportJob.objects.exists()
        return
    content, job = _run(user, dataset, "csv", django_capture_on_commit_callbacks)
    text = content.decode("utf-8-sig")
    if dataset == "cases":
        # never another office's rows (forensic works across offices: its scope is the fate)
        numbers = {key: case.case_number in text for key, case in world.items()}
        if role == Role.FORENSIC:
            assert numbers == {
                ("own", "missing"): True,
                ("own", "rescued"): False,
                ("other", "missing"): True,
                ("other", "rescued"): False,
            }
        elif role == Role.AID_OFFICER:
            assert numbers == {
                ("own", "missing"): False,
                ("own", "rescued"): True,
                ("other", "missing"): False,
                ("other", "rescued"): False,
            }
        else:
            assert numbers == {
                ("own", "missing"): True,
                ("own", "rescued"): True,
                ("other", "missing"): False,
                ("other", "rescued"): False,
            }
    else:
        assert "OWN-" not in text and "OTHER-" not in text  # aggregates name no case
        assert "Testa" not in text
    if role not in SEES_SENSITIVE or dataset != "cases":
        for secret in SECRETS:
            assert secret not in text, (role, dataset, secret)
    else:
        assert all(secret in text for secret in SECRETS)


@pytest.mark.parametrize("role", [Role.FORENSIC, Role.AID_OFFICER, Role.ANALYST])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_sensitive_fields_never_reach_a_file_in_any_format(
    role, fmt, world, django_capture_on_commit_callbacks
):
    import io
    import zipfile

    user = _user(role)
    dataset = "cases_crosstab" if role == Role.ANALYST else "cases"
    content, _job = _run(user, dataset, fmt, django_capture_on_commit_callbacks)
    if fmt == "xlsx":  # a zip of XML parts: search every part
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            content = b"".join(book.read(name) for name in book.namelist())
    for secret in SECRETS:
        assert secret.encode() not in content, (role, fmt, secret)
    for name in (b"captivity", b"health notes", b"date of birth"):
        assert name not in content.lower(), (role, fmt, name)


@pytest.mark.parametrize("role", Role.values)
def test_the_api_applies_the_same_matrix(role, client, world, django_capture_on_commit_callbacks):
    user = _user(role)
    _record, token = token_issue(user=user, days=1)
    for dataset in DATASETS:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/exports/",
                data=json.dumps({"dataset": dataset, "format": "json"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        if dataset in EXPECTED[role]:
            assert response.status_code == 202, (role, dataset, response.content)
        elif EXPECTED[role]:
            assert response.status_code == 404, (role, dataset)
        else:
            assert response.status_code == 403, (role, dataset)


def test_another_users_export_does_not_exist_for_anyone_else(world):
    owner = _user(Role.CASEWORKER)
    job = ExportJob.objects.create(requested_by=owner, dataset="cases", format="csv")
    for role in Role.values:
        other = user_create(username=f"other-{role}", role=role, offices=["DHK"])
        with pytest.raises(Http404):
            services.export_get_for(other, job.pk)
