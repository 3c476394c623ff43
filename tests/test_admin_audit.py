"""The Django admin leaves the same evidence as the services: views, edits, inline rows."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from families.models import Relative
from families.services import relative_add


def latest(action, subject):
    return AuditEntry.objects.filter(action=action, subject_id=str(subject.pk)).latest("sequence")


@pytest.mark.django_db
def test_viewing_a_case_in_the_admin_is_audited_with_the_fields_shown(admin_client, make_case):
    case = make_case()
    url = reverse("admin:cases_case_change", args=[case.pk])
    assert admin_client.get(url).status_code == 200
    entry = latest("view", case)
    assert entry.changes["via"] == "admin"
    assert "captivity_notes" in entry.changes["fields"]
    assert entry.actor_username == "admin"


@pytest.mark.django_db
def test_editing_a_case_in_the_admin_goes_through_the_service(admin_client, make_case):
    case = make_case(given_name_latn="Before")
    url = reverse("admin:cases_case_change", args=[case.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "given_name_latn": "After",
            "alternate_names-TOTAL_FORMS": "0",
            "alternate_names-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
            "events-0-id": str(case.events.get().pk),
            "events-0-case": str(case.pk),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert (case.given_name_latn, case.version) == ("After", 2)
    assert latest("update", case).changes["given_name_latn"] == ["Before", "After"]


@pytest.mark.django_db
def test_cases_are_not_added_or_deleted_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403


@pytest.mark.django_db
def test_editing_a_relative_in_the_admin_is_audited_without_contact_details(
    admin_client, make_case
):
    relative = Relative(full_name_latn="R", sex="female", phone="+964 750 555 1111")
    relative_add(case=make_case(), relative=relative, relationship="mother")
    url = reverse("admin:families_relative_change", args=[relative.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "phone": "+964 750 555 2222",
            "consent": "not_asked",
            "kinships-TOTAL_FORMS": "0",
            "kinships-INITIAL_FORMS": "0",
            "samples-TOTAL_FORMS": "0",
            "samples-INITIAL_FORMS": "0",
        }
    )
    data = {k: v for k, v in data.items() if v is not False}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = latest("update", relative)
    assert "phone" in entry.changes
    assert "555" not in str(entry.changes)
