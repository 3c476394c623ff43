"""Audit entries for what happens outside the domain services: logins and logouts, changes to
accounts, roles and offices, and partner agreements (edited in the admin, whose saves only
signals see).

No credentials ever reach the trail: a failed login records the username that was tried, and
an account change records that the password changed, never the password or its hash.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_save
from django.dispatch import receiver

from access.models import OfficeMembership, PartnerAgreement

from .context import audit_context, current
from .middleware import client_ip, request_id_for
from .models import AuditEntry
from .services import actor_details_forget, audit_diff, audit_log, audit_snapshot

Action = AuditEntry.Action
User = get_user_model()

# The account fields whose changes are recorded. Not the password hash (only the fact that the
# password changed), nor last_login, which changes at every login and is the login itself.
USER_AUDITED_FIELDS = ("username", "email", "is_active", "is_staff", "is_superuser")
_USER_LOADED = "_audit_loaded_values"


def _with_request_context(request: Any, write) -> None:
    """Write inside the request's audit context. A login or logout can happen before
    AuditContextMiddleware has run for this request (the session-timeout middleware logs out an
    expired session ahead of it); then the request id and IP are read from the request here."""
    if request is None or current().request_id:
        write()
        return
    with audit_context(request_id=request_id_for(request), ip=client_ip(request), request=request):
        write()


# --- Logins -----------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="audit_login")
def login_recorded(sender, request, user, **kwargs) -> None:
    _with_request_context(request, lambda: audit_log(action=Action.LOGIN, subject=user, actor=user))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def logout_recorded(sender, request, user, **kwargs) -> None:
    if user is None:
        return  # logging out while not logged in: nothing happened
    _with_request_context(
        request, lambda: audit_log(action=Action.LOGOUT, subject=user, actor=user)
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def login_failure_recorded(sender, credentials, request=None, **kwargs) -> None:
    # Django already masks the password in `credentials`; take only the username anyway, so no
    # other credential (a TOTP code, a token) can ever be copied into the trail.
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    _with_request_context(
        request,
        lambda: audit_log(
            action=Action.LOGIN_FAILED,
            subject_type=User._meta.label_lower,
            changes={"username": username[:150]},
        ),
    )


# --- Accounts ---------------------------------------------------------------------------------


@receiver(post_init, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit_user_loaded")
def user_loaded(sender, instance, **kwargs) -> None:
    # Remember the audited fields as loaded, to record what a save changed. From __dict__, so a
    # user loaded with only() costs no query for the deferred fields.
    loaded = instance.__dict__
    setattr(
        instance,
        _USER_LOADED,
        {name: loaded[name] for name in USER_AUDITED_FIELDS if name in loaded},
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit_user_saved")
def user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if raw:
        return  # loading a fixture
    after = audit_snapshot(instance, USER_AUDITED_FIELDS)
    before = getattr(instance, _USER_LOADED, None)
    setattr(instance, _USER_LOADED, after)
    if created:
        audit_log(action=Action.USER_CHANGE, subject=instance, changes={"created": after})
        return
    # set_password() leaves the new raw password in `_password` until save() has finished (for
    # the validators' password_changed hook); a hash upgrade at login clears it first, so this
    # is a real change of password. Only that fact is recorded, never a password or hash.
    password_changed = getattr(instance, "_password", None) is not None
    if (
        update_fields is not None
        and not set(update_fields) & set(USER_AUDITED_FIELDS)
        and not password_changed
    ):
        return  # e.g. last_login at every login, or a password hash upgrade
    # Fields not loaded before (deferred) are compared with None: recorded as set, not missed.
    changes: dict[str, Any] = audit_diff(before or {}, after)
    if password_changed:
        changes["password_changed"] = True
    if changes:
        audit_log(action=Action.USER_CHANGE, subject=instance, changes=changes)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit_user_deleted")
def user_deleted(sender, instance, **kwargs) -> None:
    audit_log(
        action=Action.USER_CHANGE,
        subject_type=User._meta.label_lower,
        subject_id=instance.pk,
        changes={"deleted": audit_snapshot(instance, USER_AUDITED_FIELDS)},
    )


def _m2m_affected(
    *, relation: Any, instance: Any, action: str, reverse: bool, pk_set: set | None
) -> list | None:
    """The primary keys on the other side that an m2m change really added or removed, or None
    while it is not finished. Django reports a remove() or clear() of links that do not exist as
    if they did, so the links really present are looked up before the change."""
    own, other = relation.m2m_field_name() + "_id", relation.m2m_reverse_field_name() + "_id"
    if reverse:
        own, other = other, own
    if action in ("pre_remove", "pre_clear"):
        links = relation.remote_field.through.objects.filter(**{own: instance.pk})
        if action == "pre_remove":
            links = links.filter(**{f"{other}__in": pk_set})
        instance._audit_m2m_removing = sorted(links.values_list(other, flat=True), key=str)
        return None
    if action == "post_add":
        return sorted(pk_set or (), key=str)
    if action in ("post_remove", "post_clear"):
        return instance.__dict__.pop("_audit_m2m_removing", [])
    return None


def _account_m2m_changed(
    *,
    relation_name: str,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set | None,
    label: Any,
    select_related: tuple[str, ...] = (),
) -> None:
    """Roles (groups) and direct permissions of accounts, changed from either side:
    user.groups.add(group) or group.user_set.add(user)."""
    pks = _m2m_affected(
        relation=User._meta.get_field(relation_name),
        instance=instance,
        action=action,
        reverse=reverse,
        pk_set=pk_set,
    )
    if not pks:
        return
    key = f"{relation_name}_{'added' if action == 'post_add' else 'removed'}"
    if reverse:  # instance is the group or permission, pks are users
        for user_pk in pks:
            actor_details_forget(user_pk)
            audit_log(
                action=Action.ROLE_CHANGE,
                subject_type=User._meta.label_lower,
                subject_id=user_pk,
                changes={key: [label(instance)]},
            )
        return
    actor_details_forget(instance.pk)
    related = (
        User._meta.get_field(relation_name)
        .related_model.objects.filter(pk__in=pks)
        .select_related(*select_related)
    )
    audit_log(
        action=Action.ROLE_CHANGE,
        subject=instance,
        changes={key: sorted(label(item) for item in related)},
    )


def _permission_label(permission: Any) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_user_groups")
def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    _account_m2m_changed(
        relation_name="groups",
        instance=instance,
        action=action,
        reverse=reverse,
        pk_set=pk_set,
        label=lambda group: group.name,
    )


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_permissions")
def user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    # A permission granted to one account directly is as much a change of what it may do.
    _account_m2m_changed(
        relation_name="user_permissions",
        instance=instance,
        action=action,
        reverse=reverse,
        pk_set=pk_set,
        label=_permission_label,
        select_related=("content_type",),
    )


@receiver(post_save, sender=OfficeMembership, dispatch_uid="audit_office_membership_saved")
def office_membership_saved(sender, instance, created, raw=False, **kwargs) -> None:
    # Offices scope what a user sees, as much as roles say what they may do.
    if created and not raw:
        actor_details_forget(instance.user_id)
        audit_log(
            action=Action.ROLE_CHANGE,
            subject_type=User._meta.label_lower,
            subject_id=instance.user_id,
            changes={"office_added": instance.office.code},
        )


@receiver(post_delete, sender=OfficeMembership, dispatch_uid="audit_office_membership_deleted")
def office_membership_deleted(sender, instance, **kwargs) -> None:
    actor_details_forget(instance.user_id)
    audit_log(
        action=Action.ROLE_CHANGE,
        subject_type=User._meta.label_lower,
        subject_id=instance.user_id,
        changes={"office_removed": instance.office.code},
    )


# --- Partner agreements -----------------------------------------------------------------------

_AGREEMENT_BEFORE = "_audit_before"


@receiver(pre_save, sender=PartnerAgreement, dispatch_uid="audit_agreement_before")
def agreement_before_save(sender, instance, raw=False, **kwargs) -> None:
    # Read the stored row, not the values this instance was loaded with: the admin may have
    # loaded it minutes ago, and someone else may have saved it since.
    stored = None if raw else PartnerAgreement.objects.filter(pk=instance.pk).first()
    setattr(instance, _AGREEMENT_BEFORE, audit_snapshot(stored) if stored else None)


@receiver(post_save, sender=PartnerAgreement, dispatch_uid="audit_agreement_saved")
def agreement_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    after = audit_snapshot(instance)
    before = getattr(instance, _AGREEMENT_BEFORE, None)
    if created or before is None:
        changes: dict[str, Any] = {"created": after}
    else:
        changes = audit_diff(before, after)
        if not changes:
            return
    audit_log(action=Action.AGREEMENT_CHANGE, subject=instance, changes=changes)


@receiver(post_delete, sender=PartnerAgreement, dispatch_uid="audit_agreement_deleted")
def agreement_deleted(sender, instance, **kwargs) -> None:
    audit_log(
        action=Action.AGREEMENT_CHANGE,
        subject=instance,
        changes={"deleted": audit_snapshot(instance)},
    )


@receiver(
    m2m_changed, sender=PartnerAgreement.offices.through, dispatch_uid="audit_agreement_offices"
)
def agreement_offices_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    from cases.models import Office

    pks = _m2m_affected(
        relation=PartnerAgreement._meta.get_field("offices"),
        instance=instance,
        action=action,
        reverse=reverse,
        pk_set=pk_set,
    )
    if not pks:
        return
    key = "offices_added" if action == "post_add" else "offices_removed"
    if reverse:  # instance is an office, pks are agreements
        for agreement_pk in pks:
            audit_log(
                action=Action.AGREEMENT_CHANGE,
                subject_type=PartnerAgreement._meta.label_lower,
                subject_id=agreement_pk,
                changes={key: [instance.code]},
            )
        return
    codes = sorted(Office.objects.filter(pk__in=pks).values_list("code", flat=True))
    audit_log(action=Action.AGREEMENT_CHANGE, subject=instance, changes={key: codes})
