"""The as-of form of a report page: its fields are the report's parameters, and its validation
is the report's own (Report.parse), the same the API applies."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .registry import Report


class ReportParametersForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("What had certainly happened by the end of this day. Empty: today."),
    )

    def __init__(self, report: Report, data, **kwargs) -> None:
        # Always bound: a parameter not given is shown (and used) with its default.
        data = data.copy()
        for parameter in report.parameters:
            if not data.get(parameter.name):
                data[parameter.name] = parameter.default
        if not data.get("as_of"):
            data["as_of"] = timezone.localdate().isoformat()
        super().__init__(data, **kwargs)
        self.report = report
        for parameter in report.parameters:
            self.fields[parameter.name] = forms.ChoiceField(
                label=parameter.label, choices=parameter.choices, required=False
            )

    def query(self) -> str:
        """The cleaned parameters as a query string (for the link to the same from the API)."""
        values = {"as_of": self.cleaned_data["as_of"].isoformat()}
        values.update({p.name: self.cleaned_data[p.name] for p in self.report.parameters})
        return urlencode(values)

    def clean(self):
        try:
            as_of, params = self.report.parse(self.data)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            return self.cleaned_data
        self.cleaned_data.update(as_of=as_of, **params)
        return self.cleaned_data


class FiguresFilterForm(forms.Form):
    as_of = forms.DateField(
        label=_("Only the figures published for"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
