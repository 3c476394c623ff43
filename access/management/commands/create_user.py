"""Create an account with its role and offices, or bring an existing one to them.

    manage.py create_user USERNAME --role ROLE [--office OFFICE ...] [--password-stdin]
                          [--email EMAIL]

Re-running for an existing account sets exactly the role and offices given (idempotent); it
never overwrites a different password (see access.services.user_create).
"""

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from access.models import Role
from access.services import user_create


class Command(BaseCommand):
    help = "Create an account with a role and offices (or update an existing one's)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}.")
        parser.add_argument(
            "--office",
            action="append",
            default=[],
            dest="offices",
            metavar="OFFICE",
            help="An office's code or name (case-insensitive); repeat for several offices.",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of stdin (kept out of shell history "
            "and the process list). Without it the account has no usable password: token only.",
        )
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, offices, password_stdin, email, **options):
        password = self._read_password() if password_stdin else None
        existed = get_user_model().objects.filter(username=username).exists()
        try:
            user = user_create(
                username=username, role=role, offices=offices, password=password, email=email
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        office_codes = ", ".join(
            user.office_memberships.order_by("office__code").values_list("office__code", flat=True)
        ) or _("none")
        if existed:
            message = _("Updated %(username)s: role %(role)s, offices: %(offices)s.")
        else:
            message = _("Created %(username)s: role %(role)s, offices: %(offices)s.")
        self.stdout.write(message % {"username": username, "role": role, "offices": office_codes})
        if not user.has_usable_password():
            self.stdout.write(
                _(
                    "No usable password: the account can only use API tokens "
                    "(manage.py issue_token %(username)s) until a password is set."
                )
                % {"username": username}
            )
        if not user.is_active:
            self.stderr.write(_("Note: this account is disabled."))

    @staticmethod
    def _read_password() -> str:
        # Only the line ending is removed: spaces may be part of a passphrase.
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(_("--password-stdin was given but stdin held no password."))
        return password
