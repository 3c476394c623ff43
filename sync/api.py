"""The partner API's generic endpoints: a list and a detail view per resource of the registry
(sync.resources), and the change feed. Every answer goes through the access policy: a record
outside the caller's scope does not exist (404), a field it may not see is absent, a filter on
such a field is refused, and each page of personal data shown is audited."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_log

from .batch import ADAPTERS, MAX_RECORDS, batch_upsert
from .feed import BadCursor, cursor_decode, feed_page
from .idempotency import idempotent
from .models import FeedEntry
from .parsers import BodyTooLarge
from .resources import RESOURCES, Resource

FEED_PAGE_SIZE = 500
FEED_MAX_PAGE_SIZE = 5000


class KeysetPagination(CursorPagination):
    """Keyset pages on the resource's unique, unchanging ordering column: a page deep in a
    million rows costs what the first one does."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def __init__(self, ordering: str) -> None:
        self.ordering = ordering


def _denied(user: Any, resource: Resource, subject_id: Any = "") -> PermissionDenied:
    audit_log(
        action="denied",
        subject_type=resource.model._meta.label_lower,
        subject_id=subject_id,
        actor=user,
    )
    return PermissionDenied(_("Your role has no access to %(name)s.") % {"name": resource.name})


def _revealed_fields(revealed: str | tuple[str, ...]) -> frozenset[str]:
    return frozenset((revealed,) if isinstance(revealed, str) else revealed)


def _refuse_hidden_filters(user: Any, resource: Resource, params: Any) -> None:
    """A filter on a field is a question about its value: not for those who may not see it."""
    if not resource.filter_reveals or resource.filterable_fields is None:
        return
    visible = resource.filterable_fields(user)
    refused = {
        param: [_("You may not filter on a field your role cannot see.")]
        for param, revealed in resource.filter_reveals.items()
        if param in params and not _revealed_fields(revealed) <= visible
    }
    if refused:
        raise ValidationError(refused)


def _audit_shown(
    user: Any, resource: Resource, records: list[dict[str, Any]], *, one: bool = False
) -> None:
    """One entry per page of personal data shown: which records, which fields. A single record
    is its own subject, so that it shows in that record's access history."""
    if not resource.personal or not records:
        return
    fields = sorted({name for record in records for name in record})
    if one:
        changes: dict[str, Any] = {"fields": fields}
    else:
        changes = {"ids": [str(record["id"]) for record in records], "fields": fields}
    audit_log(
        action="view",
        subject_type=resource.model._meta.label_lower,
        subject_id=str(records[0]["id"]) if one else "",
        actor=user,
        changes=changes,
    )


