"""The trail in the admin: listed and filterable, never added, changed or deleted."""

import pytest
from django.urls import reverse

from audit.services import audit_log

pytestmark = pytest.mark.django_db


def test_the_admin_shows_entries_read_only(admin_client, admin_user):
    entry = audit_log(action="view", subject_type="cases.case", subject_id="c1", actor=admin_user)
    changelist = reverse("admin:audit_auditentry_changelist")
    page = admin_client.get(changelist)
    assert page.status_code == 200
    assert "cases.case" in page.content.decode()
    for query in (
        "?action=view",
        "?subject_type=cases.case",
        f"?actor__id__exact={admin_user.pk}",
        f"?occurred_at__year={entry.occurred_at.year}",
    ):
        page = admin_client.get(changelist + query)
        assert page.status_code == 200, query
        assert page.context["cl"].result_count >= 1, query
    detail = admin_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200  # viewable
    assert b'name="_save"' not in detail.content
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    deleted = admin_client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
