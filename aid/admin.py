from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin
from cases.admin import ReadOnlyAdmin

from .models import AidProgramme, Disbursement


@admin.register(AidProgramme)
class AidProgrammeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "frequency", "standard_amount", "currency", "starts_on"]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    """Disbursements are money: created and changed only through the aid services."""

    list_display = ["programme", "case", "period", "amount", "currency", "status", "paid_on"]
    list_filter = ["programme", "status"]
    list_select_related = ["programme", "case"]
    search_fields = ["case__case_number", "reference"]
