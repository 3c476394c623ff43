"""Reports over the API: the list, each report as of a day, and the figures reconciliation.

The same registry, the same validation and the same access policy as the web pages:
`report: view` for reports (403 otherwise, written to the audit trail), 404 for an unknown
report or a case list the role may not see, 400 naming each parameter at fault."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from access import policy
from audit.services import audit_log

from .registry import GENERIC_PARAMETERS, REPORTS, may_view_reports, report_get_for
from .registry import reports_available_to as _available
from .selectors import figure_drillable, figures_reconcile
from .tables import Table


def _require_reports(request, subject_type: str = "reports.report") -> None:
    if not may_view_reports(request.user):
        audit_log(action="denied", subject_type=subject_type, actor=request.user)
        raise PermissionDenied("Your role may not read reports.")


def table_as_json(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": str(table.title),
        "as_of": table.as_of.isoformat() if table.as_of else None,
        "columns": [
            {"key": column.key, "label": str(column.label), "kind": column.kind}
            for column in table.columns
        ],
        "rows": [list(row) for row in table.rows],
        "has_total_row": table.has_total_row,
        "notes": [str(note) for note in table.notes],
    }


_PARAMETER = inline_serializer(
    "ReportParameter",
    {
        "name": serializers.CharField(),
        "label": serializers.CharField(),
        "choices": serializers.ListField(child=serializers.CharField()),
        "default": serializers.CharField(),
    },
    many=True,
)
_REPORT_SUMMARY = inline_serializer(
    "ReportSummary",
    {
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "description": serializers.CharField(),
        "section": serializers.CharField(),
        "parameters": _PARAMETER,
        "url": serializers.CharField(),
    },
    many=True,
)
_COLUMN = inline_serializer(
    "ReportColumn",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "kind": serializers.ChoiceField(choices=["dimension", "count", "value"]),
    },
    many=True,
)
_REPORT = inline_serializer(
    "Report",
    {
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "as_of": serializers.DateField(),
        "columns": _COLUMN,
        "rows": serializers.ListField(child=serializers.ListField(child=serializers.JSONField())),
        "has_total_row": serializers.BooleanField(),
        "notes": serializers.ListField(child=serializers.CharField()),
    },
)
_FIGURE = inline_serializer(
    "ReconciledFigure",
    {
        "ref": serializers.CharField(),
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "as_of": serializers.DateField(),
        "window_start": serializers.DateField(allow_null=True),
        "published": serializers.IntegerField(allow_null=True),
        "relation": serializers.CharField(),
        "computed": serializers.IntegerField(allow_null=True),
        "status": serializers.ChoiceField(
            choices=["match", "mismatch", "conflict", "not_published", "not_tracked"]
        ),
        "publisher": serializers.CharField(),
        "source": serializers.CharField(),
        "source_url": serializers.CharField(),
        "definition": serializers.CharField(),
        "note": serializers.CharField(),
        "cases_url": serializers.CharField(allow_null=True),
    },
    many=True,
)


class ReportListApi(APIView):
    """GET /api/v1/reports/: the reports this account may read."""

    @extend_schema(
        operation_id="reports_list",
        summary="The reports your role may read",
        responses={200: inline_serializer("ReportList", {"results": _REPORT_SUMMARY}), 403: None},
        tags=["reports"],
    )
    def get(self, request):
        _require_reports(request)
        results = [
            {
                "key": report.key,
                "title": str(report.title),
                "description": str(report.description),
                "section": str(report.section),
                "parameters": [
                    {
                        "name": p.name,
                        "label": str(p.label),
                        "choices": [value for value, _label in p.choices],
                        "default": p.default,
                    }
                    for p in report.parameters
                ],
                "url": reverse("api-report-detail", args=[report.key]),
            }
            for report in _available(request.user)
        ]
        return Response({"results": results})


_PARAMETER_NAMES = sorted({p.name for r in REPORTS.values() for p in r.parameters})


class ReportDetailApi(APIView):
    """GET /api/v1/reports/{key}/?as_of=YYYY-MM-DD&...: one report as of a day."""

    @extend_schema(
        operation_id="reports_retrieve",
        summary="One report as of a day",
        parameters=[
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=sorted(REPORTS),
                description="The report, as listed by /api/v1/reports/.",
            ),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                description="Count what had certainly happened by the end of this day. "
                "Default: today; not in the future.",
            ),
            *[
                OpenApiParameter(
                    name,
                    OpenApiTypes.STR,
                    enum=sorted(
                        {
                            value
                            for r in REPORTS.values()
                            for p in r.parameters
                            if p.name == name
                            for value, _label in p.choices
                        }
                    ),
                    description="Only for the reports that list it among their parameters.",
                )
                for name in _PARAMETER_NAMES
            ],
        ],
        responses={200: _REPORT, 400: OpenApiTypes.OBJECT, 403: None, 404: None},
        tags=["reports"],
    )
    def get(self, request, key: str):
        _require_reports(request)
        report = report_get_for(request.user, key)  # Http404 -> 404
        try:
            as_of, params = report.parse(request.query_params, strict=True)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        table = report.compute_shown(request.user, as_of, **params)
        return Response(table_as_json(table))


class FiguresApi(APIView):
    """GET /api/v1/reports/figures/?as_of=: the figures reconciliation."""

    @extend_schema(
        operation_id="reports_figures",
        summary="Every published figure against our records at its date",
        parameters=[
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="Only the figures published for this day."
            )
        ],
        responses={
            200: inline_serializer("FiguresReconciliation", {"figures": _FIGURE}),
            400: OpenApiTypes.OBJECT,
            403: None,
        },
        tags=["reports"],
    )
    def get(self, request):
        _require_reports(request, "reports.publishedfigure")
        unknown = set(request.query_params) - {"as_of"} - GENERIC_PARAMETERS
        errors = {name: ["Unknown parameter."] for name in unknown}
        as_of = None
        if request.query_params.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(request.query_params["as_of"])
            except ValueError:
                errors["as_of"] = ["Enter a date as YYYY-MM-DD."]
        if errors:
            raise ValidationError(errors)
        drill = policy.allowed(request.user, policy.VIEW, "case")
        figures = []
        for result in figures_reconcile(as_of=as_of):
            data = result.as_json()
            drillable = drill and figure_drillable(result.key) and result.computed is not None
            data["cases_url"] = (
                reverse("reports:figure-cases", args=[result.ref]) if drillable else None
            )
            figures.append(data)
        return Response({"figures": figures})
