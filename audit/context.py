"""Who is acting, and in which request: what audit_log adds to every entry without each caller
passing it along.

A context variable rather than a thread-local, so it is right under ASGI and in threads alike.
The middleware sets it for a request; `audit_actor(user)` sets it for a management command or
a Celery task, where there is no request.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditContext:
    request_id: str = ""
    ip: str | None = None
    # The request (read lazily: DRF authenticates a bearer token inside the view, after the
    # middleware ran, and then sets request.user on the underlying HttpRequest)...
    request: Any = None
    # ...or an explicit user, which wins (commands, tasks, audit_actor).
    user: Any = None
    # Roles and offices per user id, looked up once per request rather than once per entry.
    actor_details: dict[Any, tuple[str, str]] = field(default_factory=dict)

    def current_user(self) -> Any:
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return user


_EMPTY = AuditContext()
_context: ContextVar[AuditContext] = ContextVar("audit_context", default=_EMPTY)


def current() -> AuditContext:
    return _context.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def audit_context(
    *, request_id: str = "", ip: str | None = None, request: Any = None, user: Any = None
) -> Iterator[AuditContext]:
    context = AuditContext(request_id=request_id, ip=ip, request=request, user=user)
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


@contextlib.contextmanager
def audit_actor(user: Any, *, request_id: str | None = None) -> Iterator[AuditContext]:
    """Attribute the entries written inside to `user` (a management command, a Celery task).

    Inside a request the request id and IP are kept; outside one, the entries of this block share
    a fresh request id, so one run of a command can be followed through the trail.
    """
    outer = current()
    with audit_context(
        request_id=request_id or outer.request_id or new_request_id(),
        ip=outer.ip,
        request=outer.request,
        user=user,
    ) as context:
        yield context
