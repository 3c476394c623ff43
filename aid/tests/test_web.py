"""The aid pages: the eligible cases without a payment for a month, approving, paying and
reversing a payment; aid officers see identity and status only, of their offices' cases."""

import datetime as dt
from decimal import Decimal

import pytest

from access.models import Role
from aid.models import AidProgramme, Disbursement
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.services import case_transition


@pytest.fixture
def programme(db):
    return AidProgramme.objects.create(
        code="test-salary",
        name="Test monthly salary",
        administered_by="directorate",
        frequency="monthly",
        standard_amount=Decimal("800000"),
        starts_on=dt.date(2021, 1, 1),
    )


@pytest.fixture
def rescued(make_case, offices):
    def make(number, office="duhok", **fields):
        case = make_case(case_number=number, office=offices[office], **fields)
        case_transition(
            case=case, event_type=EventType.RESCUED, on="2020-06-01", actor=None, source="test"
        )
        return case

    return make


@pytest.mark.django_db
def test_an_officer_approves_pays_and_reverses(client, web_user, web_login, programme, rescued):
    mine = rescued("A-1", captivity_notes="never on the aid pages")
    rescued("B-1", office="sinjar")
    officer = web_user("aid-duhok", Role.AID_OFFICER, "DHK")
    web_login(officer)
    page = client.get(f"/aid/programmes/{programme.pk}/?period=2022-01").content.decode()
    assert "A-1" in page
    assert "B-1" not in page  # another office's case does not exist for this officer
    assert "never on the aid pages" not in page
    assert "Testa" in page  # identity is shown
    view = AuditEntry.objects.filter(action="view", actor_username="aid-duhok").latest("sequence")
    assert str(mine.pk) in view.changes["ids"]
    assert "captivity_notes" not in view.changes["fields"]

    approved = client.post(
        f"/aid/programmes/{programme.pk}/disburse/",
        {"case": mine.pk, "period": "2022-01-01", "approved_on": "2021-12-20"},
    )
    assert approved.status_code == 302
    payment = Disbursement.objects.get(case=mine)
    assert payment.amount == programme.standard_amount
    page = client.get(f"/aid/programmes/{programme.pk}/?period=2022-01").content.decode()
    assert f"/aid/disbursements/{payment.pk}/paid/" in page
    # No longer among the unpaid for that month, but still for the next one.
    unpaid_section = page.split("Payments for")[0]
    assert "A-1" not in unpaid_section.split("Eligible without a payment")[1]
    assert "A-1" in client.get(f"/aid/programmes/{programme.pk}/?period=2022-02").content.decode()

    twice = client.post(
        f"/aid/programmes/{programme.pk}/disburse/",
        {"case": mine.pk, "period": "2022-01-01", "approved_on": "2021-12-20"},
    )
    assert twice.status_code == 400
    assert "already has a payment" in twice.content.decode()
    assert Disbursement.objects.filter(case=mine).count() == 1

    early = client.post(f"/aid/disbursements/{payment.pk}/paid/", {"on": "2021-01-01"})
    assert early.status_code == 400
    assert "cannot precede its approval" in early.content.decode()
    assert (
        client.post(
            f"/aid/disbursements/{payment.pk}/paid/", {"on": "2022-01-05", "reference": "TX-9"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/aid/disbursements/{payment.pk}/reverse/", {"on": "2022-01-10"}).status_code
        == 302
    )
    payment.refresh_from_db()
    assert (payment.status, payment.reference) == ("reversed", "TX-9")


@pytest.mark.django_db
def test_caseworkers_look_but_do_not_pay_and_others_are_refused(
    client, web_user, web_login, programme, rescued
):
    case = rescued("A-2")
    web_login(web_user("cw", Role.CASEWORKER, "DHK"))
    page = client.get(f"/aid/programmes/{programme.pk}/?period=2022-01").content.decode()
    assert "A-2" in page and "/disburse/" not in page
    refused = client.post(
        f"/aid/programmes/{programme.pk}/disburse/",
        {"case": case.pk, "period": "2022-01-01", "approved_on": "2021-12-20"},
    )
    assert refused.status_code == 403
    assert not Disbursement.objects.exists()
    for role in (Role.FORENSIC, Role.ANALYST, Role.PARTNER):
        client.logout()
        web_login(web_user(f"u-{role}", role, "DHK"))
        assert client.get("/aid/").status_code == 403
    # An officer of another office cannot pay a case it does not see.
    client.logout()
    web_login(web_user("aid-sinjar", Role.AID_OFFICER, "SNJ"))
    assert (
        client.post(
            f"/aid/programmes/{programme.pk}/disburse/",
            {"case": case.pk, "period": "2022-01-01", "approved_on": "2021-12-20"},
        ).status_code
        == 404
    )
