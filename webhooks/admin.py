"""The webhooks in the Django admin: subscriptions can be looked at, switched off or deleted,
never created (their owner creates them through the API and is the only one to see the secret);
deliveries are a log, read-only, with an action to send dead letters again.

The subscription's secret is never displayed, and is kept out of the audit entries that
AuditedModelAdmin writes (its snapshot would otherwise copy it into the trail for ever).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin_audited import AuditedModelAdmin
from audit.services import audit_diff, audit_log, audit_snapshot

from .models import Delivery, DeliveryAttempt, Subscription
from .services import SUBSCRIPTION_AUDITED_FIELDS, delivery_requeue


@admin.register(Subscription)
class SubscriptionAdmin(AuditedModelAdmin):
    list_display = ["id", "owner", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["owner__username", "url"]
    fields = ["owner", "url", "event_types", "active", "created_at"]
    readonly_fields = ["owner", "url", "event_types", "created_at"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = audit_snapshot(
                Subscription.objects.get(pk=obj.pk), SUBSCRIPTION_AUDITED_FIELDS
            )
            obj.save()
            audit_log(
                action="update",
                subject=obj,
                changes=audit_diff(before, audit_snapshot(obj, SUBSCRIPTION_AUDITED_FIELDS)),
                actor=request.user,
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_log(
                action="delete",
                subject=obj,
                changes=audit_snapshot(obj, SUBSCRIPTION_AUDITED_FIELDS),
                actor=request.user,
            )
            obj.delete()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "succeeded"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditedModelAdmin):
    list_display = [
        "id",
        "subscription",
        "event_type",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["id", "event_id", "case_id"]
    inlines = [DeliveryAttemptInline]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected dead or cancelled deliveries again"))
    def requeue(self, request, queryset):
        requeued = 0
        for delivery in queryset:
            try:
                delivery_requeue(delivery=delivery, actor=request.user)
            except ValidationError:
                continue
            requeued += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", requeued
            )
            % {"count": requeued},
            messages.SUCCESS if requeued else messages.WARNING,
        )
