"""Enrol a TOTP authenticator for an account: `manage.py enrol_totp USERNAME [--replace]`.

Prints only the otpauth:// URL on stdout (scan it as a QR code, or paste it into an
authenticator app). It holds the secret key: give it to the person over a trusted channel.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from access.second_factor import totp_device_enrol


class Command(BaseCommand):
    help = "Create a confirmed TOTP device for an account and print its otpauth:// URL."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the account's existing authenticator (the old one stops working).",
        )

    def handle(self, *args, username, replace, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account named %(username)s.") % {"username": username})
        try:
            device = totp_device_enrol(user=user, replace=replace)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages) + " (--replace)") from error
        self.stdout.write(device.config_url)
        self.stderr.write(
            _("Authenticator enrolled for %(username)s. The printed URL holds its secret key.")
            % {"username": username}
        )
