"""Personas for the partner API tests: accounts with tokens, an agreement for the partner."""

import datetime as dt

import pytest

from access.models import PartnerAgreement, Role
from access.services import user_create
from access.tokens import token_issue
from families.models import Relative
from families.services import relative_add


@pytest.fixture
def api_user(offices):
    """make(username, role, offices) -> (user, bearer header value)."""

    def make(username, role, office_codes=("DHK",)):
        user = user_create(username=username, role=role, offices=list(office_codes))
        _record, token = token_issue(user=user, days=1)
        return user, f"Bearer {token}"

    return make


@pytest.fixture
def partner(api_user, offices):
    user, auth = api_user("partner-registry", Role.PARTNER, ())
    agreement = PartnerAgreement.objects.create(
        name="registry",
        partner=user,
        valid_from=dt.date(2020, 1, 1),
        fields=["given_name_latn", "sex", "origin", "abducted_on", "office"],
        may_receive_deaths=False,
    )
    agreement.offices.set([offices["duhok"]])
    return user, auth, agreement


@pytest.fixture
def consented(make_case):
    """A case whose family agreed to share it with partners."""

    def make(**fields):
        case = make_case(**fields)
        relative_add(
            case=case,
            relationship="mother",
            relative=Relative(
                full_name_latn="R",
                sex="female",
                consent="given",
                consent_recorded_on="2016-01-01",
                consent_share_with_partners=True,
            ),
        )
        return case

    return make
