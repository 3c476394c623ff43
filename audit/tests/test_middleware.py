"""The request context: request id (kept if safe, else made) and client IP (REMOTE_ADDR unless
the proxy is trusted), and the user, read when the entry is written."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from audit.context import audit_actor, current
from audit.middleware import AuditContextMiddleware
from audit.models import AuditEntry
from audit.services import audit_log

from .conftest import last_sequence

pytestmark = pytest.mark.django_db


def run(request, user=None):
    """Run a request through the middleware with a view that writes one entry."""
    seen = {}

    def view(request):
        if user is not None:
            # As DRF does after authenticating a bearer token inside the view.
            request.user = user
        seen["entry"] = audit_log(action="view", subject_type="cases.case", subject_id="c1")
        return HttpResponse("ok")

    response = AuditContextMiddleware(view)(request)
    return response, seen["entry"]


def test_a_safe_request_id_is_kept_and_echoed():
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-123.x", REMOTE_ADDR="192.0.2.1")
    response, entry = run(request)
    assert response["X-Request-ID"] == entry.request_id == "abc-123.x"
    assert entry.ip == "192.0.2.1"


@pytest.mark.parametrize("given", ["", "a" * 65, "two words", "x\nInjected: 1", "<script>", "-x"])
def test_an_unsafe_or_missing_request_id_is_replaced(given):
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=given)
    response, entry = run(request)
    assert entry.request_id != given
    assert len(entry.request_id) == 32 and int(entry.request_id, 16) >= 0
    assert response["X-Request-ID"] == entry.request_id


def test_each_request_gets_its_own_id():
    ids = {run(RequestFactory().get("/"))[1].request_id for _ in range(3)}
    assert len(ids) == 3


def test_x_forwarded_for_is_ignored_unless_trusted(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.20"
    )
    assert run(request)[1].ip == "10.0.0.5"
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    # The address our proxy appended (the last), not what the client claimed (the first).
    assert run(request)[1].ip == "203.0.113.20"
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="nonsense")
    assert run(garbage)[1].ip == "10.0.0.5"


def test_ipv6_is_stored_as_the_database_returns_it():
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0:0:0:0:1")
    entry = run(request)[1]
    assert entry.ip == "2001:db8::1"
    assert AuditEntry.objects.get(pk=entry.pk).ip == "2001:db8::1"


def test_the_user_is_read_when_the_entry_is_written(caseworker):
    """A bearer-token call is authenticated inside the view, after the middleware ran."""
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    _, entry = run(request, user=caseworker)
    assert (entry.actor_id, entry.actor_username) == (caseworker.pk, "caseworker-duhok")


def test_through_the_whole_stack(client, caseworker):
    client.force_login(caseworker)
    start = last_sequence()
    response = client.get("/accounts/", HTTP_X_REQUEST_ID="page-1", REMOTE_ADDR="192.0.2.99")
    assert response["X-Request-ID"] == "page-1"
    assert not AuditEntry.objects.filter(sequence__gt=start).exists()  # the page writes nothing


def test_the_context_ends_with_the_request():
    run(RequestFactory().get("/", HTTP_X_REQUEST_ID="gone-after"))
    assert current().request_id == ""
    entry = audit_log(action="report", subject_type="reports.figure")
    assert (entry.request_id, entry.ip, entry.actor_id) == ("", None, None)


def test_audit_actor_attributes_a_command_and_groups_its_entries(caseworker):
    with audit_actor(caseworker):
        first = audit_log(action="export", subject_type="cases.case")
        second = audit_log(action="export", subject_type="cases.case")
    assert first.actor_id == second.actor_id == caseworker.pk
    assert first.request_id == second.request_id != ""
    assert first.ip is None
