"""Issue an API token: `manage.py issue_token USERNAME [--days N] [--name NAME]`.

Only the token goes to stdout, so it can be piped straight into a secret store
(`... | vault kv put ...`); what was issued is said on stderr. The token is shown this once.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from access.tokens import DEFAULT_LIFETIME_DAYS, token_issue


class Command(BaseCommand):
    help = "Issue an API bearer token for an account; prints only the token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_LIFETIME_DAYS,
            help=f"Days until the token expires (default {DEFAULT_LIFETIME_DAYS}).",
        )
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, days, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account named %(username)s.") % {"username": username})
        try:
            token, raw = token_issue(user=user, days=days, name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(raw)
        self.stderr.write(
            _(
                "Issued token %(prefix)s… (id %(id)s), expires %(expires)s. "
                "It is not stored: keep it now."
            )
            % {"prefix": token.prefix, "id": token.pk, "expires": token.expires_at.isoformat()}
        )
