"""The published figures ledger: what others have said, so that we can check it against our
records. Kept in reports (not seeds) because analysts add figures from the admin and the
reconciliation reads it; seeds/ledger.toml only loads the figures known at release."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublishedFigure(models.Model):
    class Relation(models.TextChoices):
        EXACTLY = "exactly", _("exactly")
        MORE_THAN = "more_than", _("more than")
        FEWER_THAN = "fewer_than", _("fewer than")
        AT_LEAST = "at_least", _("at least")
        AT_MOST = "at_most", _("at most")
        ABOUT = "about", _("about")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ref = models.SlugField(
        _("reference"),
        max_length=120,
        unique=True,
        help_text=_("Stable identifier of this ledger entry, e.g. 2024-12-03-rescued_total."),
    )
    key = models.CharField(
        _("figure"),
        max_length=64,
        help_text=_("Which computed figure this is compared with (see the list of figures)."),
    )
    label = models.CharField(_("label"), max_length=300)
    as_of = models.DateField(_("as of"))
    window_start = models.DateField(
        _("period start"),
        null=True,
        blank=True,
        help_text=_("For figures about a period (a reburial batch): its first day."),
    )
    value = models.BigIntegerField(
        _("published value"),
        null=True,
        blank=True,
        help_text=_("Empty when the source did not publish this split."),
    )
    relation = models.CharField(
        _("comparison"), max_length=12, choices=Relation.choices, default=Relation.EXACTLY
    )
    tolerance_percent = models.DecimalField(
        _("tolerance for 'about' (%)"), max_digits=5, decimal_places=2, default=1
    )
    publisher = models.CharField(_("publisher"), max_length=300)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_title = models.CharField(_("source"), max_length=300, blank=True)
    definition = models.TextField(_("what it counts"))
    note = models.TextField(_("note"), blank=True)
    conflict_reason = models.TextField(
        _("conflict"),
        blank=True,
        help_text=_("Why no consistent dataset can meet this figure, when that is the case."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["as_of", "key", "ref"]
        indexes = [models.Index(fields=["as_of"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True) | Q(window_start__lte=models.F("as_of")),
                name="published_figure_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(tolerance_percent__gte=0), name="published_figure_tolerance_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .metrics import METRICS

        if self.key not in METRICS:
            raise ValidationError({"key": _("Unknown figure %(key)s.") % {"key": self.key}})


class FiguresRun(models.Model):
    """The nightly reconciliation of the whole ledger (reports.tasks), one row per night: the
    statuses it found, and which figures changed status since the night before, so that a
    change in our records that breaks (or restores) a published figure is noticed."""

    run_on = models.DateField(unique=True)
    finished_at = models.DateTimeField()
    counts = models.JSONField(default=dict)  # status -> number of figures
    results = models.JSONField(default=list)  # [{ref, status, computed}]
    changed = models.JSONField(default=list)  # [{ref, was, now}]

    class Meta:
        ordering = ["-run_on"]

    def __str__(self) -> str:
        return str(self.run_on)