def resource_list(request: Any, resource: Resource, view: APIView) -> Response:
    user = request.user
    if not resource.may_read(user):
        raise _denied(user, resource)
    filters = resource.filterset
    filtered = filters is not None and not set(request.query_params).isdisjoint(
        filters.base_filters
    )
    # Without a filter, the page's SQL is compiled once per caller and shape (sync.prepared);
    # building and compiling the query costs more than running it.
    prepared = None if filtered else resource.rows_prepared(user)
    queryset = resource.queryset_for(user) if prepared is None else None
    if filtered:
        # (Without a filter in the query, building and validating the filter form is all cost.)
        _refuse_hidden_filters(user, resource, request.query_params)
        filterset = resource.filterset(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        queryset = filterset.qs
    paginator = KeysetPagination(resource.ordering)
    if resource.rows is not None:
        # Rows, not model instances (sync.resources.Rows), as named tuples: DRF reads the
        # position of the next page by name.
        rows = prepared if prepared is not None else resource.rows.values(queryset, named=True)
        page = paginator.paginate_queryset(rows, request, view=view)
        seen = resource.rows_seen_by(user)
        records = [seen(row) for row in page]
    else:
        page = paginator.paginate_queryset(queryset, request, view=view)
        records = [resource.as_seen_by(user, instance) for instance in page]
    _audit_shown(user, resource, records)
    return paginator.get_paginated_response(records)


def resource_version(resource: Resource, instance: Any) -> int:
    if hasattr(instance, "version"):
        return instance.version
    version = (
        FeedEntry.objects.filter(resource=resource.name, record_id=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    return version or 1


def resource_detail(request: Any, resource: Resource, pk: Any) -> Response:
    user = request.user
    # A role with no access at all gets the same 404 as a record out of scope: whether a record
    # exists is itself not for it to know.
    may_read = resource.may_read(user)
    prepared = resource.rows_prepared(user) if may_read else None
    if prepared is not None:
        # As a row, by SQL compiled once per caller (sync.prepared), as in lists.
        row = next(iter(prepared.filter(pk=pk).order_by()[:1]), None)
        record = resource.rows_seen_by(user)(row) if row is not None else None
        version = row.version if row is not None else None
    else:
        instance = (
            next(iter(resource.queryset_for(user).filter(pk=pk).order_by()[:1]), None)
            if may_read
            else None
        )
        record = resource.as_seen_by(user, instance) if instance is not None else None
        version = resource_version(resource, instance) if instance is not None else None
    if record is None:
        _denied(user, resource, pk)  # audited; answered 404, not 403
        raise Http404(_("Not found."))
    _audit_shown(user, resource, [record], one=True)
    response = Response(record)
    response["ETag"] = f'"{version}"'
    return response


_FILTER_TYPES: list[tuple[type, Any]] = [
    (django_filters.NumberFilter, OpenApiTypes.NUMBER),
    (django_filters.DateFilter, OpenApiTypes.DATE),
    (django_filters.UUIDFilter, OpenApiTypes.UUID),
    (django_filters.ModelChoiceFilter, OpenApiTypes.UUID),  # every related record has a UUID
    (django_filters.BooleanFilter, OpenApiTypes.BOOL),
]


def filter_parameters(resource: Resource) -> list[OpenApiParameter]:
    """The resource's filters as query parameters of its list in the schema. drf-spectacular
    reads a filterset only on generic list views; these are plain APIViews, so say them here."""
    if resource.filterset is None:
        return []
    parameters = []
    for name, filter_ in resource.filterset.base_filters.items():
        kind = next((t for cls, t in _FILTER_TYPES if isinstance(filter_, cls)), OpenApiTypes.STR)
        choices = getattr(filter_, "extra", {}).get("choices")
        enum = [value for value, _label in choices] if choices and not callable(choices) else None
        many = isinstance(filter_, django_filters.MultipleChoiceFilter)
        description = str(filter_.label or name)
        if name in resource.filter_reveals:
            description += ". Refused (400) to a role that may not see the field."
        parameters.append(
            OpenApiParameter(name, kind, enum=enum, many=many or None, description=description)
        )
    return parameters


def page_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque page cursor."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="1-500, default 50"),
    ]


def page_schema(resource: Resource) -> Any:
    """A keyset page: links to the next and previous pages and the records (as the role may
    see them: which fields a record has depends on the caller)."""
    return inline_serializer(
        f"{resource.name.title().replace('-', '')}Page",
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializers.ListField(child=serializers.DictField()),
        },
    )


def _list_view(resource: Resource) -> type[APIView]:
    parameters = page_parameters() + filter_parameters(resource)

    class ResourceListApi(APIView):
        filterset_class = resource.filterset  # read by drf-spectacular for the parameters

        def get_queryset(self):
            return resource.model.objects.none()

        @extend_schema(
            operation_id=f"{resource.name}_list",
            summary=f"List {resource.name}",
            description=resource.description,
            parameters=parameters,
            responses={200: page_schema(resource), 400: OpenApiTypes.OBJECT, 403: None},
            tags=[resource.name],
        )
        def get(self, request):
            return resource_list(request, resource, self)

    ResourceListApi.__name__ = f"{resource.name.title().replace('-', '')}ListApi"
    ResourceListApi.__qualname__ = ResourceListApi.__name__
    return ResourceListApi


def _detail_view(resource: Resource) -> type[APIView]:
    class ResourceDetailApi(APIView):
        @extend_schema(
            operation_id=f"{resource.name}_retrieve",
            summary=f"One of {resource.name}, with its version as the ETag",
            responses={200: OpenApiTypes.OBJECT, 404: None},
            tags=[resource.name],
        )
        def get(self, request, pk):
            return resource_detail(request, resource, pk)

    ResourceDetailApi.__name__ = f"{resource.name.title().replace('-', '')}DetailApi"
    ResourceDetailApi.__qualname__ = ResourceDetailApi.__name__
    return ResourceDetailApi


LIST_VIEWS = {name: _list_view(resource) for name, resource in RESOURCES.items()}
DETAIL_VIEWS = {name: _detail_view(resource) for name, resource in RESOURCES.items()}


# --- the change feed -------------------------------------------------------------------------


class ChangeFeedApi(APIView):
    """GET /api/v1/changes/?since=<cursor>: every change the caller may see, in commit order."""

    @extend_schema(
        operation_id="changes_list",
        summary="The change feed",
        description=(
            "Every change the caller may see across all resources, in commit order. Start "
            "without `since`, then pass the last `next_cursor`: a client that keeps doing so "
            "holds an exact mirror of what it may see. `op` is `upsert` (with the record's "
            "current `data`) or `delete` (a tombstone: deleted, or no longer in the caller's "
            "scope). A record may appear more than once; apply the changes in order."
        ),
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description="An opaque cursor."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1-{FEED_MAX_PAGE_SIZE}"),
            OpenApiParameter(
                "resource",
                OpenApiTypes.STR,
                many=True,
                description="Only these resources (repeatable).",
            ),
        ],
        responses={
            200: inline_serializer(
                "ChangeFeedPage",
                {
                    "results": serializers.ListField(child=serializers.DictField()),
                    "next_cursor": serializers.CharField(),
                    "has_more": serializers.BooleanField(),
                },
            )
        },
        tags=["changes"],
    )
    def get(self, request):
        try:
            after = cursor_decode(request.query_params.get("since"))
        except BadCursor as error:
            raise ValidationError({"since": [_("Not a cursor this feed gave out.")]}) from error
        limit_text = request.query_params.get("limit", str(FEED_PAGE_SIZE))
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= FEED_MAX_PAGE_SIZE:
            raise ValidationError(
                {"limit": [_("A whole number from 1 to %(n)d.") % {"n": FEED_MAX_PAGE_SIZE}]}
            )
        wanted = request.query_params.getlist("resource") or None
        unknown = sorted(set(wanted or ()) - set(RESOURCES))
        if unknown:
            raise ValidationError({"resource": [_("Unknown resource: %s") % ", ".join(unknown)]})
        page = feed_page(user=request.user, after=after, limit=int(limit_text), resources=wanted)
        shown: dict[str, list[str]] = {}
        for item in page.results:
            if item["op"] == "upsert" and RESOURCES[item["resource"]].personal:
                shown.setdefault(item["resource"], []).append(str(item["id"]))
        if shown:
            audit_log(
                action="view",
                subject_type="sync.changes",
                actor=request.user,
                changes={"shown": shown, "after": after},
            )
        return Response(
            {"results": page.results, "next_cursor": page.next_cursor, "has_more": page.has_more}
        )


