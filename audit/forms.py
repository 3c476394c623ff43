"""Filters of the audit trail, shared by the web page and the API (the same field errors)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("any"))] + list(AuditEntry.Action.choices),
    )
    subject_type = forms.CharField(
        label=_("Subject type"), required=False, max_length=100, help_text=_("e.g. cases.case")
    )
    subject_id = forms.CharField(label=_("Subject id"), required=False, max_length=64)
    since = forms.DateField(label=_("From (date)"), required=False)
    until = forms.DateField(label=_("To (date, inclusive)"), required=False)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def apply(self, entries):
        """Filter a queryset of entries (already scoped by the access policy)."""
        data = self.cleaned_data
        if data.get("actor"):
            entries = entries.filter(actor_username=data["actor"])
        for name in ("action", "subject_type", "subject_id"):
            if data.get(name):
                entries = entries.filter(**{name: data[name]})
        if data.get("since"):
            entries = entries.filter(occurred_at__date__gte=data["since"])
        if data.get("until"):
            entries = entries.filter(occurred_at__date__lt=data["until"] + dt.timedelta(days=1))
        return entries
