from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin

from .models import AlternateName, Case, CaseEvent, EventCorrection, Office


class ReadOnlyAdmin(admin.ModelAdmin):
    """For evidence (events, audit): visible to staff, never edited or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["sequence", "type", "date", "from_status", "to_status", "source", "recorded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["sequence"]

    def has_add_permission(self, request, obj=None):
        return False  # events are recorded through the lifecycle service, not typed in here


class AlternateNameInline(admin.TabularInline):
    model = AlternateName
    extra = 0


@admin.register(Office)
class OfficeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_ar"]
    search_fields = ["code", "name"]


@admin.register(Case)
class CaseAdmin(AuditedModelAdmin):
    list_display = ["case_number", "sex", "age_at_abduction", "status", "office", "origin"]
    list_filter = ["status", "sex", "office", "community"]
    search_fields = ["case_number"]
    list_select_related = ["office", "origin"]
    readonly_fields = [
        "status",
        "rescued_on",
        "reported_dead_on",
        "remains_identified_on",
        "remains_returned_on",
        "closed_on",
        "duplicate_of",
        "version",
        "abducted_by",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["origin", "abduction_place"]
    inlines = [AlternateNameInline, CaseEventInline]

    def has_delete_permission(self, request, obj=None):
        return False  # a case is closed through the lifecycle, never deleted

    def has_add_permission(self, request):
        return False  # registration needs its first event: through the lifecycle service

    def save_model(self, request, obj, form, change):
        # Identity edits through the service: validated, versioned and audited like any other.
        from .services import case_update_identity

        stored = type(obj).objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        updated = case_update_identity(
            case=stored, changes=changes, actor=request.user, expected_version=stored.version
        )
        obj.version = updated.version


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "sequence", "type", "date", "to_status", "recorded_at", "source"]
    list_filter = ["type"]
    search_fields = ["case__case_number"]
    list_select_related = ["case"]


@admin.register(EventCorrection)
class EventCorrectionAdmin(ReadOnlyAdmin):
    """Requests and decisions are made on the case page (cases.corrections), never here."""

    list_display = ["event", "date", "status", "requested_by", "decided_by", "requested_at"]
    list_filter = ["status"]
    list_select_related = ["event", "requested_by", "decided_by"]
