"""The audit trail over the API: read-only, scoped by the access policy, keyset-paginated."""

from django.utils.translation import gettext as _
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


def _refuse(request, what: str) -> None:
    audit_log(action="denied", subject_type=what, actor=request.user)
    raise PermissionDenied(_("Your role may not read the audit trail."))


class AuditEntryListApi(APIView):
    """GET /api/v1/audit/?actor=&action=&subject_type=&subject_id=&since=&until="""

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

    def get(self, request, pk):
        case = policy.case_get_for(request.user, pk)  # 404 for a case out of scope
        if not policy.allowed(request.user, "view", "audit"):
            _refuse(request, "cases.case")
        entries = policy.case_access_history_for(request.user, case)
        paginator = SequencePagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)
