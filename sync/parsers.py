"""Request bodies for the API: JSON only up to a size, refused with 413 beyond it, and malformed
bodies as 400 that say what is wrong, never a 500."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "body_too_large"


def max_body_bytes() -> int:
    return getattr(settings, "API_MAX_BODY_BYTES", 5 * 1024 * 1024)


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and str(length).isdigit() and int(length) > max_body_bytes():
            raise BodyTooLarge()
        return super().parse(stream, media_type, parser_context)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    return exception_handler(exc, context)