# --- batch sync ------------------------------------------------------------------------------


class SyncBatchApi(APIView):
    """POST /api/v1/sync/{resource}/: the caller's records, keyed by its own `external_id`."""

    @extend_schema(
        operation_id="sync_batch",
        summary="Batch upsert keyed by your own ids",
        description=(
            'Body: `{"records": [{"external_id": ..., <fields>}, ...]}` (at most '
            f"{MAX_RECORDS}). Each record is answered `created`, `updated`, `unchanged` or "
            "`rejected` with field errors; replaying a batch creates nothing new. With "
            "`?atomic=true` one rejected record means nothing is applied (400). Resources: "
            + ", ".join(sorted(ADAPTERS))
            + "."
        ),
        parameters=[
            OpenApiParameter("atomic", OpenApiTypes.BOOL),
            OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, "header"),
        ],
        request=inline_serializer(
            "SyncBatch", {"records": serializers.ListField(child=serializers.DictField())}
        ),
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 413: None},
        tags=["sync"],
    )
    @idempotent
    def post(self, request, resource):
        if resource not in ADAPTERS:
            raise Http404(_("No batch sync for this resource."))
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ValidationError({"records": [_("A list of records is required.")]})
        unknown = sorted(set(body) - {"records"})
        if unknown:
            raise ValidationError({name: [_("Unknown field.")] for name in unknown})
        records = body["records"]
        if len(records) > MAX_RECORDS:
            raise BodyTooLarge(_("At most %(n)d records per batch.") % {"n": MAX_RECORDS})
        atomic_text = request.query_params.get("atomic", "false").lower()
        if atomic_text not in {"true", "false", "1", "0"}:
            raise ValidationError({"atomic": [_("true or false.")]})
        outcome = batch_upsert(
            user=request.user,
            resource=resource,
            records=records,
            atomic=atomic_text in {"true", "1"},
        )
        answer = {
            "applied": outcome.applied,
            **outcome.counts(),
            "results": [result.as_json() for result in outcome.results],
        }
        return Response(answer, status=200 if outcome.applied else 400)
