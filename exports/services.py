"""Export use cases: request (policy, audit, enqueue on commit), run (idempotent, with progress),
download links, and the nightly expiry. Tasks and views call these and nothing else.

Why a run is safe to repeat: tasks are acknowledged late (CELERY_TASK_ACKS_LATE), so a worker
that dies mid-export has its message delivered again. A run first *claims* the job with a
conditional UPDATE (queued, or running but silent for EXPORTS_STALE_SECONDS) and a fresh claim
token; a second delivery of the same message finds the job claimed, or done, and does nothing.
The file is written under a name private to the claim and renamed into place only by the claim
that still holds the job, so there is never a second export file, and never a half-written one
under the final name.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from audit.services import audit_log

from . import writers
from .datasets import Dataset, dataset_get_for, deidentify, needs_suppression
from .models import ExportJob

logger = logging.getLogger(__name__)

DOWNLOAD_SALT = "exports.download"
# Seconds between progress writes (each is one UPDATE of the job row).
PROGRESS_INTERVAL = 0.5


class DatasetNotFound(Http404):
    """The dataset does not exist for this user (unknown, or not theirs to export)."""


def exports_root() -> Path:
    root = Path(settings.EXPORTS_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def exports_permitted(user: Any) -> bool:
    """May the user export anything at all (the exports pages and API are for them only)?"""
    from .datasets import datasets_for

    return bool(datasets_for(user))


# --- request ------------------------------------------------------------------------------------


def export_request(
    *,
    user: Any,
    dataset: str,
    params: dict[str, Any] | None = None,
    fmt: str,
    language: str | None = None,
) -> ExportJob:
    """Create a job for the dataset as this user may have it and enqueue its run on commit.

    Deny unless allowed: a user who may export nothing is refused (PermissionDenied); a dataset
    the user may not export is not found (DatasetNotFound), like any record outside their scope.
    Both refusals are audited. Invalid parameters raise ValidationError.
    """
    from .tasks import export_run as export_run_task

    if not exports_permitted(user):
        audit_log(action="denied", subject_type="exports.exportjob", actor=user)
        raise PermissionDenied("This account may not export data.")
    found = dataset_get_for(user, dataset)
    if found is None:
        audit_log(
            action="denied",
            subject_type="exports.exportjob",
            changes={"dataset": str(dataset)[:64]},
            actor=user,
        )
        raise DatasetNotFound("No such dataset.")
    if fmt not in ExportJob.Format.values:
        raise ValidationError({"format": "Choose csv, xlsx or json."})
    cleaned = found.clean(user, dict(params or {}))
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            dataset=found.key,
            params=cleaned,
            format=fmt,
            language=language[:8],
            deidentified=needs_suppression(found, user),
        )
        audit_log(
            action="export",
            subject=job,
            changes={
                "dataset": job.dataset,
                "params": cleaned,
                "format": fmt,
                "deidentified": job.deidentified,
                "stage": "requested",
            },
            actor=user,
        )
        job_id = str(job.pk)
        transaction.on_commit(lambda: export_run_task.delay(job_id))
    return job


# --- run ----------------------------------------------------------------------------------------


def _claim(job_id: Any) -> uuid.UUID | None:
    """Take the job for this run, or None when it is finished or held by a live run."""
    token = uuid.uuid4()
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.EXPORTS_STALE_SECONDS)
    taken = ExportJob.objects.filter(
        Q(status=ExportJob.Status.QUEUED)
        | Q(status=ExportJob.Status.RUNNING, heartbeat_at__lt=stale),
        pk=job_id,
    ).update(
        status=ExportJob.Status.RUNNING,
        claim=token,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        progress=0,
    )
    return token if taken else None


def export_run(*, job_id: Any) -> ExportJob | None:
    """Run the export: build the dataset for the requester as they may see it *now* (roles
    may have changed since the request), write the file, mark the job done. Idempotent."""
    token = _claim(job_id)
    if token is None:
        logger.info("export %s: already finished or running elsewhere", job_id)
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    user = job.requested_by
    root = exports_root()
    part = root / f"{job.pk}.{token.hex}.part"
    try:
        with translation.override(job.language):
            found = dataset_get_for(user, job.dataset)
            if found is None or not user.is_active:
                return _fail(
                    job, token, part, gettext_noop("The dataset is no longer available to you.")
                )
            row_count = _write(job, token, found, part)
        final_name = f"{job.pk}.{writers.EXTENSIONS[job.format]}"
        return _finish(job, token, part, final_name, row_count)
    except Exception:
        # The exception's text may quote a record: log the job id and the type only.
        logger.exception("export %s failed", job.pk)
        return _fail(job, token, part, gettext_noop("The export failed; please try again."))


def _write(job: ExportJob, token: uuid.UUID, dataset: Dataset, part: Path) -> int:
    user = job.requested_by
    prepared = dataset.prepare(user, dict(job.params))
    table = prepared.table
    if job.deidentified:
        table = deidentify(dataset, user, table)
    total = max(prepared.total_rows, 1)
    last = [timezone.now()]

    def progress(rows_written: int) -> None:
        now = timezone.now()
        if (now - last[0]).total_seconds() < PROGRESS_INTERVAL and rows_written < total:
            return
        last[0] = now
        percent = min(99, int(rows_written * 100 / total))
        ExportJob.objects.filter(pk=job.pk, claim=token).update(progress=percent, heartbeat_at=now)

    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        if job.format == "xlsx":
            about = [_about_title(), str(table.title)]
            if table.as_of:
                about.append(f"as of {table.as_of.isoformat()}")
            about += [str(note) for note in table.notes]
            if job.deidentified:
                about.append(_suppression_note())
            count = writers.write_xlsx(
                table, stream, language=job.language, progress=progress, about=about
            )
        else:
            count = writers.WRITERS[job.format](table, stream, progress=progress)
    if dataset.case_level:
        # What left the system about people: the fields, and how many records (no ids: the
        # trail would then hold a copy of the list; the job's parameters say which cases).
        audit_log(
            action="view",
            subject=job,
            changes={"fields": prepared.fields, "rows": count, "export": str(job.pk)},
            actor=user,
        )
    return count


def _about_title() -> str:
    from django.utils.translation import gettext as _

    return _("About")


def _suppression_note() -> str:
    from django.utils.translation import gettext as _

    return _(
        "De-identified: counts from 1 to 9, and further cells that would reveal them through "
        "a total, are shown as x."
    )


def _finish(
    job: ExportJob, token: uuid.UUID, part: Path, final_name: str, row_count: int
) -> ExportJob | None:
    now = timezone.now()
    final = part.parent / final_name
    with transaction.atomic():
        still_ours = ExportJob.objects.select_for_update().filter(pk=job.pk, claim=token).exists()
        if not still_ours:
            part.unlink(missing_ok=True)  # another run took the job over: its file wins
            return ExportJob.objects.filter(pk=job.pk).first()
        os.replace(part, final)
        ExportJob.objects.filter(pk=job.pk, claim=token).update(
            status=ExportJob.Status.DONE,
            progress=100,
            row_count=row_count,
            file_name=final_name,
            size_bytes=final.stat().st_size,
            finished_at=now,
            heartbeat_at=now,
            expires_at=now + dt.timedelta(hours=settings.EXPORTS_TTL_HOURS),
            error="",
        )
    logger.info("export %s done: %d rows", job.pk, row_count)
    return ExportJob.objects.get(pk=job.pk)


def _fail(job: ExportJob, token: uuid.UUID, part: Path, reason: str) -> ExportJob | None:
    part.unlink(missing_ok=True)
    ExportJob.objects.filter(pk=job.pk, claim=token).update(
        status=ExportJob.Status.FAILED, error=reason[:200], finished_at=timezone.now()
    )
    return ExportJob.objects.filter(pk=job.pk).first()


# --- reading and downloading ----------------------------------------------------------------------


def export_jobs_of(user: Any):
    """The user's own exports: nobody sees another's (not even a supervisor)."""
    if not getattr(user, "is_authenticated", False):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by=user)


def export_get_for(user: Any, pk: Any) -> ExportJob:
    """The user's export, or 404 (another user's export does not exist for them)."""
    try:
        return export_jobs_of(user).get(pk=pk)
    except (ExportJob.DoesNotExist, ValueError, ValidationError) as error:
        audit_log(action="denied", subject_type="exports.exportjob", subject_id=str(pk), actor=user)
        raise Http404("No such export.") from error


def download_token(job: ExportJob) -> str:
    return signing.dumps(
        {"job": str(job.pk), "user": job.requested_by_id}, salt=DOWNLOAD_SALT, compress=True
    )


def download_token_valid(job: ExportJob, token: str) -> bool:
    try:
        data = signing.loads(
            token, salt=DOWNLOAD_SALT, max_age=settings.EXPORTS_LINK_MAX_AGE_SECONDS
        )
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return data == {"job": str(job.pk), "user": job.requested_by_id}


def export_download(*, user: Any, pk: Any, token: str) -> tuple[ExportJob, Path]:
    """The file of the user's export, when the link is valid and the export has not expired;
    every download is audited. Raises Http404 otherwise (expired links included: the file may
    be gone, and a stale link must not tell whether it ever existed)."""
    job = export_get_for(user, pk)
    if not job.is_downloadable or not download_token_valid(job, token):
        audit_log(
            action="denied",
            subject=job,
            changes={"reason": "link expired or invalid"},
            actor=user,
        )
        raise Http404("This download link has expired.")
    path = exports_root() / job.file_name
    if not path.is_file():
        raise Http404("This export's file is gone.")
    audit_log(
        action="download",
        subject=job,
        changes={"dataset": job.dataset, "format": job.format, "rows": job.row_count},
        actor=user,
    )
    return job, path


def download_filename(job: ExportJob) -> str:
    stamp = (job.finished_at or job.created_at).strftime("%Y%m%d-%H%M")
    name = job.dataset.replace(":", "-")
    return f"{name}-{stamp}.{writers.EXTENSIONS[job.format]}"


# --- nightly ------------------------------------------------------------------------------------


def exports_expire(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the files of exports past their expiry, fail jobs that stopped reporting long
    ago, and remove files no job owns (a crash between writing and renaming, a deleted
    account). Returns how many of each."""
    now = now or timezone.now()
    root = exports_root()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now):
        (root / job.file_name).unlink(missing_ok=True)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).update(
            status=ExportJob.Status.EXPIRED, file_name=""
        )
    # A job silent for a day will not finish: its worker is gone and no retry is coming.
    abandoned = ExportJob.objects.filter(
        Q(status=ExportJob.Status.RUNNING, heartbeat_at__lt=now - dt.timedelta(days=1))
        | Q(status=ExportJob.Status.QUEUED, created_at__lt=now - dt.timedelta(days=1))
    ).update(
        status=ExportJob.Status.FAILED,
        error=gettext_noop("The export did not finish; please ask for it again."),
        finished_at=now,
    )
    # Running jobs first, then finished ones: a job that finishes in between is in one of the
    # two. Recent files are left alone whatever they are.
    running = {
        str(pk)
        for pk in ExportJob.objects.filter(status=ExportJob.Status.RUNNING).values_list(
            "pk", flat=True
        )
    }
    live = set(
        ExportJob.objects.filter(status=ExportJob.Status.DONE).values_list("file_name", flat=True)
    )
    recent = (now - dt.timedelta(hours=1)).timestamp()
    orphans = 0
    for path in root.iterdir():
        if not path.is_file() or path.name in live or path.name.split(".")[0] in running:
            continue
        if path.stat().st_mtime > recent:
            continue
        path.unlink(missing_ok=True)
        orphans += 1
    logger.info("exports expired=%d abandoned=%d orphans=%d", expired, abandoned, orphans)
    return {"expired": expired, "abandoned": abandoned, "orphans": orphans}
