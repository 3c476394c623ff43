"""Deliveries over real HTTP to a local receiver, with Celery running tasks eagerly (the test
settings): what arrives, how it is signed, who gets nothing, retries and the dead letter."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from access.models import PartnerAgreement, Role
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.services import case_transition
from webhooks.models import Delivery
from webhooks.services import deliveries_due_enqueue
from webhooks.signing import signature_verify

from .conftest import share_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """Record a transition and run what its commit triggers (fan-out, deliveries), as a real
    commit would."""

    def run(case, event_type=EventType.RESCUED, on="2016-02-01", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return case_transition(
                case=case,
                event_type=event_type,
                on=on,
                actor=None,
                source="office",
                note="found with her family in the camp",
                **extra,
            )

    return run


def test_a_delivery_is_signed_and_carries_only_the_agreed_fields(
    receiver, partner, subscribe, shared_case, record
):
    subscription = subscribe(partner)
    event = record(shared_case)

    assert len(receiver.requests) == 1
    received = receiver.requests[0]
    headers = received.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Tracker-Event"] == "rescued"
    assert signature_verify(
        secret=subscription.secret,
        timestamp=headers["X-Tracker-Timestamp"],
        body=received.body,
        signature=headers["X-Tracker-Signature"],
    )
    delivery = Delivery.objects.get()
    assert headers["X-Tracker-Delivery"] == str(delivery.pk)

    body = json.loads(received.body)
    assert body["delivery"] == str(delivery.pk)
    assert body["event"] == {
        "id": str(event.pk),
        "type": "rescued",
        "date": "2016-02-01",
        "to_status": "rescued",
    }
    # The agreement lists given_name_latn, sex, status and captivity_notes: the sensitive
    # notes are never shareable, the family name is not agreed.
    assert set(body["case"]) == {"id", "case_number", "given_name_latn", "sex", "status"}
    assert body["case"]["status"] == "rescued"
    text = received.body.decode()
    for secret_text in ("testimony", "Familia", "found with her family", "1990-03-04", "birth"):
        assert secret_text not in text
    assert delivery.state == Delivery.State.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert json.loads(json.dumps(delivery.payload, sort_keys=True)) == body


def test_the_disclosure_is_audited_with_the_fields_sent(
    receiver, partner, subscribe, shared_case, record
):
    subscribe(partner)
    record(shared_case)
    entry = AuditEntry.objects.filter(action="view", subject_id=str(shared_case.pk)).get()
    assert entry.actor_id == partner.pk
    assert entry.changes["via"] == "webhook"
    assert entry.changes["fields"] == ["case_number", "given_name_latn", "id", "sex", "status"]


def test_a_case_the_partner_may_not_see_sends_nothing(
    receiver, partner, subscribe, make_case, offices, record
):
    subscribe(partner)
    other_office = make_case(office=offices["sinjar"])
    share_consent(other_office)
    no_consent = make_case(office=offices["duhok"])
    record(other_office)
    record(no_consent)
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_a_death_goes_only_to_partners_whose_agreement_allows_deaths(
    receiver, make_partner, subscribe, shared_case, record
):
    without_deaths = subscribe(make_partner("partner-no-deaths"))
    with_deaths = subscribe(make_partner("partner-deaths", deaths=True))
    record(shared_case, EventType.DEATH_REPORTED, "2017-01-01")

    assert [d.subscription_id for d in Delivery.objects.all()] == [with_deaths.pk]
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["event"]["type"] == "death_reported"
    assert not without_deaths.deliveries.exists()


def test_only_the_subscribed_event_types_are_sent(
    receiver, partner, subscribe, shared_case, record
):
    subscribe(partner, event_types=[EventType.CAPTIVITY_CONFIRMED])
    record(shared_case)  # rescued
    assert receiver.requests == []
    record(shared_case, EventType.INFORMATION_RECEIVED, "2016-03-01")
    assert receiver.requests == []


def test_an_inactive_subscription_gets_nothing(receiver, partner, subscribe, shared_case, record):
    subscription = subscribe(partner)
    subscription.active = False
    subscription.save()
    record(shared_case)
    assert receiver.requests == []


def test_a_rolled_back_transition_sends_nothing(
    receiver, partner, subscribe, shared_case, django_capture_on_commit_callbacks
):
    subscribe(partner)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        case_transition(
            case=shared_case,
            event_type=EventType.RESCUED,
            on="2016-02-01",
            actor=None,
            source="office",
        )
        raise RuntimeError("something after the transition failed")
    assert callbacks == []
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_two_failures_then_success_is_three_attempts(
    receiver, partner, subscribe, shared_case, record
):
    subscribe(partner)
    receiver.statuses = [500, 500]
    record(shared_case)

    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.DELIVERED
    assert delivery.attempts == 3
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 200]
    assert [a.number for a in delivery.attempt_log.all()] == [1, 2, 3]
    assert len(receiver.requests) == 3
    # The same delivery id every time, so the receiver can tell a retry from a new event.
    assert {r.headers["X-Tracker-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert len({r.body for r in receiver.requests}) == 1


def test_a_receiver_that_always_fails_makes_a_dead_letter_which_can_be_sent_again(
    receiver, partner, subscribe, shared_case, record, settings, django_capture_on_commit_callbacks
):
    subscribe(partner)
    receiver.default = 503
    record(shared_case)

    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.DEAD
    assert delivery.attempts == settings.WEBHOOKS_MAX_ATTEMPTS == 4
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 503
    assert delivery.last_error == "HTTP 503"
    assert len(receiver.requests) == 4

    receiver.default = 200
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhooks_redeliver", str(delivery.pk), stdout=out)
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    assert delivery.attempts == 1  # since it was queued again
    assert [a.number for a in delivery.attempt_log.all()] == [1, 2, 3, 4, 5]
    assert out.getvalue().strip() == f"{delivery.pk} queued again"


def test_a_delivered_delivery_is_not_sent_again(receiver, partner, subscribe, shared_case, record):
    from django.core.management.base import CommandError

    subscribe(partner)
    record(shared_case)
    delivery = Delivery.objects.get()
    with pytest.raises(CommandError, match="Only a dead or cancelled"):
        call_command("webhooks_redeliver", str(delivery.pk), stdout=io.StringIO())
    from webhooks.tasks import delivery_send

    delivery_send(str(delivery.pk))  # a duplicate message
    assert len(receiver.requests) == 1


def test_a_timeout_is_an_error_without_personal_data(
    receiver, partner, subscribe, shared_case, record, settings
):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    subscribe(partner)
    receiver.statuses = ["sleep"]
    record(shared_case)
    delivery = Delivery.objects.get()
    attempts = list(delivery.attempt_log.all())
    first, last = attempts[0], attempts[-1]
    assert (first.status_code, first.error, first.succeeded) == (None, "ReadTimeout", False)
    # The one-threaded receiver is still asleep for the next attempt or two.
    assert {a.error for a in attempts} <= {"ReadTimeout", ""}
    assert last.succeeded and last.status_code == 200
    assert delivery.state == Delivery.State.DELIVERED


def test_an_unreachable_receiver_records_the_error_class_only(
    partner, shared_case, record, httpserver
):
    from webhooks.services import subscription_create

    url = httpserver.url_for("/hook")
    httpserver.stop()  # nothing listens there now
    try:
        subscription_create(owner=partner, url=url, event_types=[EventType.RESCUED])
        record(shared_case)
    finally:
        httpserver.start()
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.DEAD
    assert delivery.last_error == "ConnectError"
    assert delivery.last_status_code is None


@pytest.fixture
def slow_retries(settings):
    """Retries an hour apart: with eager tasks the countdown cannot be honoured, so the retry
    waits for the sweeper, as it would in development without a broker."""
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 3600


def test_the_sweeper_sends_overdue_retries(
    slow_retries, receiver, partner, subscribe, shared_case, record
):
    subscribe(partner)
    receiver.statuses = [500]
    record(shared_case)
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.RETRYING
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(minutes=59)

    assert deliveries_due_enqueue() == 0  # not due yet: nothing is sent early
    assert len(receiver.requests) == 1

    assert deliveries_due_enqueue(now=timezone.now() + dt.timedelta(hours=2)) == 1
    # The attempt itself checks the time too: run it as if the hour had passed.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    from webhooks.tasks import delivery_send

    delivery_send(str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    assert len(receiver.requests) == 2


def _due_now(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    from webhooks.tasks import delivery_send

    delivery_send(str(delivery.pk))
    delivery.refresh_from_db()


def test_a_retry_after_the_agreement_ended_is_cancelled(
    slow_retries, receiver, partner, subscribe, shared_case, record
):
    subscribe(partner)
    receiver.statuses = [500]
    record(shared_case)
    PartnerAgreement.objects.filter(partner=partner).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    delivery = Delivery.objects.get()
    _due_now(delivery)
    assert delivery.state == Delivery.State.CANCELLED
    assert delivery.last_error == "case_not_visible"
    assert len(receiver.requests) == 1


def test_a_retry_sends_no_field_the_agreement_no_longer_lists(
    slow_retries, receiver, partner, subscribe, shared_case, record
):
    subscribe(partner)
    receiver.statuses = [500]
    record(shared_case)
    assert "given_name_latn" in json.loads(receiver.requests[0].body)["case"]
    PartnerAgreement.objects.filter(partner=partner).update(fields=["sex", "status"])
    delivery = Delivery.objects.get()
    _due_now(delivery)
    assert delivery.state == Delivery.State.DELIVERED
    sent = json.loads(receiver.requests[1].body)
    assert set(sent["case"]) == {"id", "case_number", "sex", "status"}
    assert set(delivery.payload["case"]) == set(sent["case"])


def test_casework_subscribers_get_their_office_fields(
    receiver, make_user, subscribe, shared_case, make_case, offices, record
):
    caseworker = make_user("caseworker-duhok", Role.CASEWORKER)
    subscribe(caseworker)
    record(shared_case)
    record(make_case(office=offices["sinjar"]))  # another office: nothing
    assert len(receiver.requests) == 1
    case_part = json.loads(receiver.requests[0].body)["case"]
    assert case_part["captivity_notes"] == "testimony of captivity"  # casework sees notes
    assert "note" not in json.loads(receiver.requests[0].body)["event"]


def test_an_event_committed_while_the_broker_is_down_is_sent_by_the_sweeper(
    receiver, partner, subscribe, shared_case, django_capture_on_commit_callbacks, monkeypatch
):
    """The outbox: the fan-out message is lost at commit (the broker refused it), yet the event
    is in FanoutPending, and the next sweep delivers it once."""
    from webhooks import tasks
    from webhooks.models import FanoutPending

    subscribe(partner)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.event_fanout, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        event = case_transition(
            case=shared_case,
            event_type=EventType.RESCUED,
            on="2016-02-01",
            actor=None,
            source="office",
        )
    assert receiver.requests == []
    assert FanoutPending.objects.filter(event_id=event.pk).exists()

    # A sweep within the grace period leaves it to the normal path...
    deliveries_due_enqueue()
    assert receiver.requests == [] and FanoutPending.objects.exists()
    # ...a later one sends it, and a further sweep sends nothing again.
    later = timezone.now() + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_due_enqueue(now=later)
    assert len(receiver.requests) == 1
    assert not FanoutPending.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_due_enqueue(now=later)
    assert len(receiver.requests) == 1
    assert Delivery.objects.filter(event_id=event.pk).count() == 1
