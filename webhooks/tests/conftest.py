"""Personas and a real local HTTP receiver for the webhook tests.

The receiver is pytest-httpserver (a werkzeug server on 127.0.0.1 in a thread): deliveries go
over real HTTP, and the tests read back what arrived, byte for byte.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from werkzeug import Request, Response

from access.models import PartnerAgreement, Role
from access.services import user_create
from cases.lifecycle import EventType
from families.models import Relative
from families.services import relative_add
from webhooks.models import Subscription
from webhooks.services import subscription_create

AGREED_FIELDS = ["given_name_latn", "sex", "status", "captivity_notes"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next queued status (then `default`). "sleep" makes it wait
    longer than the client's timeout."""

    url: str
    statuses: list = field(default_factory=list)
    default: int = 200
    requests: list[Received] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        self.requests.append(Received(dict(request.headers), request.get_data()))
        status = self.statuses.pop(0) if self.statuses else self.default
        if status == "sleep":
            time.sleep(1.0)
            status = 200
        return Response("ok", status=status)


@pytest.fixture
def receiver(httpserver) -> Receiver:
    receiver = Receiver(url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver.handle)
    return receiver


@pytest.fixture
def make_user(offices):
    def make(username: str, role: str, office_codes=("DHK",)):
        return user_create(username=username, role=role, offices=list(office_codes))

    return make


def share_consent(case) -> None:
    """A relative consents to sharing the case with partners (partners see only such cases)."""
    relative_add(
        case=case,
        relationship="mother",
        relative=Relative(
            full_name_latn="Mother",
            sex="female",
            consent="given",
            consent_recorded_on="2016-01-01",
            consent_share_with_partners=True,
        ),
    )


@pytest.fixture
def make_partner(make_user, offices):
    def make(username="partner-registry", *, deaths=False, fields=AGREED_FIELDS, office="duhok"):
        partner = make_user(username, Role.PARTNER, office_codes=())
        agreement = PartnerAgreement.objects.create(
            name=f"agreement of {username}",
            partner=partner,
            valid_from="2020-01-01",
            fields=list(fields),
            may_receive_deaths=deaths,
        )
        agreement.offices.add(offices[office])
        return partner

    return make


@pytest.fixture
def partner(make_partner):
    return make_partner()


@pytest.fixture
def subscribe(receiver):
    def make(owner, event_types=None) -> Subscription:
        return subscription_create(
            owner=owner, url=receiver.url, event_types=event_types or list(EventType.values)
        )

    return make


@pytest.fixture
def shared_case(make_case, offices):
    """A Duhok case whose family consented to sharing: inside the partner's agreement."""
    case = make_case(
        office=offices["duhok"],
        given_name_latn="Testa",
        family_name_latn="Familia",
        captivity_notes="testimony of captivity",
        birth_date="1990-03-04",
        age_at_abduction=None,
    )
    share_consent(case)
    return case
