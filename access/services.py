"""Account services: create an account with its role and offices, disable it, and keep track of
the sessions it holds so that disabling ends them.

Token services live in access.tokens, the second factor in access.second_factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Office

from .models import OfficeMembership, Role, UserSession
from .tokens import token_revoke_all

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser


def offices_resolve(*, names: Iterable[Office | str]) -> list[Office]:
    """Offices given as records or as a code or name (case-insensitive), as an operator types
    them. Raises ValidationError naming every office that matches none, or more than one."""
    found: dict[object, Office] = {}
    unknown: list[str] = []
    for name in names:
        if isinstance(name, Office):
            found[name.pk] = name
            continue
        matches = list(Office.objects.filter(Q(code__iexact=name) | Q(name__iexact=name))[:2])
        if len(matches) != 1:
            unknown.append(str(name))
        else:
            found[matches[0].pk] = matches[0]
    if unknown:
        raise ValidationError(
            _("Unknown office: %(offices)s (give an office's code or name)."),
            code="unknown_office",
            params={"offices": ", ".join(unknown)},
        )
    return list(found.values())


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    offices: Iterable[Office | str] = (),
    password: str | None = None,
    email: str = "",
) -> AbstractUser:
    """Create the account, or bring an existing one to exactly this role and these offices.

    Idempotent, so that scripts (and the seed) can be re-run: for an existing account the role
    replaces its other role (groups that are not roles are kept), the offices replace its
    offices, and the email is set if given. A password is never silently overwritten: an
    existing usable password must equal the one given (then nothing changes), otherwise this
    refuses; change passwords with `manage.py changepassword` or the password form.

    Without a password the account gets an unusable one: it can only use API tokens (partner
    systems), or get a password later. Administrators are staff, so they reach the Django admin
    (their permissions come from the admin role's group, access.roles).
    """
    if role not in Role.values:
        raise ValidationError(
            _("Unknown role: %(role)s (choose one of: %(roles)s)."),
            code="unknown_role",
            params={"role": role, "roles": ", ".join(Role.values)},
        )
    office_records = offices_resolve(names=offices)
    User = get_user_model()
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        user = User(username=username, email=email)
        _password_set(user=user, password=password)
        user.is_staff = role == Role.ADMIN
    else:
        if email:
            user.email = email
        if password is not None:
            if user.has_usable_password():
                if not user.check_password(password):
                    raise ValidationError(
                        _(
                            "This account already has a different password; it is not "
                            "overwritten. Change it with `manage.py changepassword`."
                        ),
                        code="password_exists",
                    )
            else:
                _password_set(user=user, password=password)
        # Leaving the admin role leaves the Django admin too; superusers keep it regardless.
        user.is_staff = role == Role.ADMIN or user.is_superuser
    user.full_clean()
    user.save()

    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*role_groups.exclude(name=role))
    # get_or_create: the roles migration makes the groups, but a flushed test database or a
    # restored dump may lack them, and an account without its role would see nothing.
    user.groups.add(Group.objects.get_or_create(name=role)[0])

    OfficeMembership.objects.filter(user=user).exclude(office__in=office_records).delete()
    for office in office_records:
        OfficeMembership.objects.get_or_create(user=user, office=office)
    return user


def _password_set(*, user: AbstractUser, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
        return
    validate_password(password, user)
    user.set_password(password)


@transaction.atomic
def user_disable(*, user: AbstractUser) -> None:
    """Disable the account: it can no longer log in, its sessions end and its tokens stop
    working. The post_save signal (access.signals) does the same when an administrator unticks
    "active" in the admin; calling user_access_end here too keeps this service complete on its
    own, and ending access twice is harmless."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_access_end(user=user)


def user_access_end(*, user: AbstractUser) -> tuple[int, int]:
    """End every tracked session of the user and revoke every live token. Returns (sessions,
    tokens) ended. Idempotent."""
    return user_sessions_end(user=user), token_revoke_all(user=user)


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def user_sessions_end(*, user: AbstractUser) -> int:
    """Delete the user's sessions from the session store, whatever the engine (database or
    cache), so the next request with their cookie is anonymous."""
    store = _session_store()
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def session_end(*, session_key: str) -> None:
    """End one session (the admin's "end these sessions")."""
    _session_store()().delete(session_key)
    user_session_forget(session_key=session_key)


def user_session_track(*, user: AbstractUser, session_key: str) -> None:
    """Remember that this session belongs to the user (at login). Rows of the user's sessions
    that have expired meanwhile are dropped here, so the table does not grow for ever."""
    store = _session_store()
    stale = [
        key
        for key in UserSession.objects.filter(user=user)
        .exclude(session_key=session_key)
        .values_list("session_key", flat=True)
        if not store().exists(key)
    ]
    if stale:
        UserSession.objects.filter(session_key__in=stale).delete()
    UserSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "created_at": timezone.now()}
    )


def user_session_forget(*, session_key: str) -> None:
    """The session ended (logout, timeout)."""
    UserSession.objects.filter(session_key=session_key).delete()


def user_session_rekey(*, user: AbstractUser, old_key: str, new_key: str) -> None:
    """The session got a new key while staying logged in (a password change cycles the key):
    follow it, or disabling the account would miss this session."""
    UserSession.objects.filter(session_key=old_key).delete()
    UserSession.objects.update_or_create(
        session_key=new_key, defaults={"user": user, "created_at": timezone.now()}
    )
