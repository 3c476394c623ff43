"""The API's resources, in one registry: for each, its model, which records exist for a user
(an access.policy selector), which fields the user may see, how a record is written out, and its
filters. The resource views, the change feed and batch sync all read this table, so a resource
cannot be served by one of them and forgotten by another."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.apps import apps
from django.db import connections, models, router
from django.db.models import ExpressionWrapper, F, Func, Q, QuerySet, Value
from django.db.models.functions import NullIf

from access import policy
from cases.partial_dates import PartialDate

from .prepared import PreparedRows, Unkeyable, plain_key

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


@dataclass(frozen=True)
class Rows:
    """A resource read as rows of values rather than model instances, where pages are large:
    the change feed sends thousands of records a page, and building a model instance for each
    costs more than the query (docs/performance.md). The records are those of `record` and
    `fields_for`, as the API writes them (tests/test_feed_rows.py holds them to it); some values
    are text already, written by the database as the JSON writes them, so they are for the API's
    JSON only."""

    # (name in the record, attname), in the record's order
    columns: tuple[tuple[str, str], ...]
    # The record fields that decide which fields a user may see, and for a user, that decision
    # from their values (in this order).
    decided_by: tuple[str, ...]
    fields_for: Callable[[Any], Callable[..., frozenset[str]]]
    # Columns whose stored text is what the record writes (partial dates: "2014-08"), read as
    # that text ("" as None) instead of through the field's Python type and back.
    as_text: frozenset[str] = frozenset()
    # Times, written by PostgreSQL as the API's JSON writes them (ISO 8601, "Z" for UTC):
    # reading them into Python datetimes costs more per row than the rest of the record.
    times: frozenset[str] = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _attname in self.columns)

    def values(self, queryset: QuerySet, *, named: bool = False) -> QuerySet:
        """The queryset's rows as tuples of the columns' values, in `columns` order (named
        tuples for DRF's keyset pages, which read the ordering column by name)."""
        keys, annotations = _selection(self, connections[queryset.db].vendor == "postgresql")
        return queryset.annotate(**annotations).values_list(*keys, named=named)


@functools.lru_cache(maxsize=8)
def _selection(rows: Rows, postgresql: bool) -> tuple[tuple[str, ...], dict[str, Any]]:
    """What Rows.values selects: the keys in column order, and the expressions to annotate.
    Made once: Django works out each new expression's identity by inspecting its constructor,
    which cost more per list call than the rest of the query's building (profiled)."""
    keys: list[str] = []
    annotations: dict[str, Any] = {}
    for name, attname in rows.columns:
        if name in rows.as_text:
            column = ExpressionWrapper(F(attname), output_field=models.TextField())
            key = f"{attname}_text"
            annotations[key] = NullIf(column, Value("", output_field=models.TextField()))
        elif name in rows.times and postgresql:
            key = f"{attname}_text"
            annotations[key] = JsonTime(F(attname))
        else:
            key = attname
        keys.append(key)
    return tuple(keys), annotations


class JsonTime(Func):
    """A timestamp as DRF's JSON writes a UTC datetime: ISO 8601, microseconds only when there
    are any, "Z" for UTC (PostgreSQL)."""

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.source_expressions[0])
        text = (
            f"(to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN to_char({sql}, 'US') = '000000' THEN '' "
            f"ELSE to_char({sql}, '.US') END || 'Z')"
        )
        return text, (*params, *params, *params)

    output_field = models.TextField()


def _case_columns() -> tuple[tuple[str, str], ...]:
    # policy.case_record's order: the stored fields, then the relations by name.
    fields = apps.get_model("cases.Case")._meta.concrete_fields
    plain = [(f.name, f.attname) for f in fields if not f.is_relation]
    return tuple(plain + [(name, f"{name}_id") for name in policy.CASE_RELATIONS])


CASE_ROWS = Rows(
    columns=_case_columns(),
    decided_by=("office", "status"),
    fields_for=policy.case_fields_by_office_and_status,
    as_text=frozenset({"birth_date", "abducted_on"}),  # partial dates: "2014", "2014-08"
    times=frozenset({"created_at", "updated_at"}),
)


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
    name = django_filters.CharFilter(
        method="filter_name",
        label="Name, in any spelling (Arabic or Latin script, with or without accents)",
    )

    class Meta:
        model = apps.get_model("cases.Case")
        fields = ["status", "sex", "office", "origin", "community", "case_number"]

    def filter_name(self, queryset: QuerySet, _name: str, value: str) -> QuerySet:
        # The search the case list pages use (cases.search): one folded key for every spelling,
        # matched with pg_trgm on PostgreSQL, as a substring elsewhere.
        from cases.search import name_matches

        return name_matches(queryset, value)


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
    filter_reveals: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    filterable_fields: Callable[[Any], frozenset[str]] | None = None
    # Personal data: each record shown is audited (reference data and graves are not).
    personal: bool = True
    # Read as rows in lists and the change feed (None: as model instances).
    rows: Rows | None = None
    # The condition `visible` filters on (model.objects.filter(condition(user)) is visible(user)):
    # with `rows`, lets lists and reads run SQL compiled once per caller (sync.prepared).
    condition: Callable[[Any], Q] | None = None

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

    def rows_prepared(self, user: Any) -> PreparedRows | None:
        """The rows of what the user may see (`rows.values` of `visible(user)`, named), as SQL
        compiled once per shape (sync.prepared), or None where it cannot be keyed: no `rows` or
        `condition`, or a condition that is not made of plain values (a partner's)."""
        if self.rows is None or self.condition is None:
            return None
        condition = self.condition(user)
        try:
            key = (self.name, plain_key(condition))
        except Unkeyable:
            return None
        model, rows = self.model, self.rows
        return PreparedRows(
            key,
            lambda: rows.values(model._default_manager.filter(condition), named=True),
            named=True,
            db=router.db_for_read(model),
        )

    def as_seen_by(self, user: Any, instance: models.Model) -> dict[str, Any]:
        return policy.redact(self.record(instance), self.fields_for(user, instance))

    def rows_seen_by(self, user: Any) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
        """For a resource with `rows`: turns a row of `rows.values(queryset)` into the record
        as the user may see it (what as_seen_by gives for the instance)."""
        assert self.rows is not None
        names = self.rows.names
        deciding = [names.index(name) for name in self.rows.decided_by]
        fields_of = self.rows.fields_for(user)
        plans: dict[frozenset[str], Callable[[tuple[Any, ...]], dict[str, Any]]] = {}

        def seen(row: tuple[Any, ...]) -> dict[str, Any]:
            fields = fields_of(*[row[index] for index in deciding])
            plan = plans.get(fields)
            if plan is None:
                plan = plans[fields] = policy.redact_rows(names, fields)
            return plan(row)

        return seen


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
    # A search by name tells whether someone of that name is among the cases.
    # The search key holds every name of the person (and the alternate names): only for a
    # role that sees them all.
    "name": tuple(sorted(policy.NAME_FIELDS)),
}

RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in [
        Resource(
            name="cases",
            model_label="cases.Case",
            permission="case",
            visible=policy.cases_visible_to,
            condition=policy.case_visibility,
            fields_for=policy.case_fields_for,
            record=_case_record,
            rows=CASE_ROWS,
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
