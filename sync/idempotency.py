"""`Idempotency-Key` on POST: a client that is not sure its request arrived sends it again with
the same key and gets the first answer, without the request being applied twice. The same key
with another body (or another endpoint) is refused: it is a client bug, and guessing which body
was meant could apply the wrong one.

Every answer below 500 is stored and replayed, refusals included (400, 403, 404, 412...): the key
names one attempt, and the answer to it is that attempt's answer; a client that corrects its
request sends it with a new key. The key's row is written in the same transaction as the
request's own writes, so a request that fails with a 500 leaves no key behind (it may be sent
again with the same key), and a concurrent second request with the same key waits on the first
one's row (unique index) and then replays its answer."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_TTL_HOURS", 24))


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message, "header": HEADER}, status=status)


def _replay(stored: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.response_body or b""),
        status=stored.status_code,
        content_type=stored.content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _matches(stored: IdempotentRequest, method: str, path: str, digest: str) -> bool:
    return (stored.method, stored.path, stored.body_sha256) == (method, path, digest)


_REUSED = gettext_noop("This key was used with another request; use a new key for a new request.")


def _concurrent(client: Any, key: str, method: str, path: str, digest: str) -> HttpResponse:
    found = IdempotentRequest.objects.filter(client=client, key=key).first()
    if found is None or found.status_code is None:
        return _error(409, _("A request with this key is still being processed."))
    if not _matches(found, method, path, digest):
        return _error(422, _(_REUSED))
    return _replay(found)


def idempotent(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an APIView's `post`."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return _error(400, _("The key must be 1 to %(n)d characters.") % {"n": MAX_KEY_LENGTH})
        # Read the raw body before the parsers consume the stream.
        digest = hashlib.sha256(request._request.body).hexdigest()
        method, path = request.method, request.path
        client = request.user
        found = IdempotentRequest.objects.filter(
            client=client, key=key, created_at__gte=timezone.now() - _ttl()
        ).first()
        if found is not None:
            if not _matches(found, method, path, digest):
                return _error(422, _(_REUSED))
            return _replay(found)
        with transaction.atomic():
            # Expired keys may be reused: the old answer is gone.
            IdempotentRequest.objects.filter(client=client, key=key).delete()
            try:
                with transaction.atomic():
                    stored = IdempotentRequest.objects.create(
                        client=client, key=key, method=method, path=path, body_sha256=digest
                    )
            except IntegrityError:
                # A concurrent request with this key committed first: answer as it did.
                return _concurrent(client, key, method, path, digest)
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - DRF's own handling, then stored
                # Answer refusals (ValidationError, PermissionDenied, Http404...) here, inside
                # the transaction, so that they are stored like any other answer and the
                # trail entries written before them (a "denied" audit entry) are kept. What DRF
                # does not handle is raised again: a 500, and the transaction rolls back.
                response = view.handle_exception(exc)
            response = view.finalize_response(request, response, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            stored.status_code = response.status_code
            stored.response_body = response.content
            stored.content_type = response.get("Content-Type", "")
            stored.save(update_fields=["status_code", "response_body", "content_type"])
            return response

    return wrapper


def idempotency_keys_expire() -> int:
    """Delete answers older than the time to live (run daily by Celery beat)."""
    deleted, _counts = IdempotentRequest.objects.filter(
        created_at__lt=timezone.now() - _ttl()
    ).delete()
    return deleted
