"""The exports pages and API: own jobs only (others' are 404), a progress bar polled by htmx
with a no-JavaScript refresh link, downloads through an expiring link, every one audited."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from access.models import Role
from access.tokens import token_issue
from audit.models import AuditEntry
from exports.models import ExportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_request_form_queues_an_export_and_shows_its_page(
    logged_in, caseworker, some_cases, django_capture_on_commit_callbacks
):
    client = logged_in(caseworker)
    page = client.get(reverse("exports:new"))
    assert page.status_code == 200
    assert b'value="cases"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports:new"), {"dataset": "cases", "format": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "exports:detail", args=[job.pk]
    )
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert job.status == "queued" or ExportJob.objects.get().status == "done"
    assert "<progress" in html and "Download" in html
    listing = client.get(reverse("exports:list")).content.decode()
    assert str(job.pk) in listing
    # the download link serves the file and is audited
    link = detail.context["download_url"]
    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    assert AuditEntry.objects.filter(action="download", subject_id=str(job.pk)).exists()


def test_a_running_job_is_polled_by_htmx_and_has_a_refresh_link(logged_in, caseworker):
    job = ExportJob.objects.create(
        requested_by=caseworker, dataset="cases", format="csv", status="running", progress=40
    )
    client = logged_in(caseworker)
    html = client.get(reverse("exports:detail", args=[job.pk])).content.decode()
    progress_url = reverse("exports:progress", args=[job.pk])
    assert f'hx-get="{progress_url}"' in html and 'hx-trigger="every 1s"' in html
    assert 'value="40"' in html
    assert f'href="{reverse("exports:detail", args=[job.pk])}"' in html  # refresh without JS
    partial = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<section") and "<progress" in partial
    ExportJob.objects.filter(pk=job.pk).update(
        status="failed", error="The export failed; please try again."
    )
    finished = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in finished  # polling stops


def test_another_users_export_is_not_found(logged_in, caseworker, persona):
    job = ExportJob.objects.create(requested_by=caseworker, dataset="cases", format="csv")
    other = persona(Role.CASEWORKER, ("DHK",), username="someone-else")
    client = logged_in(other)
    for name in ("exports:detail", "exports:progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    url = reverse("exports:download", kwargs={"pk": job.pk, "token": "x"})
    assert client.get(url).status_code == 404


def test_roles_that_export_nothing_are_refused_the_pages(logged_in, persona):
    # (auditors would first be asked for their second factor: a partner shows the refusal)
    partner = persona(Role.PARTNER, ())
    client = logged_in(partner)
    assert client.get(reverse("exports:list")).status_code == 403
    assert client.get(reverse("exports:new")).status_code == 403


def test_an_analyst_sees_only_aggregate_datasets(logged_in, analyst):
    page = logged_in(analyst).get(reverse("exports:new"))
    choices = {value for value, _label in page.context["form"].fields["dataset"].choices}
    assert "cases" not in choices and "cases_crosstab" in choices
    assert any(choice.startswith("report:") for choice in choices)
    assert "report:dna_worklist" not in choices  # lists cases


# --- API --------------------------------------------------------------------------------------


def bearer(user) -> str:
    _record, token = token_issue(user=user, days=1)
    return f"Bearer {token}"


def test_the_api_requests_follows_and_downloads(
    client, caseworker, some_cases, django_capture_on_commit_callbacks
):
    auth = bearer(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/exports/",
            data=json.dumps({"dataset": "cases", "format": "json", "params": {"sex": "female"}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
    assert response.status_code == 202, response.content
    job_url = response["Location"]
    detail = client.get(job_url, HTTP_AUTHORIZATION=auth).json()
    assert detail["status"] == "done" and detail["progress"] == 100
    assert detail["download_url"]
    download = client.get(detail["download_url"], HTTP_AUTHORIZATION=auth)
    assert download.status_code == 200
    records = json.loads(b"".join(download.streaming_content))
    assert len(records) == 4
    listing = client.get("/api/v1/exports/", HTTP_AUTHORIZATION=auth).json()
    assert [item["id"] for item in listing["results"]] == [detail["id"]]


def test_the_api_refuses_as_the_policy_says(client, analyst, persona, caseworker):
    response = client.post(
        "/api/v1/exports/",
        data=json.dumps({"dataset": "cases", "format": "csv"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(analyst),
    )
    assert response.status_code == 404
    auditor = persona(Role.AUDITOR, ())
    response = client.post(
        "/api/v1/exports/",
        data=json.dumps({"dataset": "cases_crosstab", "format": "csv"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(auditor),
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/exports/",
        data=json.dumps({"dataset": "cases_crosstab", "format": "csv", "params": {"rows": "x"}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(analyst),
    )
    assert response.status_code == 400 and "rows" in response.json()["params"]
    job = ExportJob.objects.create(requested_by=caseworker, dataset="cases", format="csv")
    assert (
        client.get(f"/api/v1/exports/{job.pk}/", HTTP_AUTHORIZATION=bearer(analyst)).status_code
        == 404
    )
