"""Forms of the forensic pages. They validate input only; the rules live in graves.services and
families.services, whose errors the views put back on these forms by field name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gazetteer.models import Place

from .models import GraveSite, Identification, Remains


class DateInput(forms.DateInput):
    input_type = "date"


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + GraveSite.Status.choices
    )


class SiteReportForm(forms.ModelForm):
    reported_on = forms.DateField(label=_("First reported on"), widget=DateInput)
    source = forms.CharField(label=_("Source of the report"), max_length=300)
    estimated_victims = forms.IntegerField(
        label=_("Estimated victims"), required=False, min_value=0
    )

    class Meta:
        model = GraveSite
        fields = ["code", "name", "place", "latitude", "longitude", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Sites lie near a village or in a sub-district; listing governorates would only mislead.
        self.fields["place"].queryset = Place.objects.filter(
            kind__in=["village", "subdistrict", "district"]
        ).order_by("name_latn")


class SiteConfirmForm(forms.Form):
    on = forms.DateField(label=_("Confirmed on"), widget=DateInput)
    source = forms.CharField(label=_("Source"), max_length=300)


class ExhumationStartForm(forms.Form):
    started_on = forms.DateField(label=_("Started on"), widget=DateInput)
    team = forms.CharField(label=_("Team"), max_length=200)


class RemainsForm(forms.ModelForm):
    class Meta:
        model = Remains
        fields = ["code", "recovered_on", "sex_estimate", "age_min", "age_max", "sample_status"]
        widgets = {"recovered_on": DateInput}


class RemainsFilterForm(forms.Form):
    site = forms.CharField(label=_("Site code"), required=False, max_length=32)
    sample_status = forms.ChoiceField(
        label=_("Sample status"),
        required=False,
        choices=[("", _("Any"))] + Remains.SampleStatus.choices,
    )


class IdentificationProposeForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=32)
    method = forms.ChoiceField(label=_("Method"), choices=Identification.Method.choices)
    identified_on = forms.DateField(label=_("Identified on"), widget=DateInput)
    match_statistic = forms.DecimalField(
        label=_("Match statistic"),
        required=False,
        max_digits=20,
        decimal_places=6,
        help_text=_("As the laboratory reported it, e.g. the posterior probability."),
    )


class IdentificationConfirmForm(forms.Form):
    on = forms.DateField(label=_("Confirmed on"), widget=DateInput)
    source = forms.CharField(label=_("Source"), max_length=300)


class IdentificationWithdrawForm(forms.Form):
    on = forms.DateField(label=_("Withdrawn on"), widget=DateInput)
    source = forms.CharField(label=_("Source"), max_length=300)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class HandoverForm(forms.Form):
    handed_over_on = forms.DateField(label=_("Handed over on"), widget=DateInput)
    source = forms.CharField(label=_("Source"), max_length=300)
    receiving_relative = forms.ModelChoiceField(
        label=_("Received by"), queryset=None, required=False, empty_label=_("Not recorded")
    )
    burial_note = forms.CharField(label=_("Place of burial"), max_length=300, required=False)
    ceremony = forms.CharField(
        label=_("Ceremony or batch"),
        max_length=200,
        required=False,
        help_text=_("e.g. the collective reburial the remains were returned in"),
    )

    def __init__(self, *args, relatives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiving_relative"].queryset = relatives
        self.fields["receiving_relative"].label_from_instance = lambda relative: (
            relative.full_name_latn or relative.full_name_ar or str(relative.pk)[:8]
        )
