"""The API's resources, in one registry: for each, its model, which records exist for a user
(an access.policy selector), which fields the user may see, how a record is written out, and its
filters. The resource views, the change feed and batch sync all read this table, so a resource
cannot be served by one of them and forgotten by another."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.apps import apps
from django.db import models
from django.db.models import QuerySet

from access import policy
from cases.partial_dates import PartialDate

FieldsFor = Callable[[Any, models.Model], frozenset[str]]


def record_of(instance: models.Model) -> dict[str, Any]:
    """Every stored field by name, relations as the related record's id; accounts (int ids,
    internal) as usernames."""
    record: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.is_relation:
            related_id = getattr(instance, model_field.attname)
            if model_field.related_model._meta.label == "auth.User":
                user = getattr(instance, model_field.name) if related_id is not None else None
                record[model_field.name] = user.get_username() if user is not None else None
            else:
                record[model_field.name] = related_id
        else:
            value = getattr(instance, model_field.attname)
            record[model_field.name] = str(value) if isinstance(value, PartialDate) else value
    return record


def _case_record(case: models.Model) -> dict[str, Any]:
    return {
        name: str(value) if isinstance(value, PartialDate) else value
        for name, value in policy.case_record(case).items()
    }


def _relative_record(relative: models.Model) -> dict[str, Any]:
    record = record_of(relative)
    # Which cases the person is family of, and how: prefetched by the resource's queryset.
    record["cases"] = [
        {"case": kinship.case_id, "relationship": kinship.relationship}
        for kinship in relative.kinships.all()
    ]
    return record


def _all_fields(model_label: str, *, without: Iterable[str] = ()) -> frozenset[str]:
    model = apps.get_model(model_label)
    names = {f.name for f in model._meta.concrete_fields} - set(without)
    # Sensitive fields are never in a whole-record default: a resource that may show one says so.
    return frozenset(names - policy.SENSITIVE_FIELDS.get(model._meta.label_lower, frozenset()))


def _static(fields: Callable[[Any], frozenset[str]]) -> FieldsFor:
    return lambda user, _record: fields(user)


def _everything(model_label: str, *, without: Iterable[str] = ()) -> FieldsFor:
    names = _all_fields(model_label, without=without)
    return lambda user, _record: names


def _relative_fields(user: Any) -> frozenset[str]:
    visible = policy.relative_fields_for(user)
    return visible | {"cases"} if visible else visible


# --- filters ---------------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=apps.get_model("cases.Case")._meta.get_field("status").choices
    )
    office_code = django_filters.CharFilter(field_name="office__code", lookup_expr="iexact")
    abducted_year = django_filters.NumberFilter(field_name="abducted_by", lookup_expr="year")
    age_min = django_filters.NumberFilter(field_name="age_at_abduction", lookup_expr="gte")
    age_max = django_filters.NumberFilter(field_name="age_at_abduction", lookup_expr="lte")

    class Meta:
        model = apps.get_model("cases.Case")
        fields = ["status", "sex", "office", "origin", "community", "case_number"]


class EventFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date_upper", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date_lower", lookup_expr="lte")

    class Meta:
        model = apps.get_model("cases.CaseEvent")
        fields = ["case", "type", "to_status"]


class GraveSiteFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("graves.GraveSite")
        fields = ["status", "place", "code"]


class ExhumationFilter(django_filters.FilterSet):
    started_from = django_filters.DateFilter(field_name="started_on", lookup_expr="gte")

    class Meta:
        model = apps.get_model("graves.Exhumation")
        fields = ["site"]


class RemainsFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("graves.Remains")
        fields = ["site", "exhumation", "sample_status", "sex_estimate", "code"]


class IdentificationFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("graves.Identification")
        fields = ["case", "remains", "status", "method"]


class RelativeFilter(django_filters.FilterSet):
    case = django_filters.UUIDFilter(field_name="kinships__case", distinct=True)

    class Meta:
        model = apps.get_model("families.Relative")
        fields = ["sex", "consent"]


class ReferenceSampleFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("families.ReferenceSample")
        fields = ["relative", "status"]


class HandoverFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("families.Handover")
        fields = ["case", "identification"]


class AidProgrammeFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("aid.AidProgramme")
        fields = ["code", "frequency"]


class DisbursementFilter(django_filters.FilterSet):
    period_from = django_filters.DateFilter(field_name="period", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = apps.get_model("aid.Disbursement")
        fields = ["programme", "case", "status"]


class OfficeFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("cases.Office")
        fields = ["code"]


class PlaceFilter(django_filters.FilterSet):
    class Meta:
        model = apps.get_model("gazetteer.Place")
        fields = ["kind", "parent", "code"]


# --- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    name: str  # URL segment and the feed's resource name
    model_label: str
    # The matrix resource that decides whether the role may read it at all (None: reference
    # data, readable by every user with a role).
    permission: str | None
    visible: Callable[[Any], QuerySet]
    fields_for: FieldsFor
    record: Callable[[models.Model], dict[str, Any]] = record_of
    filterset: type[django_filters.FilterSet] | None = None
    # A unique, never-changing column: the keyset that pages are cut on.
    ordering: str = "id"
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    description: str = ""
    # Filters that reveal a field: refused to users for whom the field is not among
    # `filterable_fields(user)`.
    filter_reveals: dict[str, str] = field(default_factory=dict)
    filterable_fields: Callable[[Any], frozenset[str]] | None = None
    # Personal data: each record shown is audited (reference data and graves are not).
    personal: bool = True

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def may_read(self, user: Any) -> bool:
        if self.permission is None:
            return policy.reference_data_readable(user)
        return policy.allowed(user, policy.VIEW, self.permission)

    def queryset_for(self, user: Any) -> QuerySet:
        queryset = self.visible(user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def as_seen_by(self, user: Any, instance: models.Model) -> dict[str, Any]:
        return policy.redact(self.record(instance), self.fields_for(user, instance))


_CASE_FILTER_REVEALS = {
    "status": "status",
    "sex": "sex",
    "office": "office",
    "office_code": "office",
    "origin": "origin",
    "community": "community",
    "case_number": "case_number",
    "abducted_year": "abducted_on",
    "age_min": "age_at_abduction",
    "age_max": "age_at_abduction",
}

RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in [
        Resource(
            name="cases",
            model_label="cases.Case",
            permission="case",
            visible=policy.cases_visible_to,
            fields_for=policy.case_fields_for,
            record=_case_record,
            filterset=CaseFilter,
            ordering="case_number",
            filter_reveals=_CASE_FILTER_REVEALS,
            filterable_fields=policy.case_fields_any,
            description="Missing persons, one case each, with their lifecycle status.",
        ),
        Resource(
            name="events",
            model_label="cases.CaseEvent",
            permission="event",
            visible=policy.events_visible_to,
            fields_for=_static(policy.event_fields_for),
            filterset=EventFilter,
            select_related=("recorded_by",),
            description="The dated lifecycle events of the cases (their timelines).",
        ),
        Resource(
            name="grave-sites",
            model_label="graves.GraveSite",
            permission="grave_site",
            visible=policy.grave_sites_visible_to,
            fields_for=_everything("graves.GraveSite"),
            filterset=GraveSiteFilter,
            ordering="code",
            personal=False,
        ),
        Resource(
            name="exhumations",
            model_label="graves.Exhumation",
            permission="exhumation",
            visible=policy.exhumations_visible_to,
            fields_for=_everything("graves.Exhumation"),
            filterset=ExhumationFilter,
            personal=False,
        ),
        Resource(
            name="remains",
            model_label="graves.Remains",
            permission="remains",
            visible=policy.remains_visible_to,
            fields_for=_everything("graves.Remains"),
            filterset=RemainsFilter,
            ordering="code",
            personal=False,
        ),
        Resource(
            name="identifications",
            model_label="graves.Identification",
            permission="identification",
            visible=policy.identifications_visible_to,
            fields_for=_everything("graves.Identification"),
            filterset=IdentificationFilter,
            select_related=("proposed_by", "confirmed_by"),
        ),
        Resource(
            name="relatives",
            model_label="families.Relative",
            permission="relative",
            visible=policy.relatives_visible_to,
            fields_for=_static(_relative_fields),
            record=_relative_record,
            filterset=RelativeFilter,
            prefetch_related=("kinships",),
            filter_reveals={"consent": "consent", "sex": "sex"},
            filterable_fields=_relative_fields,
        ),
        Resource(
            name="reference-samples",
            model_label="families.ReferenceSample",
            permission="reference_sample",
            visible=policy.reference_samples_visible_to,
            fields_for=_static(policy.reference_sample_fields_for),
            filterset=ReferenceSampleFilter,
        ),
        Resource(
            name="handovers",
            model_label="families.Handover",
            permission="handover",
            visible=policy.handovers_visible_to,
            fields_for=_everything("families.Handover"),
            filterset=HandoverFilter,
        ),
        Resource(
            name="aid-programmes",
            model_label="aid.AidProgramme",
            permission="aid_programme",
            visible=policy.aid_programmes_visible_to,
            fields_for=_everything("aid.AidProgramme"),
            filterset=AidProgrammeFilter,
            ordering="code",
            personal=False,
        ),
        Resource(
            name="disbursements",
            model_label="aid.Disbursement",
            permission="disbursement",
            visible=policy.disbursements_visible_to,
            fields_for=_everything("aid.Disbursement"),
            filterset=DisbursementFilter,
        ),
        Resource(
            name="offices",
            model_label="cases.Office",
            permission=None,
            visible=policy.offices_visible_to,
            fields_for=_everything("cases.Office"),
            filterset=OfficeFilter,
            ordering="code",
            personal=False,
        ),
        Resource(
            name="places",
            model_label="gazetteer.Place",
            permission=None,
            visible=policy.places_visible_to,
            fields_for=_everything("gazetteer.Place"),
            filterset=PlaceFilter,
            ordering="code",
            personal=False,
        ),
    ]
}

RESOURCE_OF_MODEL: dict[str, str] = {
    resource.model_label.lower(): name for name, resource in RESOURCES.items()
}


def resource_get(name: str) -> Resource | None:
    return RESOURCES.get(name)
