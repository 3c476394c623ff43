"""The exports API: request an export, follow it, download it. A caller sees only its own
exports; anyone else's do not exist (404). Everything goes through exports.services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_log
from sync.idempotency import idempotent

from .. import services, writers
from .serializers import ExportJobOutput, ExportRequestInput

TAG = "exports"


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _refuse_non_exporters(request) -> None:
    if not services.exports_permitted(request.user):
        audit_log(action="denied", subject_type="exports.exportjob", actor=request.user)
        raise PermissionDenied("This account may not export data.")


class ExportListApi(APIView):
    pagination_class = NewestFirstPagination

    @extend_schema(
        tags=[TAG],
        summary="Your exports, newest first",
        responses={200: ExportJobOutput(many=True), 403: OpenApiResponse(description="No exports")},
    )
    def get(self, request):
        _refuse_non_exporters(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            services.export_jobs_of(request.user), request, view=self
        )
        data = ExportJobOutput(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=[TAG],
        summary="Request an export",
        description=(
            "Queues an export of a dataset as your role may have it (docs/exports.md). Follow it "
            "at the Location given; when done, its `download_url` serves the file. A dataset "
            "your role may not export is 404."
        ),
        request=ExportRequestInput,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, "header")],
        responses={
            202: ExportJobOutput,
            400: OpenApiResponse(description="Field errors, keyed by field."),
            403: OpenApiResponse(description="The caller may not export anything."),
            404: OpenApiResponse(description="No such dataset for the caller."),
        },
    )
    @idempotent
    def post(self, request):
        _refuse_non_exporters(request)
        given = ExportRequestInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            job = services.export_request(
                user=request.user,
                dataset=data["dataset"],
                params=data.get("params") or {},
                fmt=data["format"],
                language=data.get("language"),
            )
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise ValidationError({"params": error.message_dict}) from error
            raise ValidationError({"params": error.messages}) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        job.refresh_from_db()  # eager mode: the run may already have happened
        return Response(
            ExportJobOutput(job, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api-export-detail", kwargs={"pk": job.pk})},
        )


class ExportDetailApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary="One of your exports: status, progress, download link",
        responses={200: ExportJobOutput, 404: OpenApiResponse(description="Not yours")},
    )
    def get(self, request, pk):
        job = services.export_get_for(request.user, pk)
        return Response(ExportJobOutput(job, context={"request": request}).data)


class AnyFileRenderer(BaseRenderer):
    """Lets a client that asks for the file's own type (Accept: text/csv...) reach the view;
    the file itself is a FileResponse, and errors are JSON."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class ExportDownloadApi(APIView):
    renderer_classes = [JSONRenderer, AnyFileRenderer]

    @extend_schema(
        tags=[TAG],
        summary="Download the file of one of your exports",
        parameters=[
            OpenApiParameter(
                "token", OpenApiTypes.STR, "query", required=True, description="From download_url"
            )
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not yours, expired, or the link is too old"),
        },
    )
    def get(self, request, pk):
        job, path = services.export_download(
            user=request.user, pk=pk, token=request.query_params.get("token", "")
        )
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=services.download_filename(job),
            content_type=writers.CONTENT_TYPES[job.format],
        )
        response["Cache-Control"] = "no-store, private"
        return response
