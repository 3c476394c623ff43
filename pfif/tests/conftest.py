"""Personas for the PFIF tests: a partner system allowed to write Person Finder's test domain,
a caseworker of the office its people are registered to, and helpers to call the API with
bearer tokens (as a partner would)."""

from pathlib import Path

import pytest

from access.models import PartnerAgreement, Role
from access.services import user_create
from access.tokens import token_issue
from pfif.models import PfifDomain

DATA = Path(__file__).parent / "data"


def document(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def partner_pf(offices, gazetteer):
    """Writes test.google.com (the domain of Person Finder's test documents)."""
    user = user_create(username="partner-personfinder", role=Role.PARTNER)
    agreement = PartnerAgreement.objects.create(
        name="Person Finder test repository",
        partner=user,
        valid_from="2020-01-01",
        fields=["given_name_latn", "family_name_latn", "sex"],
    )
    agreement.offices.add(offices["duhok"])
    PfifDomain.objects.create(
        domain="test.google.com",
        agreement=agreement,
        office=offices["duhok"],
        default_origin=gazetteer["sinjar"],
        # Person Finder's test records are dated 2000.
        abducted_on="2000",
    )
    return user


@pytest.fixture
def caseworker_duhok(offices):
    return user_create(username="caseworker-duhok", role=Role.CASEWORKER, offices=["DHK"])


@pytest.fixture
def bearer():
    issued = {}

    def header(user) -> dict:
        if user.pk not in issued:
            issued[user.pk] = token_issue(user=user, days=2)[1]
        return {"HTTP_AUTHORIZATION": f"Bearer {issued[user.pk]}"}

    return header


@pytest.fixture
def post_pfif(client, bearer):
    def post(user, body: bytes, content_type="application/xml"):
        return client.post(
            "/api/v1/pfif/write", data=body, content_type=content_type, **bearer(user)
        )

    return post


@pytest.fixture
def get_feed(client, bearer):
    def get(user, kind="person", **params):
        return client.get(f"/api/v1/pfif/feeds/{kind}", params, **bearer(user))

    return get
