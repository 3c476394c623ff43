"""The TOTP second factor: who needs it, who has it, and enrolling a device.

Supervisors, auditors and administrators can approve sensitive steps, read the audit trail or
manage accounts, so a stolen password alone must not be enough for them
(ROLES_REQUIRING_SECOND_FACTOR). Other roles may use a device too; then they must give its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ROLES_REQUIRING_SECOND_FACTOR

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

DEVICE_NAME = "authenticator"


def user_requires_second_factor(user: Any) -> bool:
    # The policy's roles_of caches the roles on the user object, so the middleware's question
    # on every request costs one query and later policy checks in the request none.
    from .policy import roles_of

    return bool(roles_of(user) & ROLES_REQUIRING_SECOND_FACTOR)


def user_has_confirmed_totp(user: Any) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


@transaction.atomic
def totp_device_enrol(*, user: AbstractBaseUser, replace: bool = False) -> TOTPDevice:
    """Give the user a confirmed TOTP device (a new random key). An existing device is replaced
    only when asked: replacing locks the person out until they scan the new key."""
    devices = TOTPDevice.objects.filter(user=user)
    if not replace and devices.filter(confirmed=True).exists():
        raise ValidationError(
            _("This account already has an authenticator; replace it explicitly."),
            code="totp_exists",
        )
    devices.delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
