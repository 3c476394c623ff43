"""Aid disbursements: eligibility, periods, once-per-period, payment and reversal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from aid.models import AidProgramme, Disbursement
from aid.services import disbursement_mark_paid, disbursement_record, disbursement_reverse
from cases.lifecycle import EventType
from cases.services import case_transition

RESCUED_ON = dt.date(2017, 3, 15)
MAY = dt.date(2017, 5, 1)
JUNE = dt.date(2017, 6, 1)


def refusal(excinfo, field):
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    return " ".join(excinfo.value.message_dict[field])


def programme(code, frequency, **fields):
    return AidProgramme.objects.create(
        code=code,
        name=code.title(),
        administered_by="Directorate",
        frequency=frequency,
        standard_amount=Decimal("800000.00"),
        starts_on=dt.date(2016, 1, 10),
        **fields,
    )


@pytest.fixture
def monthly(db):
    return programme("salary", AidProgramme.Frequency.MONTHLY)


@pytest.fixture
def one_time(db):
    return programme("grant", AidProgramme.Frequency.ONE_TIME)


@pytest.fixture
def rescued(make_case):
    case = make_case(sex="male", age_at_abduction=10)
    case_transition(
        case=case, event_type=EventType.RESCUED, on=RESCUED_ON, actor=None, source="test"
    )
    return case


def record(programme, case, period=MAY, approved_on=dt.date(2017, 5, 2), **kwargs):
    return disbursement_record(
        programme=programme, case=case, period=period, approved_on=approved_on, actor=None, **kwargs
    )


# --- eligibility and periods ------------------------------------------------------------------


def test_disbursement_for_a_rescued_case(monthly, rescued):
    disbursement = record(monthly, rescued)
    stored = Disbursement.objects.get(pk=disbursement.pk)
    assert (stored.status, stored.amount, stored.currency, stored.period) == (
        Disbursement.Status.APPROVED,
        Decimal("800000.00"),
        "IQD",
        MAY,
    )


def test_an_explicit_amount_overrides_the_standard_amount(monthly, rescued):
    assert record(monthly, rescued, amount=Decimal("400000")).amount == Decimal("400000")


def test_a_missing_case_is_refused(monthly, make_case):
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, make_case())
    assert "not eligible" in refusal(excinfo, "case")
    assert not Disbursement.objects.exists()


def test_eligibility_follows_the_programme(make_case):
    missing = make_case()
    families = programme("families", AidProgramme.Frequency.MONTHLY, eligible_status="missing")
    assert record(families, missing).case == missing


def test_approval_before_the_rescue_is_refused(monthly, rescued):
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, rescued, period=dt.date(2017, 3, 1), approved_on=dt.date(2017, 3, 14))
    refusal(excinfo, "approved_on")


def test_approval_on_the_day_of_the_rescue_is_accepted(monthly, rescued):
    assert record(monthly, rescued, period=dt.date(2017, 3, 1), approved_on=RESCUED_ON)


@pytest.mark.parametrize("day", [2, 15, 31])
def test_period_must_be_the_first_of_a_month(monthly, rescued, day):
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, rescued, period=dt.date(2017, 5, day))
    refusal(excinfo, "period")


def test_period_before_the_programme_is_refused(monthly, rescued):
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, rescued, period=dt.date(2015, 12, 1))
    refusal(excinfo, "period")


def test_the_first_month_of_the_programme_is_accepted(monthly, make_case):
    case = make_case()
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2015-06", actor=None, source="test"
    )
    assert record(monthly, case, period=dt.date(2016, 1, 1), approved_on=dt.date(2016, 1, 10))


def test_period_after_the_programme_ended_is_refused(rescued):
    ended = programme("ended", AidProgramme.Frequency.MONTHLY, ends_on=dt.date(2017, 5, 31))
    assert record(ended, rescued, period=MAY)
    with pytest.raises(ValidationError) as excinfo:
        record(ended, rescued, period=JUNE)
    refusal(excinfo, "period")


# --- once only --------------------------------------------------------------------------------


def test_a_one_time_programme_pays_once(one_time, rescued):
    record(one_time, rescued)
    with pytest.raises(ValidationError) as excinfo:
        record(one_time, rescued, period=JUNE)
    refusal(excinfo, "programme")
    assert Disbursement.objects.count() == 1


def test_a_one_time_programme_pays_again_after_a_reversal(one_time, rescued):
    first = record(one_time, rescued)
    disbursement_mark_paid(disbursement=first, on=dt.date(2017, 5, 3))
    disbursement_reverse(disbursement=first, on=dt.date(2017, 5, 20))
    assert record(one_time, rescued, period=JUNE).status == Disbursement.Status.APPROVED


def test_a_monthly_programme_pays_each_month(monthly, rescued):
    record(monthly, rescued, period=MAY)
    record(monthly, rescued, period=JUNE, approved_on=dt.date(2017, 6, 2))
    assert Disbursement.objects.filter(programme=monthly, case=rescued).count() == 2


def test_a_monthly_programme_pays_a_month_once(monthly, rescued):
    record(monthly, rescued)
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, rescued, approved_on=dt.date(2017, 5, 9))
    assert "already has a payment" in refusal(excinfo, "period")
    assert Disbursement.objects.count() == 1


def test_two_programmes_may_pay_the_same_month(monthly, one_time, rescued):
    record(monthly, rescued)
    record(one_time, rescued)
    assert Disbursement.objects.filter(case=rescued, period=MAY).count() == 2


def test_database_pays_a_programme_case_and_month_once(monthly, rescued):
    record(monthly, rescued)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(
            programme=monthly,
            case=rescued,
            period=MAY,
            amount=Decimal("1"),
            approved_on=dt.date(2017, 5, 9),
        )
    assert Disbursement.objects.count() == 1


# --- paying and reversing ---------------------------------------------------------------------


def test_mark_paid_records_the_date_and_reference(monthly, rescued):
    paid = disbursement_mark_paid(
        disbursement=record(monthly, rescued), on=dt.date(2017, 5, 3), reference="TX-1"
    )
    stored = Disbursement.objects.get(pk=paid.pk)
    assert (stored.status, stored.paid_on, stored.reference) == (
        Disbursement.Status.PAID,
        dt.date(2017, 5, 3),
        "TX-1",
    )


def test_payment_before_approval_is_refused(monthly, rescued):
    disbursement = record(monthly, rescued)
    with pytest.raises(ValidationError) as excinfo:
        disbursement_mark_paid(disbursement=disbursement, on=dt.date(2017, 5, 1))
    refusal(excinfo, "paid_on")
    assert Disbursement.objects.get(pk=disbursement.pk).status == Disbursement.Status.APPROVED


def test_a_payment_is_marked_paid_once(monthly, rescued):
    disbursement = disbursement_mark_paid(
        disbursement=record(monthly, rescued), on=dt.date(2017, 5, 3)
    )
    with pytest.raises(ValidationError) as excinfo:
        disbursement_mark_paid(disbursement=disbursement, on=dt.date(2017, 5, 4))
    refusal(excinfo, "status")
    assert Disbursement.objects.get(pk=disbursement.pk).paid_on == dt.date(2017, 5, 3)


def test_a_failed_payment_can_be_paid(monthly, rescued):
    disbursement = record(monthly, rescued)
    Disbursement.objects.filter(pk=disbursement.pk).update(status=Disbursement.Status.FAILED)
    paid = disbursement_mark_paid(disbursement=disbursement, on=dt.date(2017, 5, 3))
    assert paid.status == Disbursement.Status.PAID


def test_reverse_a_paid_disbursement(monthly, rescued):
    disbursement = disbursement_mark_paid(
        disbursement=record(monthly, rescued), on=dt.date(2017, 5, 3)
    )
    disbursement_reverse(disbursement=disbursement, on=dt.date(2017, 5, 3))
    stored = Disbursement.objects.get(pk=disbursement.pk)
    assert (stored.status, stored.reversed_on, stored.paid_on) == (
        Disbursement.Status.REVERSED,
        dt.date(2017, 5, 3),
        dt.date(2017, 5, 3),
    )


def test_an_unpaid_disbursement_cannot_be_reversed(monthly, rescued):
    disbursement = record(monthly, rescued)
    with pytest.raises(ValidationError) as excinfo:
        disbursement_reverse(disbursement=disbursement, on=dt.date(2017, 5, 3))
    refusal(excinfo, "status")


def test_reversal_before_the_payment_is_refused(monthly, rescued):
    disbursement = disbursement_mark_paid(
        disbursement=record(monthly, rescued), on=dt.date(2017, 5, 3)
    )
    with pytest.raises(ValidationError) as excinfo:
        disbursement_reverse(disbursement=disbursement, on=dt.date(2017, 5, 2))
    refusal(excinfo, "reversed_on")
    assert Disbursement.objects.get(pk=disbursement.pk).status == Disbursement.Status.PAID


# --- amounts and other database constraints ---------------------------------------------------


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_service_refuses_an_amount_that_is_not_positive(monthly, rescued, amount):
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, rescued, amount=amount)
    refusal(excinfo, "amount")
    assert not Disbursement.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_database_refuses_an_amount_that_is_not_positive(monthly, rescued, amount):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Disbursement.objects.create(
            programme=monthly,
            case=rescued,
            period=MAY,
            amount=amount,
            approved_on=dt.date(2017, 5, 2),
        )
    assert "disbursement_amount_positive" in str(excinfo.value)


def test_database_refuses_a_programme_without_a_positive_amount(monthly):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        AidProgramme.objects.filter(pk=monthly.pk).update(standard_amount=Decimal("0"))
    assert "programme_amount_positive" in str(excinfo.value)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"period": dt.date(2017, 5, 2)}, "disbursement_period_is_month"),
        ({"status": "paid"}, "disbursement_paid_has_date"),
        ({"status": "reversed", "paid_on": dt.date(2017, 5, 3)}, "disbursement_reversed_has_date"),
    ],
)
def test_disbursement_constraints_are_enforced_by_the_database(
    monthly, rescued, changes, constraint
):
    disbursement = record(monthly, rescued)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Disbursement.objects.filter(pk=disbursement.pk).update(**changes)
    assert constraint in str(excinfo.value)


def test_approval_dated_in_the_future_is_refused(monthly, rescued):
    with pytest.raises(ValidationError) as excinfo:
        record(monthly, rescued, approved_on=dt.date.today() + dt.timedelta(days=1))
    refusal(excinfo, "approved_on")


def test_payment_and_reversal_dated_in_the_future_are_refused(monthly, rescued):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    disbursement = record(monthly, rescued)
    with pytest.raises(ValidationError) as excinfo:
        disbursement_mark_paid(disbursement=disbursement, on=tomorrow)
    refusal(excinfo, "paid_on")
    disbursement_mark_paid(disbursement=disbursement, on=dt.date(2017, 5, 20))
    with pytest.raises(ValidationError) as excinfo:
        disbursement_reverse(disbursement=disbursement, on=tomorrow)
    refusal(excinfo, "reversed_on")
    disbursement.refresh_from_db()
    assert disbursement.status == Disbursement.Status.PAID
