"""PFIF endpoints: Atom feeds of persons and notes, and the write endpoint for partners.

Thin: check the role, read the parameters, call a selector or the service, audit what was shown.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from access import policy
from audit.services import audit_log

from .format import parse_datetime
from .parse import PfifDocumentError
from .selectors import (
    MAX_RESULTS,
    MAX_SKIP,
    pfif_domains_writable_by,
    pfif_note_feed,
    pfif_person_feed,
)
from .serialize import pfif_feed_xml
from .services import pfif_document_write

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class AtomRenderer(BaseRenderer):
    """Lets clients that ask only for Atom reach the feeds; errors are still JSON text."""

    media_type = "application/atom+xml"
    format = "atom"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class PfifXmlParser(BaseParser):
    """The request body as bytes, for pfif.parse (which reads it with defusedxml)."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_DOCUMENT_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ParseError(
                _("The document is larger than %(mb)d MB: send it in smaller documents.")
                % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)}
            )
        return data


class TextXmlParser(PfifXmlParser):
    media_type = "text/xml"


class AtomXmlParser(PfifXmlParser):
    media_type = "application/atom+xml"


class FeedQuerySerializer(serializers.Serializer):
    min_entry_date = serializers.CharField(required=False, allow_blank=False)
    max_results = serializers.IntegerField(
        required=False, default=MAX_RESULTS, min_value=1, max_value=MAX_RESULTS
    )
    skip = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_SKIP)
    omit_notes = serializers.BooleanField(required=False, default=False)
    person_record_id = serializers.CharField(required=False, max_length=500)

    def validate_min_entry_date(self, value: str):
        try:
            return parse_datetime(value)
        except ValueError as error:
            raise serializers.ValidationError(
                _("Give a UTC date and time as YYYY-MM-DDThh:mm:ssZ.")
            ) from error


_FEED_PARAMETERS = [
    OpenApiParameter(
        "min_entry_date",
        OpenApiTypes.STR,
        description="Only records stored at or after this UTC time (YYYY-MM-DDThh:mm:ssZ).",
    ),
    OpenApiParameter("max_results", OpenApiTypes.INT, description="1 to 200 (default 200)."),
    OpenApiParameter("skip", OpenApiTypes.INT, description="Records to skip (0 to 10000)."),
]
_ATOM_RESPONSE = {
    (200, "application/atom+xml"): OpenApiResponse(
        OpenApiTypes.STR, description="An Atom feed of PFIF 1.4 records."
    ),
    400: OpenApiResponse(description="Invalid parameter, with the reason."),
    403: OpenApiResponse(description="The role may not read case records."),
}


class _FeedApi(APIView):
    renderer_classes = [JSONRenderer, AtomRenderer]
    resource = "case"
    feed = ""

    def _query(self, request) -> dict:
        if not policy.allowed(request.user, "view", self.resource):
            audit_log(
                action="denied", subject_type="pfif.feed", subject_id=self.feed, actor=request.user
            )
            raise PermissionDenied(_("Your role has no access to these records."))
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _answer(self, request, page, now) -> HttpResponse:
        shown = sorted(
            {
                name
                for entry in page.entries
                for record in [entry.get("person") or entry.get("note"), *entry.get("notes", ())]
                for name in record
            }
        )
        if page.entries:
            # One entry per page: which cases, which of their fields and which PFIF fields.
            audit_log(
                action="view",
                subject_type="cases.case",
                actor=request.user,
                changes={
                    "via": f"pfif/{self.feed}",
                    "cases": page.case_ids,
                    "fields": sorted(page.fields),
                    "pfif_fields": shown,
                    "notes": page.note_count,
                },
            )
        body = pfif_feed_xml(
            entries=page.entries,
            title=f"PFIF {self.feed} feed",
            self_url=request.build_absolute_uri(),
            now=now,
        )
        return HttpResponse(body, content_type=ATOM_CONTENT_TYPE)


class PersonFeedApi(_FeedApi):
    """GET /api/v1/pfif/feeds/person: the cases the caller may see, as PFIF persons."""

    feed = "person"

    @extend_schema(
        summary="PFIF 1.4 person feed (Atom)",
        parameters=[
            *_FEED_PARAMETERS,
            OpenApiParameter("omit_notes", OpenApiTypes.BOOL, description="Leave out notes."),
        ],
        responses=_ATOM_RESPONSE,
    )
    def get(self, request):
        query = self._query(request)
        now = timezone.now()
        page = pfif_person_feed(
            user=request.user,
            min_entry_date=query.get("min_entry_date"),
            skip=query["skip"],
            max_results=query["max_results"],
            omit_notes=query["omit_notes"],
            now=now,
        )
        return self._answer(request, page, now)


class NoteFeedApi(_FeedApi):
    """GET /api/v1/pfif/feeds/note: the timelines of the cases the caller may see."""

    feed = "note"
    resource = "event"

    @extend_schema(
        summary="PFIF 1.4 note feed (Atom)",
        parameters=[
            *_FEED_PARAMETERS,
            OpenApiParameter(
                "person_record_id", OpenApiTypes.STR, description="Only the notes of this person."
            ),
        ],
        responses=_ATOM_RESPONSE,
    )
    def get(self, request):
        query = self._query(request)
        page = pfif_note_feed(
            user=request.user,
            min_entry_date=query.get("min_entry_date"),
            skip=query["skip"],
            max_results=query["max_results"],
            person_record_id=query.get("person_record_id", ""),
        )
        return self._answer(request, page, timezone.now())


class _KindReportSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    written = serializers.IntegerField()
    records = serializers.ListField(child=serializers.DictField())
    skipped = serializers.ListField(child=serializers.DictField())


class WriteReportSerializer(serializers.Serializer):
    pfif_version = serializers.CharField()
    person = _KindReportSerializer()
    note = _KindReportSerializer()


class WriteApi(APIView):
    """POST /api/v1/pfif/write: a PFIF 1.1-1.4 document from a partner."""

    parser_classes = [PfifXmlParser, TextXmlParser, AtomXmlParser]

    @extend_schema(
        summary="Write a PFIF document (persons and notes of your authorised domains)",
        request={"application/xml": OpenApiTypes.STR},
        responses={
            200: WriteReportSerializer,
            400: OpenApiResponse(description="Not a readable PFIF document, with the reason."),
            403: OpenApiResponse(description="No PFIF domain may be written with this account."),
        },
    )
    def post(self, request):
        if not pfif_domains_writable_by(request.user):
            audit_log(action="denied", subject_type="pfif.document", actor=request.user)
            raise PermissionDenied(_("No PFIF domain may be written with this account."))
        data = request.data
        if not isinstance(data, bytes) or not data.strip():
            raise ParseError(_("Send a PFIF document as the request body (application/xml)."))
        try:
            answer = pfif_document_write(user=request.user, data=data)
        except PfifDocumentError as error:
            return Response({"detail": str(error)}, status=400)
        return Response(answer)
