"""API bearer tokens: issue, authenticate, revoke.

A token is `mpt_` followed by `secrets.token_urlsafe(32)` (256 random bits). The fixed prefix
lets secret scanners and people recognise a leaked token; the first characters are kept in
`ApiToken.prefix` to tell tokens apart in lists. Only the SHA-256 digest of the whole token is
stored, so a copy of the database does not hand out working tokens. A plain (unsalted, fast) hash
is enough here because the token is random and long: there is nothing to guess by brute force,
unlike a password.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

TOKEN_PREFIX = "mpt_"  # noqa: S105 - "missing-persons tracker", a marker, not a secret
# What ApiToken.prefix keeps: the marker plus 8 random characters (48 bits), enough to tell
# tokens apart, while the remaining ~200 bits stay secret.
PREFIX_LENGTH = 12
DEFAULT_LIFETIME_DAYS = 90
# Tokens are for systems and scripts that an administrator reviews: a year at most, so a
# forgotten token does not live for ever.
MAX_LIFETIME_DAYS = 365
# last_used_at is for people ("is this token still in use?"), not for accounting: writing it on
# every request would turn each API read into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
# Longer input is not a token; refuse it before hashing anything an attacker sends.
_MAX_TOKEN_LENGTH = 200


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_issue(
    *, user: AbstractBaseUser, days: int = DEFAULT_LIFETIME_DAYS, name: str = ""
) -> tuple[ApiToken, str]:
    """Issue a token for the user; returns the record and the token itself, which exists
    nowhere else afterwards: show it once."""
    if not user.is_active:
        raise ValidationError(_("This account is disabled; it cannot get a token."))
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValidationError(
            _("A token lives between 1 and %(max)d days."),
            code="token_lifetime",
            params={"max": MAX_LIFETIME_DAYS},
        )
    max_name = ApiToken._meta.get_field("name").max_length
    if len(name) > max_name:
        raise ValidationError(
            _("The token name is longer than %(max)d characters."),
            code="token_name",
            params={"max": max_name},
        )
    from audit.services import audit_log

    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[:PREFIX_LENGTH],
            digest=token_digest(raw),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        # The prefix and expiry only: the token itself must appear nowhere but once on screen.
        audit_log(
            action="token_issued",
            subject=token,
            changes={
                "user": user.get_username(),
                "prefix": token.prefix,
                "expires_at": token.expires_at,
            },
        )
    return token, raw


# PostgreSQL: the token, its user, and the user's roles and offices, in one statement composed
# once from the models' columns. Every API call starts here, and the same lookup written as a
# queryset costs more to compile (about 0.8 ms) than to run; the policy and the audit trail would
# then ask for the roles and offices again (docs/performance.md).
_MEMBERSHIPS_SQL = (
    "FROM access_officemembership m JOIN cases_office o ON o.id = m.office_id "
    "WHERE m.user_id = t.user_id ORDER BY o.code"
)


@functools.cache
def _lookup_sql() -> tuple[str, list[str], list[str]]:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    token_columns = [f.column for f in ApiToken._meta.concrete_fields]
    user_columns = [f.column for f in user_model._meta.concrete_fields]
    quote = connection.ops.quote_name
    user_table = quote(user_model._meta.db_table)
    select = ", ".join(
        [f"t.{quote(c)}" for c in token_columns] + [f"u.{quote(c)}" for c in user_columns]
    )
    sql = (
        f"SELECT {select}, "  # noqa: S608 - names from the models; values are parameters
        "ARRAY(SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id "
        "WHERE ug.user_id = t.user_id AND g.name = ANY(%s)), "
        f"ARRAY(SELECT m.office_id {_MEMBERSHIPS_SQL}), ARRAY(SELECT o.code {_MEMBERSHIPS_SQL}) "
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"JOIN {user_table} u ON u.{quote(user_model._meta.pk.column)} = t.user_id "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active"
    )
    token_names = [f.attname for f in ApiToken._meta.concrete_fields]
    user_names = [f.attname for f in user_model._meta.concrete_fields]
    return sql, token_names, user_names


def _find_postgresql(digest: str, now: dt.datetime) -> ApiToken | None:
    from django.contrib.auth import get_user_model

    from .policy import ROLE_NAMES, user_prime

    sql, token_names, user_names = _lookup_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(ROLE_NAMES), digest, now])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_names)
    token = ApiToken.from_db(connection.alias, token_names, row[:split])
    user = get_user_model().from_db(
        connection.alias, user_names, row[split : split + len(user_names)]
    )
    token.user = user
    roles, office_ids, office_codes = row[split + len(user_names) :]
    # Every API call asks the policy for the caller's roles and offices, and the audit trail
    # for their names: answered by this query.
    user_prime(user, roles=roles, offices=list(zip(office_ids, office_codes, strict=True)))
    return token


def token_find_valid(raw: str) -> ApiToken | None:
    """The live token record for this raw token (with its user), or None.

    Timing-safe by construction: the lookup is by the SHA-256 digest of what the client sent,
    so how long the database takes to compare tells an attacker nothing about any stored token
    (they cannot choose digests that share a prefix with a real one).
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > _MAX_TOKEN_LENGTH:
        return None
    now = timezone.now()
    if connection.vendor == "postgresql":
        token = _find_postgresql(token_digest(raw), now)
    else:
        token = (
            ApiToken.objects.select_related("user")
            .filter(
                digest=token_digest(raw),
                revoked_at__isnull=True,
                expires_at__gt=now,
                user__is_active=True,
            )
            .first()
        )
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        # A queryset update: no save() signals and no lost update of other fields (a revocation
        # happening at the same moment must not be overwritten).
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_authenticate(raw: str) -> AbstractBaseUser | None:
    """The active user a valid (unexpired, unrevoked) token belongs to, or None."""
    token = token_find_valid(raw)
    return token.user if token is not None else None


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke the token; False if it was revoked already (revoking is idempotent)."""
    from audit.services import audit_log

    now = timezone.now()
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if changed:
            token.revoked_at = now
            audit_log(action="token_revoked", subject=token, changes={"prefix": token.prefix})
    return bool(changed)


def token_revoke_all(*, user: AbstractBaseUser) -> int:
    """Revoke every live token of the user (when the account is disabled); returns how many."""
    from audit.services import audit_log

    with transaction.atomic():
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit_log(
                action="token_revoked",
                subject=user,
                changes={"all_tokens_of": user.get_username(), "count": revoked},
            )
    return revoked
