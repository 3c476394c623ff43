"""Admin for PFIF: administrators say which partner may write which domain (and where its people
are registered); clone records, notes and possible duplicates are evidence of what partners sent,
visible to staff and changed only by the import."""

from django.contrib import admin

from audit.admin_audited import AuditedModelAdmin

from .models import PfifDomain, PfifNote, PfifPersonRecord, PfifPossibleDuplicate


class _ReadOnly(AuditedModelAdmin):
    # Audited views (the records hold personal data), and no edits: only the import writes them.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PfifDomain)
class PfifDomainAdmin(AuditedModelAdmin):
    list_display = ["domain", "agreement", "office", "default_origin", "abducted_on"]
    list_select_related = ["agreement", "office", "default_origin"]
    search_fields = ["domain"]
    raw_id_fields = ["default_origin"]


@admin.register(PfifPersonRecord)
class PfifPersonRecordAdmin(_ReadOnly):
    # No `fields` column in the list: it holds the partner's personal data.
    list_display = ["person_record_id", "case", "domain", "source_date", "entry_date"]
    list_select_related = ["case", "domain"]
    search_fields = ["person_record_id"]
    list_filter = ["domain"]


@admin.register(PfifNote)
class PfifNoteAdmin(_ReadOnly):
    list_display = ["note_record_id", "case", "status", "source_date", "event", "domain"]
    list_select_related = ["case", "domain", "event"]
    search_fields = ["note_record_id", "person_record_id"]
    list_filter = ["status", "domain"]


@admin.register(PfifPossibleDuplicate)
class PfifPossibleDuplicateAdmin(_ReadOnly):
    list_display = ["person_record_id", "linked_person_record_id", "reason", "created_at"]
    search_fields = ["person_record_id", "linked_person_record_id"]
    list_filter = ["reason"]
