from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin

from .models import Place


@admin.register(Place)
class PlaceAdmin(AuditedModelAdmin):
    list_display = ["name_latn", "name_ar", "kind", "parent", "latitude", "longitude"]
    list_filter = ["kind"]
    search_fields = ["name_latn", "name_ar", "alternate_names", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
