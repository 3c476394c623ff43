"""Revoke an API token: `manage.py revoke_token PREFIX_OR_ID` (the prefix shown in the admin and
by issue_token, the token's id, or the whole token)."""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from access.models import ApiToken
from access.tokens import PREFIX_LENGTH, TOKEN_PREFIX, token_digest, token_revoke


class Command(BaseCommand):
    help = "Revoke an API token by its prefix or id."

    def add_arguments(self, parser):
        parser.add_argument("token", metavar="PREFIX_OR_ID")

    def handle(self, *args, token, **options):
        matches = list(self._find(token.strip().rstrip("…")))
        if not matches:
            raise CommandError(_("No token with the prefix or id %(token)s.") % {"token": token})
        if len(matches) > 1:
            raise CommandError(
                _("Several tokens have that prefix; give the id: %(ids)s")
                % {"ids": ", ".join(str(match.pk) for match in matches)}
            )
        match = matches[0]
        if token_revoke(token=match):
            self.stdout.write(_("Revoked token %(prefix)s… (id %(id)s).") % self._names(match))
        else:
            self.stdout.write(
                _("Token %(prefix)s… (id %(id)s) was already revoked.") % self._names(match)
            )

    @staticmethod
    def _find(text: str):
        try:
            return ApiToken.objects.filter(pk=uuid.UUID(text))
        except ValueError:
            pass
        if text.startswith(TOKEN_PREFIX) and len(text) > PREFIX_LENGTH:
            # The whole token was pasted (e.g. from a leak report): find it by its digest.
            return ApiToken.objects.filter(digest=token_digest(text))
        return ApiToken.objects.filter(prefix=text)

    @staticmethod
    def _names(token: ApiToken) -> dict:
        return {"prefix": token.prefix, "id": token.pk}
