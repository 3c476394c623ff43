"""Forms of the case pages. They check the shape of the input only; the rules (which transitions,
which dates, who may write what) are the services' and the access policy's, and their refusals
are shown on the same forms (`add_service_errors`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.lifecycle import EventType, Status
from cases.models import EDITABLE_FIELDS, Case, Community, Office, Sex
from cases.partial_dates import PartialDate
from families.models import Kinship, Relative
from gazetteer.models import Place

# Identity fields a caseworker may edit: the same as over the API.
IDENTITY_FIELDS = EDITABLE_FIELDS
_ARABIC_NAMES = ("given_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar")

PARTIAL_DATE_HELP = _("A year (2014), a month (2014-08) or a day (2014-08-03).")


class PartialDateFormField(forms.Field):
    """ "2014", "2014-08" or "2014-08-03": most dates of the missing are known only so far."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 10, "dir": "ltr"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", PARTIAL_DATE_HELP)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> PartialDate | None:
        text = str(value).strip() if value not in self.empty_values else ""
        if not text:
            return None
        try:
            return PartialDate.parse(text)
        except ValueError as error:
            raise ValidationError(
                _("Give a date as YYYY, YYYY-MM or YYYY-MM-DD."), code="invalid"
            ) from error

    def prepare_value(self, value: Any) -> Any:
        return str(value) if isinstance(value, PartialDate) else value


def add_service_errors(form: forms.Form, error: Any) -> None:
    """Put a service's refusal on the form: a field's error beside the field (when the form
    shows it), anything else at the top. Takes a Django ValidationError or DRF's detail dict."""
    if hasattr(error, "error_dict"):
        items = {
            name: [m for e in errors for m in e.messages]
            for name, errors in error.error_dict.items()
        }
    elif hasattr(error, "detail"):
        detail = error.detail
        items = (
            {
                name: [str(m) for m in (v if isinstance(v, list) else [v])]
                for name, v in detail.items()
            }
            if isinstance(detail, dict)
            else {None: [str(m) for m in (detail if isinstance(detail, list) else [detail])]}
        )
    else:
        items = {None: list(getattr(error, "messages", [str(error)]))}
    for name, messages in items.items():
        # A hidden field's error would never be seen: it goes to the top with the others.
        shown = name in form.fields and not form.fields[name].widget.is_hidden
        field = name if shown else None
        for message in messages:
            form.add_error(field, message)


