from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin
from cases.admin import ReadOnlyAdmin

from .models import Handover, Kinship, ReferenceSample, Relative


class KinshipInline(admin.TabularInline):
    model = Kinship
    extra = 0
    raw_id_fields = ["case"]


class ReferenceSampleInline(admin.TabularInline):
    model = ReferenceSample
    extra = 0


@admin.register(Relative)
class RelativeAdmin(AuditedModelAdmin):
    list_display = ["id", "sex", "consent", "consent_dna_matching", "consent_share_with_partners"]
    list_filter = ["consent", "consent_dna_matching"]
    inlines = [KinshipInline, ReferenceSampleInline]


@admin.register(Kinship)
class KinshipAdmin(AuditedModelAdmin):
    list_display = ["case", "relative", "relationship"]
    raw_id_fields = ["case", "relative"]
    list_select_related = ["case"]


@admin.register(ReferenceSample)
class ReferenceSampleAdmin(AuditedModelAdmin):
    list_display = ["id", "relative", "collected_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["relative"]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    """Handovers change case status: recorded through the service, inspected here."""

    list_display = ["case", "handed_over_on", "ceremony"]
    list_select_related = ["case"]
