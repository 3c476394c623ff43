"""Request context for audit entries: the request id, the client's IP address and the user.

Runs after AuthenticationMiddleware (settings.MIDDLEWARE), so request.user exists; the user is
read when an entry is written, not here, so that API calls authenticated by DRF inside the view
are attributed too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .context import audit_context, new_request_id

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy or a client is kept only if it is a short plain token: it goes into
# the audit trail and into log lines, so nothing that could forge a log line or bloat a row.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def request_id_for(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _SAFE_REQUEST_ID.fullmatch(given) else new_request_id()


def _valid_ip(value: str) -> str | None:
    try:
        # Normalised (e.g. IPv6 compressed), which is also how the database returns it; the hash
        # covers the stored text, so it must be the same text before and after saving.
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, unless AUDIT_TRUST_X_FORWARDED_FOR says a reverse proxy of ours sets
    X-Forwarded-For. Then the last address in it is the one our proxy saw: the ones before it
    were sent by the client and can be anything."""
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            ip = _valid_ip(forwarded.split(",")[-1])
            if ip is not None:
                return ip
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.audit_request_id = request_id
        with audit_context(request_id=request_id, ip=client_ip(request), request=request):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
