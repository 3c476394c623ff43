"""API for CSV imports: POST a file of cases or relatives, GET the templates.

The upload is kept in memory and capped while it is received (CappedMemoryUploadHandler): the
files hold names, birth dates and phone numbers, so they are never spooled to a temporary file
on disk, and a file over the cap is not read to its end before it is refused.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_log

from . import csv_import
from .csv_import import MAX_BYTES, ImportResult, ImportTooLarge, RowError

# Room for the multipart envelope and the other form fields around a file at the cap.
MULTIPART_SLACK = 64 * 1024


class CappedMemoryUploadHandler(FileUploadHandler):
    """Holds an uploaded file in memory up to `limit` bytes; past it, stops the upload and says
    so in `too_large` (the view answers 413). Django's default handlers would write a file over
    2.5 MB to a temporary file."""

    def __init__(self, request: HttpRequest | None = None, limit: int = MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self.buffer = io.BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def upload_too_large(request: HttpRequest) -> bool:
    """Whether the request announces, or turned out to carry, more than the cap allows."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    handlers = getattr(request, "_upload_handlers", [])
    return announced > MAX_BYTES + MULTIPART_SLACK or any(
        getattr(handler, "too_large", False) for handler in handlers
    )


class CsvBodyParser(BaseParser):
    """A text/csv request body, as bytes (decoding is the import's job: it names bad lines).
    Reads one byte past the cap, so an oversized body is recognised without reading it all."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return b"" if stream is None else stream.read(MAX_BYTES + 1)


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The file is too large."


class ErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        allow_null=True,
        help_text="Physical line in the file (the header is line 1); null for the file as a whole.",
    )
    field = serializers.CharField(help_text="The column at fault; empty for a whole row or file.")
    message = serializers.CharField()


class ImportOutputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=csv_import.MODES)
    rows = serializers.IntegerField(help_text="Data rows read from the file.")
    created = serializers.IntegerField(help_text="Records written.")
    errors = ErrorSerializer(many=True)
    applied = serializers.BooleanField(help_text="Whether anything was written.")


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file, UTF-8, from the template.")


def _too_large_body(mode: str, message: str) -> dict[str, Any]:
    result = ImportResult(kind="", mode=mode, errors=[RowError(None, "", message)])
    return result.as_json()


class ImportApi(APIView):
    """POST /api/v1/imports/{cases,relatives}/: check and import a CSV file."""

    kind = ""
    parser_classes = [MultiPartParser, CsvBodyParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body (the session authentication's CSRF check does).
        request.upload_handlers = [CappedMemoryUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if upload_too_large(request._request):
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PayloadTooLarge):
            message = _("The file is over %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}
            return Response(_too_large_body(self._mode(), message), status=413)
        return super().handle_exception(exc)

    def _mode(self) -> str:
        mode = self.request.query_params.get("mode", csv_import.ALL)
        return mode if mode in csv_import.MODES else csv_import.ALL

    def post(self, request: Request) -> Response:
        user = request.user
        if not csv_import.import_permitted(user, self.kind):
            audit_log(action="denied", subject_type=csv_import.SUBJECT_TYPE[self.kind], actor=user)
            raise PermissionDenied(_("Your role may not import these records."))
        mode = request.query_params.get("mode", csv_import.ALL)
        if mode not in csv_import.MODES:
            body = ImportResult(
                kind=self.kind,
                mode=mode,
                errors=[
                    RowError(
                        None,
                        "mode",
                        _("Unknown mode; use one of: %(modes)s.")
                        % {"modes": ", ".join(csv_import.MODES)},
                    )
                ],
            ).as_json()
            body["mode"] = csv_import.ALL
            return Response(body, status=400)
        data = self._file_bytes(request)
        if upload_too_large(request._request) or (data is not None and len(data) > MAX_BYTES):
            raise PayloadTooLarge()
        if data is None:
            body = ImportResult(
                kind=self.kind,
                mode=mode,
                errors=[
                    RowError(
                        None,
                        "file",
                        _("Send the CSV as the multipart field “file” or as a text/csv body."),
                    )
                ],
            ).as_json()
            return Response(body, status=400)
        try:
            result = csv_import.csv_import(kind=self.kind, data=data, user=user, mode=mode)
        except ImportTooLarge as error:
            return Response(_too_large_body(mode, error.message), status=413)
        # A dry run that found errors did its job (200); an import that applied nothing because of
        # errors did not (400), and neither did a file that could not be read at all.
        refused = result.file_error or (
            mode != csv_import.VALIDATE and not result.applied and bool(result.errors)
        )
        return Response(
            ImportOutputSerializer(result.as_json()).data, status=400 if refused else 200
        )

    def _file_bytes(self, request: Request) -> bytes | None:
        if request.content_type.startswith("text/csv"):
            data = request.data
            return data if isinstance(data, bytes) else None
        upload = request.FILES.get("file")
        return None if upload is None else upload.read()


def _import_schema(kind: str) -> Any:
    return extend_schema(
        operation_id=f"imports_{kind}_create",
        summary=f"Import {kind} from a CSV file",
        description=(
            f"Checks every row of a CSV file of {kind} (template: "
            f"`GET /api/v1/imports/templates/{kind}.csv`, documented in docs/csv-import.md) "
            "and writes them. `mode=validate` writes nothing; `all` (the default) writes every "
            "row only if none has an error; `valid_rows` writes the rows without errors. Errors "
            "name the line (the header is line 1), the column and the reason."
        ),
        parameters=[
            OpenApiParameter(
                "mode", OpenApiTypes.STR, enum=list(csv_import.MODES), default=csv_import.ALL
            )
        ],
        request={
            "multipart/form-data": ImportUploadSerializer,
            "text/csv": OpenApiTypes.BINARY,
        },
        responses={
            200: ImportOutputSerializer,
            400: OpenApiResponse(ImportOutputSerializer, "Nothing was applied: the errors."),
            403: OpenApiResponse(description="Your role may not import these records."),
            413: OpenApiResponse(ImportOutputSerializer, "The file is over the size or row cap."),
        },
    )


@extend_schema_view(post=_import_schema(csv_import.CASES))
class CaseImportApi(ImportApi):
    kind = csv_import.CASES


@extend_schema_view(post=_import_schema(csv_import.RELATIVES))
class RelativeImportApi(ImportApi):
    kind = csv_import.RELATIVES


class CsvRenderer(BaseRenderer):
    """Lets a client ask for text/csv (content negotiation would refuse it otherwise); the
    template view answers with its own HttpResponse, errors come out as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data)


class ImportTemplateApi(APIView):
    """GET /api/v1/imports/templates/{cases,relatives}.csv: the header and an example row."""

    kind = ""
    renderer_classes = [JSONRenderer, CsvRenderer]

    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(
            csv_import.template_csv(self.kind).encode("utf-8"),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{self.kind}.csv"'
        return response


def _template_schema(kind: str) -> Any:
    return extend_schema(
        operation_id=f"imports_template_{kind}",
        summary=f"CSV import template for {kind}",
        description="The template's header row and one invented example row (docs/csv-import.md).",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )


@extend_schema_view(get=_template_schema(csv_import.CASES))
class CaseTemplateApi(ImportTemplateApi):
    kind = csv_import.CASES


@extend_schema_view(get=_template_schema(csv_import.RELATIVES))
class RelativeTemplateApi(ImportTemplateApi):
    kind = csv_import.RELATIVES
