from django.contrib import admin

from cases.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The trail, read-only: entries are written by the services and can never be changed (the
    database refuses it too)."""

    list_display = [
        "sequence",
        "occurred_at",
        "actor_username",
        "role",
        "action",
        "subject_type",
        "subject_id",
        "ip",
    ]
    list_filter = [
        "action",
        "subject_type",
        "occurred_at",
        ("actor", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=subject_id", "=actor_username", "=request_id"]
    date_hierarchy = "occurred_at"
    ordering = ["-sequence"]
    # Counting every row for the paginator is slow on a large trail and says nothing useful.
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
