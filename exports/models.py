"""An export job: who asked for which dataset with which filters, in which format, and where the
file it produced is (under settings.EXPORTS_ROOT, never a served directory) until it expires.

The design (datasets, suppression, idempotent runs, expiry) is in docs/exports.md.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", _("CSV (spreadsheet text)")
        XLSX = "xlsx", _("Excel workbook (XLSX)")
        JSON = "json", _("JSON")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    FINISHED = (Status.DONE, Status.FAILED, Status.EXPIRED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # An account's exports go with it; the audit trail keeps the record of what it exported.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    dataset = models.CharField(_("dataset"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    language = models.CharField(_("language"), max_length=8, default="en")
    # Whether the file holds de-identified, suppressed figures only (decided at the request).
    deidentified = models.BooleanField(_("de-identified"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # Relative to settings.EXPORTS_ROOT; empty until the file is complete.
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    # Which run of the task holds the job (a fresh token per run), and when it last reported:
    # a second delivery of the same task only takes over a run that stopped reporting.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # A short reason, never personal data nor an exception's text (which may quote a record).
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="export_progress_percent"
            ),
            models.CheckConstraint(
                condition=Q(format__in=["csv", "xlsx", "json"]), name="export_format_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed", "expired"]),
                name="export_status_known",
            ),
            # A finished export has its file, its size, its row count and its expiry.
            models.CheckConstraint(
                condition=~Q(status="done")
                | (
                    ~Q(file_name="")
                    & Q(
                        size_bytes__isnull=False,
                        row_count__isnull=False,
                        finished_at__isnull=False,
                        expires_at__isnull=False,
                        progress=100,
                    )
                ),
                name="export_done_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="export_failed_says_why"
            ),
            models.CheckConstraint(
                condition=Q(status="done") | Q(file_name=""),
                name="export_file_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("created_at")),
                name="export_finished_after_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.id}"

    @property
    def dataset_label(self) -> str:
        from .datasets import dataset_label

        return dataset_label(self.dataset)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == self.Status.DONE
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
