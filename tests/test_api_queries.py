"""What one API read costs in statements on PostgreSQL (docs/performance.md): the bearer token
brings the caller's roles and offices, the page or record is one query, and its audit entry is
one call of audit_append. A change that adds a statement to every API call shows here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import Role
from audit.models import AuditEntry
from sync.tests.conftest import api_user  # noqa: F401 - shared fixture

# transaction=True: requests run in autocommit, as in production, where a read view's audit
# entry is its own transaction.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reader(api_user):  # noqa: F811
    user, auth = api_user("query-counter", Role.CASEWORKER, ["DHK"])
    return user, auth


def _statements(client, url, auth):
    client.get(url, HTTP_AUTHORIZATION=auth)  # token's last use written once, outside
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url, HTTP_AUTHORIZATION=auth)
    assert answer.status_code == 200, answer.content
    return [query["sql"] for query in queries.captured_queries]


def test_a_case_read_is_three_statements(client, reader, make_case):
    user, auth = reader
    case = make_case()
    statements = _statements(client, f"/api/v1/cases/{case.pk}/", auth)
    assert len(statements) == 3, statements
    assert "audit_append(" in statements[-1]
    entry = AuditEntry.objects.order_by("-sequence").first()
    # Roles and offices came with the token, and are the account's.
    assert (entry.actor_id, entry.role, entry.offices) == (user.pk, "caseworker", "DHK")
    assert entry.subject_id == str(case.pk)


def test_a_case_page_is_three_statements_whatever_its_size(client, reader, make_case):
    _user, auth = reader
    for _ in range(6):
        make_case()
    small = _statements(client, "/api/v1/cases/?page_size=2", auth)
    large = _statements(client, "/api/v1/cases/?page_size=6", auth)
    assert len(small) == len(large) == 3, (small, large)


def test_a_read_entry_does_not_wait_for_the_disk_unless_asked(client, reader, make_case, settings):
    """The audit entry of a read commits without waiting for the WAL flush (the chain's lock
    is not held through it); AUDIT_READS_DURABLE makes it wait. Either way it is written, in
    the chain."""
    _user, auth = reader
    case = make_case()
    url = f"/api/v1/cases/{case.pk}/"
    appended = _statements(client, url, auth)[-1]
    assert "audit_append(" in appended and "synchronous_commit" in appended
    settings.AUDIT_READS_DURABLE = True
    appended = _statements(client, url, auth)[-1]
    assert "audit_append(" in appended and "synchronous_commit" not in appended
    assert AuditEntry.objects.filter(subject_id=str(case.pk), action="view").count() == 4
