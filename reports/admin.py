from django import forms
from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin

from .metrics import METRICS
from .models import FiguresRun, PublishedFigure


class PublishedFigureForm(forms.ModelForm):
    # Offer the figures the tracker can compute, so a new ledger entry is reconciled at once.
    key = forms.ChoiceField(choices=sorted((k, f"{k}: {m.label}") for k, m in METRICS.items()))
    source_url = forms.URLField(assume_scheme="https", required=False, max_length=500)

    class Meta:
        model = PublishedFigure
        fields = [
            "ref",
            "key",
            "label",
            "as_of",
            "window_start",
            "value",
            "relation",
            "tolerance_percent",
            "publisher",
            "source_title",
            "source_url",
            "definition",
            "note",
            "conflict_reason",
        ]


@admin.register(PublishedFigure)
class PublishedFigureAdmin(AuditedModelAdmin):
    form = PublishedFigureForm
    list_display = ["as_of", "key", "value", "relation", "publisher", "has_conflict"]
    list_filter = ["key", "publisher"]
    search_fields = ["ref", "key", "label", "publisher"]
    date_hierarchy = "as_of"

    @admin.display(boolean=True, description="known conflict")
    def has_conflict(self, figure: PublishedFigure) -> bool:
        return bool(figure.conflict_reason)


@admin.register(FiguresRun)
class FiguresRunAdmin(admin.ModelAdmin):
    """The nightly reconciliation's results: written by reports.tasks only."""

    list_display = ["run_on", "finished_at", "counts"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
