"""The export request form. It checks the shape of the input; which datasets, filters and fields
the user may have is the datasets' and the access policy's (their refusals come back as errors
on this form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.lifecycle import Status
from cases.models import Sex

from .datasets import DIMENSIONS, datasets_for
from .models import ExportJob

CASE_FILTERS = ("status", "sex", "office_code", "abducted_year", "age_min", "age_max")


class ExportRequestForm(forms.Form):
    dataset = forms.ChoiceField(label=_("What to export"))
    format = forms.ChoiceField(
        label=_("Format"), choices=ExportJob.Format.choices, initial=ExportJob.Format.XLSX
    )
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Figures as of the end of this day (reports and counts; default: today)."),
    )
    rows = forms.ChoiceField(label=_("Count by (rows)"), required=False)
    columns = forms.ChoiceField(label=_("and by (columns)"), required=False)
    status = forms.MultipleChoiceField(
        label=_("Status (case list)"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sex = forms.ChoiceField(
        label=_("Sex (case list)"), choices=[("", "-"), *Sex.choices], required=False
    )
    office_code = forms.CharField(label=_("Office code (case list)"), required=False)
    abducted_year = forms.IntegerField(
        label=_("Year of abduction (case list)"), required=False, min_value=1900, max_value=2100
    )
    age_min = forms.IntegerField(
        label=_("Age when abducted, from (case list)"), required=False, min_value=0
    )
    age_max = forms.IntegerField(
        label=_("Age when abducted, to (case list)"), required=False, min_value=0
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.datasets = datasets_for(user)
        self.fields["dataset"].choices = [(d.key, d.label) for d in self.datasets]
        dimensions = [(d.key, d.label) for d in DIMENSIONS.values()]
        self.fields["rows"].choices = dimensions
        self.fields["columns"].choices = [("", _("(none)")), *dimensions]

    def params(self) -> dict[str, Any]:
        """The parameters of the chosen dataset, from the fields that apply to it."""
        data = self.cleaned_data
        key = data["dataset"]
        if key == "cases":
            return {
                name: data[name] for name in CASE_FILTERS if data.get(name) not in (None, "", [])
            }
        as_of = data["as_of"].isoformat() if data.get("as_of") else ""
        if key == "cases_crosstab":
            return {"rows": data["rows"], "columns": data["columns"], "as_of": as_of}
        return {"as_of": as_of} if as_of else {}
