"""A ModelAdmin that writes the audit trail: the Django admin is one more way to see and change
records, so it must leave the same evidence as the services (views with the fields shown,
creates, updates with before/after, deletes)."""

from django.contrib import admin
from django.db import transaction

from .services import audit_diff, audit_log, audit_snapshot


class AuditedModelAdmin(admin.ModelAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                fields = sorted(
                    {
                        f
                        for fieldset in self.get_fieldsets(request, obj)
                        for f in _flatten(fieldset[1].get("fields", ()))
                    }
                )
                audit_log(
                    action="view",
                    subject=obj,
                    changes={"fields": fields, "via": "admin"},
                    actor=request.user,
                )
        return response

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = audit_snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            after = audit_snapshot(obj)
            audit_log(
                action="update" if change else "create",
                subject=obj,
                changes=audit_diff(before, after) if change else after,
                actor=request.user,
            )

    def save_formset(self, request, form, formset, change):
        # Inline rows (alternate names, kinship, samples, grave reports) are records too.
        with transaction.atomic():
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                audit_log(
                    action="delete", subject=obj, changes=audit_snapshot(obj), actor=request.user
                )
                obj.delete()
            for obj in instances:
                adding = obj._state.adding
                before = {} if adding else audit_snapshot(type(obj).objects.get(pk=obj.pk))
                obj.save()
                after = audit_snapshot(obj)
                audit_log(
                    action="create" if adding else "update",
                    subject=obj,
                    changes=after if adding else audit_diff(before, after),
                    actor=request.user,
                )
            formset.save_m2m()

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_log(action="delete", subject=obj, changes=audit_snapshot(obj), actor=request.user)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_log(
                    action="delete", subject=obj, changes=audit_snapshot(obj), actor=request.user
                )
            super().delete_queryset(request, queryset)


def _flatten(fields):
    for field in fields:
        if isinstance(field, list | tuple):
            yield from field
        else:
            yield field
