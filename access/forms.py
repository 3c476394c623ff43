"""The login form: username, password and, for accounts with an authenticator, its code, all on
one page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationForm, OTPAuthenticationFormMixin

from .second_factor import user_has_confirmed_totp, user_requires_second_factor


class LoginForm(OTPAuthenticationForm):
    """django-otp's form, made OTP-optional for roles that do not need a second factor and
    without asking for a device when the account has just one.

    The password is checked first (through authenticate(request=...), so django-axes counts
    failures); the code only after. Wrong codes are throttled by django-otp per device.
    """

    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Enter the code your authenticator app shows."),
        "invalid_token": _("That authenticator code is not valid. Try the current one."),
        "device_required": _("Choose which authenticator you are using."),
    }
    error_messages = {
        **OTPAuthenticationForm.error_messages,
        "second_factor_not_enrolled": _(
            "Your role requires an authenticator app, and none is set up for your account. "
            "Ask an administrator to enrol one for you."
        ),
    }

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        help_text=_("Only if your account uses an authenticator app: the 6-digit code it shows."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "10"}
        ),
    )
    otp_device = forms.CharField(label=_("Authenticator"), required=False, widget=forms.Select)

    def clean(self):
        # AuthenticationForm.clean, not OTPAuthenticationForm.clean: the latter demands a code
        # from every account.
        self.cleaned_data = super(OTPAuthenticationForm, self).clean()
        user = self.get_user()
        if user is None:
            return self.cleaned_data
        required = user_requires_second_factor(user)
        has_device = user_has_confirmed_totp(user)
        if required and not has_device:
            raise ValidationError(
                self.error_messages["second_factor_not_enrolled"],
                code="second_factor_not_enrolled",
            )
        if has_device:
            self.clean_otp(user)
        return self.cleaned_data

    @property
    def device_choice_needed(self) -> bool:
        """Whether the template shows the device list (only for accounts with several)."""
        return len(self.fields["otp_device"].widget.choices) > 2

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            # Most accounts have one authenticator: use it rather than ask the person to pick
            # from a list of one. Runs inside clean_otp's transaction, hence for_verify.
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def _update_form(self, user):
        # django-otp re-renders the typed password into the page after a wrong code; we do not
        # send passwords back to the browser, the person types it again.
        if "otp_device" in self.fields:
            self.fields["otp_device"].widget.choices = self.device_choices(user)