class CaseSearchForm(forms.Form):
    """The search box and filters of the case list. Filters on fields the user may not see are
    removed (a filter on a value is a question about it), as the API refuses them."""

    class AgeGroup:
        CHOICES = [
            ("", _("Any age")),
            ("0-9", _("Under 10")),
            ("10-17", _("10 to 17")),
            ("18-39", _("18 to 39")),
            ("40-", _("40 and over")),
            ("unknown", _("Age unknown")),
        ]
        BOUNDS = {"0-9": (0, 9), "10-17": (10, 17), "18-39": (18, 39), "40-": (40, None)}

    # sort key -> (model field, descending, the case field it reveals)
    SORTS = {
        "case_number": ("case_number", False, "case_number"),
        "-case_number": ("case_number", True, "case_number"),
        "name": ("search_name", False, "given_name_latn"),
        "-name": ("search_name", True, "given_name_latn"),
        "abducted": ("abducted_by", False, "abducted_on"),
        "-abducted": ("abducted_by", True, "abducted_on"),
        "-registered": ("created_at", True, "created_at"),
        "registered": ("created_at", False, "created_at"),
    }
    SORT_LABELS = {
        "case_number": _("Case number"),
        "-case_number": _("Case number, descending"),
        "name": _("Name"),
        "-name": _("Name, descending"),
        "abducted": _("Abduction date, oldest first"),
        "-abducted": _("Abduction date, newest first"),
        "-registered": _("Newest registrations first"),
        "registered": _("Oldest registrations first"),
    }
    # filter -> the case field it reveals
    REVEALS = {
        "status": "status",
        "sex": "sex",
        "age_group": "age_at_abduction",
        "office": "office",
        "origin": "origin",
        "year": "abducted_on",
    }

    q = forms.CharField(
        label=_("Name or case number"),
        required=False,
        max_length=200,
        help_text=_("Any spelling, in Arabic script or Latin letters."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", _("Any")), *Sex.choices])
    age_group = forms.ChoiceField(
        label=_("Age when abducted"), required=False, choices=AgeGroup.CHOICES
    )
    office = forms.ModelChoiceField(
        label=_("Office"),
        required=False,
        queryset=Office.objects.none(),
        empty_label=_("Any office"),
    )
    origin = forms.ModelChoiceField(
        label=_("Village of origin"),
        required=False,
        queryset=Place.objects.none(),
        empty_label=_("Any village"),
    )
    year = forms.IntegerField(
        label=_("Year of abduction"), required=False, min_value=1900, max_value=2100
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args: Any, visible_fields: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, reveals in self.REVEALS.items():
            if reveals not in visible_fields:
                del self.fields[name]
        if "office" in self.fields:
            self.fields["office"].queryset = Office.objects.order_by("name")
        if "origin" in self.fields:
            self.fields["origin"].queryset = Place.objects.filter(kind=Place.Kind.VILLAGE).order_by(
                "name_latn"
            )
        self.fields["sort"].choices = [
            (key, self.SORT_LABELS[key])
            for key, (_f, _d, reveals) in self.SORTS.items()
            if reveals in visible_fields
        ]

    def filter(self, cases: Any) -> Any:
        """The cases matching every filter given (the name search is cases.search's)."""
        data = self.cleaned_data
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        if data.get("sex"):
            cases = cases.filter(sex=data["sex"])
        group = data.get("age_group")
        if group == "unknown":
            cases = cases.filter(age_at_abduction__isnull=True)
        elif group:
            low, high = self.AgeGroup.BOUNDS[group]
            cases = cases.filter(age_at_abduction__gte=low)
            if high is not None:
                cases = cases.filter(age_at_abduction__lte=high)
        if data.get("office"):
            cases = cases.filter(office=data["office"])
        if data.get("origin"):
            cases = cases.filter(origin=data["origin"])
        if data.get("year"):
            # A range on the indexed bound, not __year (which defeats the index on some backends).
            year = data["year"]
            cases = cases.filter(
                abducted_by__gte=dt.date(year, 1, 1), abducted_by__lte=dt.date(year, 12, 31)
            )
        return cases

    def sort_key(self) -> str:
        sort = self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else ""
        return sort if sort in dict(self.fields["sort"].choices) else "case_number"


class EventForm(forms.Form):
    """One lifecycle event on a case: its type is fixed by the action's form, the rest typed."""

    type = forms.ChoiceField(choices=EventType.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    date = PartialDateFormField(label=_("Date"))
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Who or what told us: a family member, an office, a partner's report."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    duplicate_of = forms.CharField(
        label=_("Case number of the original"),
        required=False,
        max_length=32,
        help_text=_("The case this one duplicates."),
    )

    def __init__(self, *args: Any, event_type: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", event_type)
        super().__init__(*args, **kwargs)
        self.event_type = event_type
        self.label = EventType(event_type).label
        self.fields["type"].initial = event_type
        if event_type != EventType.CLOSED_DUPLICATE:
            del self.fields["duplicate_of"]

    def clean_type(self) -> str:
        if self.cleaned_data["type"] != self.event_type:
            raise ValidationError(_("This form records another kind of event."))
        return self.cleaned_data["type"]


def _identity_field(name: str) -> forms.Field:
    model_field = Case._meta.get_field(name)
    label = capfirst(model_field.verbose_name)  # verbose names are lower case, labels are not
    if name in ("birth_date", "abducted_on"):
        return PartialDateFormField(label=label, required=name == "abducted_on")
    if name in ("origin", "abduction_place"):
        return forms.ModelChoiceField(
            label=label,
            queryset=Place.objects.filter(kind=Place.Kind.VILLAGE).order_by("name_latn"),
            required=name == "origin",
        )
    if name == "sex":
        return forms.ChoiceField(label=label, choices=Sex.choices)
    if name == "community":
        return forms.ChoiceField(label=label, choices=Community.choices)
    if name == "age_at_abduction":
        return forms.IntegerField(
            label=label,
            required=False,
            min_value=0,
            max_value=120,
            help_text=_("Left empty, it is worked out from the date of birth."),
        )
    if name in ("captivity_notes", "health_notes"):
        return forms.CharField(
            label=label, required=False, widget=forms.Textarea(attrs={"rows": 4})
        )
    attrs = {"dir": "rtl", "lang": "ar"} if name in _ARABIC_NAMES else {"dir": "ltr"}
    return forms.CharField(
        label=label,
        required=False,
        max_length=model_field.max_length,
        widget=forms.TextInput(attrs=attrs),
    )


class CaseIdentityForm(forms.Form):
    """The identity fields the user may both see and write, and the version they are editing
    (lost-update protection: the service refuses a stale one)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, fields: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in IDENTITY_FIELDS:
            if name in fields:
                self.fields[name] = _identity_field(name)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        names = [data.get(name) for name in IDENTITY_FIELDS if name.endswith(("_ar", "_latn"))]
        if any(name in self.fields for name in ("given_name_ar", "given_name_latn")) and not any(
            names
        ):
            raise ValidationError(_("Give at least one name, in Arabic script or Latin letters."))
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in IDENTITY_FIELDS if name in self.fields}


class CaseRegisterForm(CaseIdentityForm):
    """A new report: identity, the office it is registered in, when and from whom it came.
    `confirmed` is set once the user has seen the possible duplicates and registers anyway."""

    office = forms.ModelChoiceField(label=_("Registering office"), queryset=Office.objects.none())
    reported_on = PartialDateFormField(label=_("Reported on"))
    source = forms.CharField(
        label=_("Source of the report"),
        max_length=300,
        help_text=_("Who reported the person missing: a family member, an office, a registry."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, fields: frozenset[str], offices: Any, **kwargs: Any) -> None:
        super().__init__(*args, fields=fields, **kwargs)
        del self.fields["version"]
        self.fields["office"].queryset = offices
        if offices.count() == 1:
            self.fields["office"].initial = offices.first()
        # The report's own fields after the identity.
        for name in ("office", "reported_on", "source", "note", "confirmed"):
            self.fields[name] = self.fields.pop(name)

    def values(self) -> dict[str, Any]:
        """What the registration path (cases.api.views.case_register_for) takes."""
        values = {name: value for name, value in self.changes().items() if value is not None}
        for name in ("office", "reported_on", "source", "note"):
            values[name] = self.cleaned_data[name]
        return values


class RelativeForm(forms.Form):
    """A relative of the case, how they are related, and the consent they gave."""

    full_name_ar = forms.CharField(
        label=_("Full name (Arabic script)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
    )
    full_name_latn = forms.CharField(label=_("Full name (Latin)"), required=False, max_length=300)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Kinship.Relationship.choices)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = PartialDateFormField(label=_("Date of birth"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    consent = forms.ChoiceField(label=_("Consent"), choices=Relative.Consent.choices)
    consent_recorded_on = forms.DateField(
        label=_("Consent recorded on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    consent_dna_matching = forms.BooleanField(label=_("Consents to DNA matching"), required=False)
    consent_share_with_partners = forms.BooleanField(
        label=_("Consents to sharing with partner organisations"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("full_name_ar") and not data.get("full_name_latn"):
            raise ValidationError(_("Give the relative's name, in Arabic script or Latin letters."))
        consent = data.get("consent")
        if (
            consent
            and consent != Relative.Consent.NOT_ASKED
            and not data.get("consent_recorded_on")
        ):
            self.add_error("consent_recorded_on", _("Say when the consent was recorded."))
        if consent != Relative.Consent.GIVEN:
            for name in ("consent_dna_matching", "consent_share_with_partners"):
                if data.get(name):
                    self.add_error(name, _("Only with consent given."))
        return data

    def relative(self) -> Relative:
        data = self.cleaned_data
        return Relative(
            **{
                name: data[name]
                for name in (
                    "full_name_ar",
                    "full_name_latn",
                    "sex",
                    "birth_date",
                    "phone",
                    "address",
                    "consent",
                    "consent_recorded_on",
                    "consent_dna_matching",
                    "consent_share_with_partners",
                )
            }
        )
