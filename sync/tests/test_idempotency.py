"""Idempotency-Key on POST: a client that sends a request again with the same key gets the first
answer, and the request is applied once.

What is stored and replayed: every answer below 500, refusals included (a 400 of the lifecycle, a
403 or 404): the key names one attempt, and its answer is that attempt's answer. A new attempt
needs a new key. A 500 stores nothing (the key can be used again)."""

import pytest

from access.models import Role
from audit.models import AuditEntry
from cases.models import Case, CaseEvent
from sync.idempotency import MAX_KEY_LENGTH, idempotency_keys_expire
from sync.models import IdempotentRequest

RESCUE = {"type": "rescued", "date": "2016-01-01", "source": "office"}


@pytest.fixture
def caseworker(api_user):
    return api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])


def events_url(case):
    return f"/api/v1/cases/{case.pk}/events/"


def post(client, auth, url, body, key=None):
    extra = {"HTTP_AUTHORIZATION": auth}
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, body, content_type="application/json", **extra)


def new_case_body(gazetteer, **fields):
    return {
        "given_name_latn": "Nadia",
        "sex": "female",
        "origin": gazetteer["kocho"].pk,
        "abducted_on": "2014-08-03",
        "office": "DHK",
        "reported_on": "2015-01-01",
        "source": "family",
        **fields,
    }


@pytest.mark.django_db
def test_same_key_same_body_replays_the_event_answer(client, caseworker, make_case):
    _user, auth = caseworker
    case = make_case()
    first = post(client, auth, events_url(case), RESCUE, key="k-1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first

    again = post(client, auth, events_url(case), RESCUE, key="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CaseEvent.objects.filter(case=case, type="rescued").count() == 1
    case.refresh_from_db()
    assert case.status == "rescued"


@pytest.mark.django_db
def test_same_key_same_body_registers_one_case(client, caseworker, gazetteer):
    _user, auth = caseworker
    body = new_case_body(gazetteer)
    first = post(client, auth, "/api/v1/cases/", body, key="register-1")
    assert first.status_code == 201, first.content
    again = post(client, auth, "/api/v1/cases/", body, key="register-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    case_id = first.json()["id"]
    assert AuditEntry.objects.filter(action="create", subject_id=case_id).count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_or_endpoint_is_422(client, caseworker, make_case, gazetteer):
    _user, auth = caseworker
    case = make_case()
    assert post(client, auth, events_url(case), RESCUE, key="k-1").status_code == 201
    other_body = {**RESCUE, "note": "another"}
    response = post(client, auth, events_url(case), other_body, key="k-1")
    assert response.status_code == 422
    assert response.json()["header"] == "Idempotency-Key"
    # The same key on another endpoint is another request too.
    elsewhere = post(client, auth, "/api/v1/cases/", new_case_body(gazetteer), key="k-1")
    assert elsewhere.status_code == 422
    assert CaseEvent.objects.filter(case=case).count() == 2  # reported + the one rescue
    assert Case.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["x" * (MAX_KEY_LENGTH + 1), "   "])
def test_a_key_too_long_or_blank_is_400(client, caseworker, make_case, key):
    _user, auth = caseworker
    case = make_case()
    response = post(client, auth, events_url(case), RESCUE, key=key)
    assert response.status_code == 400
    assert CaseEvent.objects.filter(case=case, type="rescued").count() == 0
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_a_key_of_the_longest_length_is_accepted(client, caseworker, make_case):
    _user, auth = caseworker
    response = post(client, auth, events_url(make_case()), RESCUE, key="x" * MAX_KEY_LENGTH)
    assert response.status_code == 201


@pytest.mark.django_db
def test_without_a_key_the_second_post_is_applied_and_refused_by_the_lifecycle(
    client, caseworker, make_case
):
    _user, auth = caseworker
    case = make_case()
    assert post(client, auth, events_url(case), RESCUE).status_code == 201
    second = post(client, auth, events_url(case), RESCUE)
    assert second.status_code == 400
    assert "type" in second.json()  # "Rescued is not possible for a case that is Rescued..."
    assert "Idempotent-Replayed" not in second
    assert CaseEvent.objects.filter(case=case, type="rescued").count() == 1


@pytest.mark.django_db
def test_a_refused_request_is_stored_and_replayed_too(client, caseworker, make_case):
    """The answer to a key is the answer of its first attempt, a 400 as well: sending the same
    request again with the same key does not run it again (use a new key to retry)."""
    _user, auth = caseworker
    case = make_case()
    future = {**RESCUE, "date": "2999-01-01"}
    first = post(client, auth, events_url(case), future, key="k-future")
    assert first.status_code == 400
    assert "date" in first.json()
    assert IdempotentRequest.objects.filter(key="k-future", status_code=400).exists()

    again = post(client, auth, events_url(case), future, key="k-future")
    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert not CaseEvent.objects.filter(case=case, type="rescued").exists()


@pytest.mark.django_db
def test_a_refusal_with_a_key_keeps_its_audit_entry(client, api_user, make_case, offices):
    """A 404 for a case out of scope is audited as denied, with or without a key."""
    _user, auth = api_user("caseworker-sinjar", Role.CASEWORKER, ["SNJ"])
    case = make_case(office=offices["duhok"])
    response = post(client, auth, events_url(case), RESCUE, key="k-probe")
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action="denied", actor_username="caseworker-sinjar", subject_id=str(case.pk)
    ).exists()
    assert not CaseEvent.objects.filter(case=case, type="rescued").exists()


@pytest.mark.django_db
def test_keys_are_per_client(client, api_user, caseworker, make_case, gazetteer):
    _user, auth = caseworker
    _other, other_auth = api_user("caseworker-duhok-2", Role.CASEWORKER, ["DHK"])
    case = make_case()
    assert post(client, auth, events_url(case), RESCUE, key="shared").status_code == 201

    # The other client's "shared" is its own request: run, not replayed (and refused, as the
    # case is rescued already).
    theirs = post(client, other_auth, events_url(case), RESCUE, key="shared")
    assert "Idempotent-Replayed" not in theirs
    assert theirs.status_code == 400
    assert "type" in theirs.json()

    body = new_case_body(gazetteer)
    assert post(client, auth, "/api/v1/cases/", body, key="register").status_code == 201
    other_register = post(client, other_auth, "/api/v1/cases/", body, key="register")
    assert other_register.status_code == 201
    assert "Idempotent-Replayed" not in other_register
    assert Case.objects.filter(given_name_latn="Nadia").count() == 2


@pytest.mark.django_db
def test_batch_sync_honours_the_key(client, caseworker, gazetteer):
    _user, auth = caseworker
    record = {"external_id": "e1", "case_number": "E-1", **new_case_body(gazetteer)}
    body = {"records": [record]}
    first = post(client, auth, "/api/v1/sync/cases/", body, key="batch-1")
    assert first.status_code == 200 and first.json()["created"] == 1
    again = post(client, auth, "/api/v1/sync/cases/", body, key="batch-1")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # "created", not "unchanged": the first answer


@pytest.mark.django_db
def test_expired_keys_are_deleted(client, caseworker, make_case):
    from datetime import timedelta

    from django.utils import timezone

    _user, auth = caseworker
    post(client, auth, events_url(make_case()), RESCUE, key="old")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert idempotency_keys_expire() == 1
    assert not IdempotentRequest.objects.exists()
