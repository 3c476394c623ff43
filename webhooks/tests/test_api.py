"""The subscriptions API: owners only (others get 404), field errors as 400, audited writes,
the secret shown once."""

import json

import pytest
from django.urls import reverse

from access.models import Role
from access.tokens import token_issue
from audit.models import AuditEntry
from cases.lifecycle import EventType
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db

LIST = reverse("api-webhook-subscriptions")


@pytest.fixture
def api(client):
    def call(user, method, url, data=None):
        _token, raw = token_issue(user=user, days=1)
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        return getattr(client, method)(url, **kwargs)

    return call


@pytest.fixture
def outsider(make_partner):
    return make_partner("partner-other")


def _create(api, user, **data):
    body = {"url": "https://partner.example.org/hook", "event_types": ["rescued"], **data}
    return api(user, "post", LIST, body)


def test_create_answers_with_the_secret_once(api, partner):
    response = _create(api, partner, event_types=["rescued", "remains_returned", "rescued"])
    assert response.status_code == 201, response.content
    body = response.json()
    subscription = Subscription.objects.get()
    assert body["secret"] == subscription.secret and len(body["secret"]) >= 43
    assert body["event_types"] == ["remains_returned", "rescued"]
    assert body["active"] is True

    listed = api(partner, "get", LIST).json()["results"]
    assert [row["id"] for row in listed] == [str(subscription.pk)]
    detail = api(partner, "get", reverse("api-webhook-subscription", args=[subscription.pk]))
    assert "secret" not in listed[0] and "secret" not in detail.json()


def test_creation_and_deletion_are_audited_without_the_secret(api, partner):
    subscription_id = _create(api, partner).json()["id"]
    secret = Subscription.objects.get().secret
    url = reverse("api-webhook-subscription", args=[subscription_id])
    assert api(partner, "delete", url).status_code == 204
    assert not Subscription.objects.exists()
    entries = AuditEntry.objects.filter(subject_type="webhooks.subscription")
    assert sorted(entries.values_list("action", flat=True)) == ["create", "delete"]
    for entry in entries:
        assert entry.actor_id == partner.pk
        assert secret not in json.dumps(entry.changes)
        assert entry.changes["url"] == "https://partner.example.org/hook"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "http://partner.example.org/hook"}, "url"),
        ({"url": "https://10.1.2.3/hook"}, "url"),
        ({"url": "nonsense"}, "url"),
        ({"url": ""}, "url"),
        ({"url": ["https://a.example.org"]}, "url"),
        ({"event_types": ["kidnapped"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"event_types": "rescued"}, "event_types"),
        ({"active": "perhaps"}, "active"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, partner, data, field):
    response = _create(api, partner, **data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Subscription.objects.exists()


def test_the_same_url_twice_is_refused(api, partner):
    assert _create(api, partner).status_code == 201
    response = _create(api, partner)
    assert response.status_code == 400
    assert "url" in response.json()


def test_the_number_of_subscriptions_is_limited(api, partner, settings):
    settings.WEBHOOKS_MAX_SUBSCRIPTIONS_PER_OWNER = 1
    assert _create(api, partner).status_code == 201
    response = _create(api, partner, url="https://partner.example.org/other")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_roles_without_events_may_not_subscribe(api, make_user):
    analyst = make_user("analyst", Role.ANALYST, office_codes=())
    response = _create(api, analyst)
    assert response.status_code == 403
    assert AuditEntry.objects.filter(
        action="denied", subject_type="webhooks.subscription", actor=analyst
    ).exists()


def test_an_outsider_finds_no_subscription_of_another(api, partner, outsider):
    subscription_id = _create(api, partner).json()["id"]
    for name in ("api-webhook-subscription", "api-webhook-deliveries"):
        url = reverse(name, args=[subscription_id])
        assert api(outsider, "get", url).status_code == 404
    detail = reverse("api-webhook-subscription", args=[subscription_id])
    assert api(outsider, "delete", detail).status_code == 404
    assert Subscription.objects.filter(pk=subscription_id).exists()
    assert api(outsider, "get", LIST).json()["results"] == []


def test_anonymous_callers_are_refused(client):
    assert client.get(LIST).status_code == 401


def test_the_delivery_log_is_paged_newest_first(api, partner, subscribe, shared_case):
    subscription = subscribe(partner)
    for number in range(3):
        Delivery.objects.create(
            subscription=subscription,
            event_id=f"00000000-0000-0000-0000-00000000000{number}",
            event_type=EventType.RESCUED,
            case_id=shared_case.pk,
            payload={"case": {"given_name_latn": "Testa"}},
            next_attempt_at="2024-01-01T00:00:00Z",
        )
    url = reverse("api-webhook-deliveries", args=[subscription.pk])
    first = api(partner, "get", f"{url}?page_size=2").json()
    assert len(first["results"]) == 2
    second = api(partner, "get", first["next"]).json()
    assert len(second["results"]) == 1
    rows = first["results"] + second["results"]
    assert len({row["id"] for row in rows}) == 3
    assert rows[0]["state"] == "pending" and rows[0]["attempt_log"] == []
    # The log tells what happened, not what was sent.
    assert "payload" not in rows[0] and "Testa" not in json.dumps(rows)


def test_the_schema_documents_the_webhook_endpoints(api, partner):
    response = api(partner, "get", reverse("api-schema") + "?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/webhooks/subscriptions/"]) >= {"get", "post"}
    assert set(paths["/api/v1/webhooks/subscriptions/{id}/"]) >= {"get", "delete"}
    assert "get" in paths["/api/v1/webhooks/subscriptions/{id}/deliveries/"]
