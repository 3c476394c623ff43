"""The audit trail over the API: read-only, scoped by the access policy, keyset-paginated."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from access import policy

from .forms import AuditFilterForm
from .models import AuditEntry
from .services import audit_log


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "sequence",
            "occurred_at",
            "actor_username",
            "role",
            "offices",
            "action",
            "subject_type",
            "subject_id",
            "changes",
            "request_id",
            "ip",
            "hash",
        ]


class SequencePagination(CursorPagination):
    ordering = "-sequence"  # newest first; the cursor is the sequence number (keyset)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _page_of_entries(name: str):
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": AuditEntrySerializer(many=True),
        },
    )


def _refuse(request, what: str) -> None:
    audit_log(action="denied", subject_type=what, actor=request.user)
    raise PermissionDenied(_("Your role may not read the audit trail."))


class AuditEntryListApi(APIView):
    """GET /api/v1/audit/?actor=&action=&subject_type=&subject_id=&since=&until="""

    @extend_schema(
        operation_id="audit_list",
        summary="The audit trail (auditors; supervisors: their offices)",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1-200, default 50"),
            *[OpenApiParameter(name, OpenApiTypes.STR) for name in AuditFilterForm.base_fields],
        ],
        responses={200: _page_of_entries("AuditEntryPage"), 400: OpenApiTypes.OBJECT, 403: None},
        tags=["audit"],
    )
    def get(self, request):
        if not policy.allowed(request.user, "view", "audit"):
            _refuse(request, "audit.auditentry")
        form = AuditFilterForm(request.query_params)
        if not form.is_valid():
            return Response({"errors": form.errors.get_json_data()}, status=400)
        entries = form.apply(policy.audit_entries_visible_to(request.user))
        paginator = SequencePagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class CaseAccessHistoryApi(APIView):
    """GET /api/v1/cases/{id}/access-history/: who has seen or changed this case."""

    @extend_schema(
        operation_id="cases_access_history",
        summary="Who has seen or changed this case",
        parameters=[OpenApiParameter("cursor", OpenApiTypes.STR)],
        responses={200: _page_of_entries("CaseAccessHistoryPage"), 403: None, 404: None},
        tags=["audit"],
    )
    def get(self, request, pk):
        case = policy.case_get_for(request.user, pk)  # 404 for a case out of scope
        if not policy.allowed(request.user, "view", "audit"):
            _refuse(request, "cases.case")
        entries = policy.case_access_history_for(request.user, case)
        paginator = SequencePagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)
