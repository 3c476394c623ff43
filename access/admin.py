"""Admin for accounts: users with their offices, tokens (issued by `manage.py issue_token`, revoked
here), partner agreements, and the sessions users hold.

Administrators (the admin role) are staff without being superusers (access.roles); the user
admin keeps them from making anyone a superuser or editing a superuser's account, which would
otherwise be a way to more power than the role gives.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, OfficeMembership, PartnerAgreement, Role, UserSession
from .services import session_end, user_disable
from .tokens import token_revoke

User = get_user_model()


class OfficeMembershipInline(admin.TabularInline):
    model = OfficeMembership
    extra = 0
    verbose_name = _("office")
    verbose_name_plural = _("offices (case records the user may see)")


class UserAdmin(DjangoUserAdmin):
    inlines = [*DjangoUserAdmin.inlines, OfficeMembershipInline]
    list_display = ["username", "role_names", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]
    actions = ["disable_users"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, user) -> str:
        return ", ".join(sorted(g.name for g in user.groups.all() if g.name in Role.values))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(
        description=_("Disable the selected accounts (ends sessions, revokes tokens)"),
        permissions=["change"],
    )
    def disable_users(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        users = list(queryset.exclude(pk=request.user.pk).filter(is_active=True))
        for user in users:
            user_disable(user=user)
        count = len(users)
        self.message_user(
            request,
            ngettext("Disabled %(count)d account.", "Disabled %(count)d accounts.", count)
            % {"count": count},
            messages.SUCCESS,
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    fields = [
        "id",
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "digest",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # the token exists only when issued: `manage.py issue_token`

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens remain, as the record of what could access the API

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(token_revoke(token=token) for token in queryset)
        self.message_user(
            request,
            ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(PartnerAgreement)
class PartnerAgreementAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "valid_from", "valid_until", "may_receive_deaths"]
    list_filter = ["may_receive_deaths"]
    search_fields = ["name"]
    filter_horizontal = ["offices"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "partner":
            # An agreement is with a partner system's account, not with a person on the staff.
            kwargs["queryset"] = User.objects.filter(groups__name=Role.PARTNER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "key_hint"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    # The session key is a credential: showing it would let anyone who reads the admin take
    # the session over. Only its first characters are shown.
    fields = ["user", "created_at", "key_hint"]
    readonly_fields = fields
    actions = ["end_sessions"]

    @admin.display(description=_("session"))
    def key_hint(self, user_session) -> str:
        return f"{user_session.session_key[:6]}…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting the row would only forget the session: use "End sessions"

    def has_end_permission(self, request) -> bool:
        return request.user.has_perm("access.delete_usersession")

    @admin.action(description=_("End the selected sessions"), permissions=["end"])
    def end_sessions(self, request, queryset):
        keys = list(queryset.values_list("session_key", flat=True))
        for key in keys:
            session_end(session_key=key)
        self.message_user(
            request,
            ngettext("Ended %(count)d session.", "Ended %(count)d sessions.", len(keys))
            % {"count": len(keys)},
            messages.SUCCESS,
        )
