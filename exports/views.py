"""The exports pages: my exports, the request form, a job's page with its progress bar (htmx
polls a partial every second; without JavaScript the page has a refresh link), and the download.
Another user's export is 404; every download is audited (exports.services)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from audit.services import audit_log

from . import services, writers
from .forms import ExportRequestForm

PAGE_SIZE = 50


def _require_exporter(request: HttpRequest) -> None:
    if not services.exports_permitted(request.user):
        audit_log(action="denied", subject_type="exports.exportjob", actor=request.user)
        raise PermissionDenied


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    _require_exporter(request)
    jobs = services.export_jobs_of(request.user)[:PAGE_SIZE]
    return render(request, "exports/list.html", {"jobs": jobs})


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request: HttpRequest) -> HttpResponse:
    _require_exporter(request)
    form = ExportRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.export_request(
                user=request.user,
                dataset=form.cleaned_data["dataset"],
                params=form.params(),
                fmt=form.cleaned_data["format"],
                language=get_language(),
            )
        except ValidationError as error:
            for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("exports:detail", pk=job.pk)
    return render(request, "exports/new.html", {"form": form})


def _job_context(request: HttpRequest, pk) -> dict:
    job = services.export_get_for(request.user, pk)
    download_url = None
    if job.is_downloadable:
        download_url = reverse(
            "exports:download", kwargs={"pk": job.pk, "token": services.download_token(job)}
        )
    return {"job": job, "download_url": download_url}


@login_required
def export_detail(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "exports/detail.html", _job_context(request, pk))


@login_required
def export_progress(request: HttpRequest, pk) -> HttpResponse:
    """The progress partial that the job page polls; the whole page without htmx."""
    template = "exports/_progress.html" if request.htmx else "exports/detail.html"
    return render(request, template, _job_context(request, pk))


@login_required
def export_download(request: HttpRequest, pk, token: str) -> FileResponse:
    job, path = services.export_download(user=request.user, pk=pk, token=token)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=services.download_filename(job),
        content_type=writers.CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "no-store, private"
    return response
