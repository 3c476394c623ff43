from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin
from cases.admin import ReadOnlyAdmin

from .models import Exhumation, GraveReport, GraveSite, Identification, Remains


class GraveReportInline(admin.TabularInline):
    model = GraveReport
    extra = 0


@admin.register(GraveSite)
class GraveSiteAdmin(AuditedModelAdmin):
    list_display = [
        "code",
        "name",
        "place",
        "status",
        "reported_on",
        "confirmed_on",
        "opened_on",
        "estimated_victims",
    ]
    list_filter = ["status"]
    search_fields = ["code", "name"]
    list_select_related = ["place"]
    raw_id_fields = ["place"]
    inlines = [GraveReportInline]


@admin.register(Exhumation)
class ExhumationAdmin(AuditedModelAdmin):
    list_display = ["site", "started_on", "ended_on", "team"]
    list_select_related = ["site"]
    raw_id_fields = ["site"]


@admin.register(Remains)
class RemainsAdmin(AuditedModelAdmin):
    list_display = [
        "code",
        "site",
        "sex_estimate",
        "age_min",
        "age_max",
        "recovered_on",
        "sample_status",
    ]
    list_filter = ["sample_status", "sex_estimate"]
    search_fields = ["code"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "exhumation"]


@admin.register(Identification)
class IdentificationAdmin(ReadOnlyAdmin):
    """Identifications change case status, so they are made through the service (UI/API) and
    only inspected here."""

    list_display = ["remains", "case", "method", "status", "identified_on", "confirmed_on"]
    list_filter = ["status", "method"]
    list_select_related = ["remains", "case"]
    search_fields = ["remains__code", "case__case_number"]
