"""Read endpoints for cases and their timelines. Every response goes through access.policy:
records out of scope do not exist (404), fields a role may not see are absent, and each view
of personal data is audited with the fields shown."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from access import policy
from audit.services import audit_log
from cases.partial_dates import PartialDate
from cases.selectors import case_timeline

# Timeline fields each kind of reader gets: free-text notes and who recorded an event are
# casework, not for partners.
EVENT_FIELDS = (
    "id",
    "sequence",
    "type",
    "from_status",
    "to_status",
    "date",
    "recorded_at",
    "source",
)
EVENT_CASEWORK_FIELDS = (*EVENT_FIELDS, "note", "recorded_by")


class CasePagination(CursorPagination):
    ordering = "case_number"  # unique: a stable keyset
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _json(record: dict) -> dict:
    # Partial dates as their ISO text; DRF's encoder handles dates, UUIDs and decimals.
    return {
        name: str(value) if isinstance(value, PartialDate) else value
        for name, value in record.items()
    }


class CaseListApi(APIView):
    """GET /api/v1/cases/: the cases the caller may see, keyset-paginated by case number."""

    def get(self, request):
        user = request.user
        if not policy.allowed(user, "view", "case"):
            audit_log(action="denied", subject_type="cases.case", actor=user)
            raise PermissionDenied(_("Your role has no access to case records."))
        paginator = CasePagination()
        page = paginator.paginate_queryset(policy.cases_visible_to(user), request, view=self)
        results, shown = [], set()
        for case in page:
            visible = policy.case_fields_for(user, case)
            results.append(_json(policy.redact(policy.case_record(case), visible)))
            shown |= visible
        if results:
            # One entry per page of results: which cases, and which of their fields, were shown.
            audit_log(
                action="view",
                subject_type="cases.case",
                actor=user,
                changes={"cases": [r["id"] for r in results], "fields": sorted(shown)},
            )
        return paginator.get_paginated_response(results)


class CaseDetailApi(APIView):
    """GET /api/v1/cases/{id}/, with the record's version as its ETag."""

    def get(self, request, pk):
        case = policy.case_get_for(request.user, pk)
        response = Response(_json(policy.case_as_dict(request.user, case)))
        response["ETag"] = f'"{case.version}"'
        return response


class CaseEventListApi(APIView):
    """GET /api/v1/cases/{id}/events/: the case's timeline."""

    def get(self, request, pk):
        case = policy.case_get_for(request.user, pk)
        if not policy.allowed(request.user, "view", "event"):
            audit_log(action="denied", subject=case, actor=request.user)
            raise PermissionDenied(_("Your role may not read case timelines."))
        casework = policy.allowed(request.user, "create", "event")
        fields = EVENT_CASEWORK_FIELDS if casework else EVENT_FIELDS
        events = [
            {
                name: (event.recorded_by.get_username() if event.recorded_by else None)
                if name == "recorded_by"
                else getattr(event, name)
                for name in fields
            }
            for event in case_timeline(case=case)
        ]
        audit_log(
            action="view",
            subject=case,
            actor=request.user,
            changes={"timeline": len(events), "fields": list(fields)},
        )
        return Response({"results": [_json(event) for event in events]})
