"""Relatives, consent, reference samples, and the handover of identified remains."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from families.models import Handover, Kinship, ReferenceSample, Relative
from families.services import (
    handover_record,
    reference_sample_record,
    relative_add,
    relative_record_consent,
)
from graves.models import GraveSite, Remains
from graves.services import (
    exhumation_start,
    grave_site_confirm,
    grave_site_report,
    identification_confirm,
    identification_propose,
    remains_record,
)

_codes = itertools.count(1)
CONSENTED = dt.date(2016, 4, 1)


def refusal(excinfo, field):
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    return " ".join(excinfo.value.message_dict[field])


def add_relative(case, relationship="mother", **fields):
    relative = Relative(full_name_latn="Relative", sex="female", **fields)
    return relative_add(case=case, relative=relative, relationship=relationship).relative


def consent(relative, value=Relative.Consent.GIVEN, on=CONSENTED, dna_matching=True):
    return relative_record_consent(
        relative=relative,
        consent=value,
        on=on,
        dna_matching=dna_matching,
        share_with_partners=False,
    )


@pytest.fixture
def users(db):
    model = get_user_model()
    return [
        model.objects.create_user(username=f"user{i}", password="not-a-real-password-1")
        for i in range(2)
    ]


@pytest.fixture
def identify(gazetteer, users):
    """Identify a case's remains: proposed by one user, confirmed by another on 2019-02-15."""
    site = GraveSite(code=f"G-{next(_codes)}", name="Site", place=gazetteer["kocho"])
    grave_site_report(site=site, reported_on=dt.date(2015, 3, 1), source="witness")
    grave_site_confirm(site=site, on=dt.date(2015, 6, 1), source="survey")
    exhumation = exhumation_start(site=site, started_on=dt.date(2017, 3, 1), team="Team A")

    def make(case, *, confirm=True):
        remains = remains_record(
            remains=Remains(code=f"R-{next(_codes)}", site=site, recovered_on=dt.date(2017, 3, 5)),
            exhumation=exhumation,
        )
        identification = identification_propose(
            remains=remains,
            case=case,
            method="dna_kinship",
            identified_on=dt.date(2019, 2, 1),
            match_statistic=Decimal("0.9999"),
            actor=users[0],
        )
        if confirm:
            identification = identification_confirm(
                identification=identification, actor=users[1], on=dt.date(2019, 2, 15), source="lab"
            )
            case.refresh_from_db()
        return identification

    return make


def hand_over(case, identification, on=dt.date(2019, 5, 1), **kwargs):
    return handover_record(
        case=case,
        identification=identification,
        handed_over_on=on,
        actor=None,
        source="handover ceremony",
        **kwargs,
    )


# --- relatives and consent --------------------------------------------------------------------


def test_relative_add_records_the_relative_and_the_kinship(make_case):
    case = make_case()
    relative = add_relative(case, "father", phone="0750 000 0000")
    kinship = Kinship.objects.get(relative=relative)
    assert (kinship.case, kinship.relationship) == (case, "father")
    assert Relative.objects.get(pk=relative.pk).consent == Relative.Consent.NOT_ASKED


def test_one_relative_is_kin_to_several_cases(make_case):
    first, second = make_case(), make_case()
    relative = add_relative(first)
    relative_add(case=second, relative=relative, relationship="mother")
    assert Relative.objects.count() == 1
    assert set(Kinship.objects.filter(relative=relative).values_list("case", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_the_same_kinship_is_recorded_once(make_case):
    case = make_case()
    relative = add_relative(case)
    with pytest.raises(ValidationError):
        relative_add(case=case, relative=relative, relationship="sibling")
    assert Kinship.objects.count() == 1


def test_relative_add_refuses_an_unknown_relationship(make_case):
    with pytest.raises(ValidationError) as excinfo:
        add_relative(make_case(), "neighbour")
    refusal(excinfo, "relationship")
    assert not Kinship.objects.exists()
    assert not Relative.objects.exists()


def test_relative_add_stores_a_partial_birth_date(make_case):
    relative = add_relative(make_case(), birth_date="1965")
    assert Relative.objects.get(pk=relative.pk).birth_date.precision == "year"


def test_consent_given_is_dated_and_allows_dna_matching(make_case):
    relative = consent(add_relative(make_case()))
    stored = Relative.objects.get(pk=relative.pk)
    assert (stored.consent, stored.consent_recorded_on, stored.consent_dna_matching) == (
        Relative.Consent.GIVEN,
        CONSENTED,
        True,
    )


def test_refused_consent_never_allows_matching(make_case):
    relative = consent(add_relative(make_case()), Relative.Consent.REFUSED, dna_matching=True)
    assert Relative.objects.get(pk=relative.pk).consent_dna_matching is False


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"consent": "given", "consent_recorded_on": None}, "relative_consent_dated"),
        (
            {"consent": "refused", "consent_recorded_on": CONSENTED, "consent_dna_matching": True},
            "relative_consent_flags_need_consent",
        ),
        (
            {"consent": "not_asked", "consent_share_with_partners": True},
            "relative_consent_flags_need_consent",
        ),
    ],
)
def test_relative_consent_constraints_are_enforced_by_the_database(db, fields, constraint):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Relative.objects.create(sex="female", **fields)
    assert constraint in str(excinfo.value)


def test_a_withdrawal_of_consent_is_enforced_by_the_database_too(make_case):
    relative = consent(add_relative(make_case()))
    with pytest.raises(IntegrityError), transaction.atomic():
        Relative.objects.filter(pk=relative.pk).update(consent="withdrawn")
    assert Relative.objects.get(pk=relative.pk).consent == Relative.Consent.GIVEN


# --- reference samples ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, Relative.Consent.REFUSED, Relative.Consent.WITHDRAWN])
def test_reference_sample_without_dna_consent_is_refused(make_case, value):
    relative = add_relative(make_case())
    if value:
        relative = consent(relative, value)
    with pytest.raises(ValidationError) as excinfo:
        reference_sample_record(relative=relative, collected_on=dt.date(2016, 5, 1))
    refusal(excinfo, "relative")
    assert not ReferenceSample.objects.exists()


def test_consent_to_share_only_does_not_allow_a_sample(make_case):
    relative = relative_record_consent(
        relative=add_relative(make_case()),
        consent="given",
        on=CONSENTED,
        dna_matching=False,
        share_with_partners=True,
    )
    with pytest.raises(ValidationError):
        reference_sample_record(relative=relative, collected_on=dt.date(2016, 5, 1))


def test_reference_sample_with_consent_is_recorded(make_case):
    relative = consent(add_relative(make_case()))
    sample = reference_sample_record(
        relative=relative, collected_on=CONSENTED, lab_reference="LAB-1"
    )
    assert ReferenceSample.objects.get(pk=sample.pk).status == ReferenceSample.Status.COLLECTED


def test_reference_sample_before_consent_is_refused(make_case):
    relative = consent(add_relative(make_case()))
    with pytest.raises(ValidationError) as excinfo:
        reference_sample_record(relative=relative, collected_on=CONSENTED - dt.timedelta(days=1))
    refusal(excinfo, "collected_on")


def test_lab_references_are_unique(make_case):
    relative = consent(add_relative(make_case()))
    reference_sample_record(relative=relative, collected_on=CONSENTED, lab_reference="LAB-1")
    with pytest.raises(ValidationError):
        reference_sample_record(relative=relative, collected_on=CONSENTED, lab_reference="LAB-1")
    reference_sample_record(relative=relative, collected_on=CONSENTED)
    reference_sample_record(relative=relative, collected_on=CONSENTED)
    assert ReferenceSample.objects.count() == 3


@pytest.mark.parametrize("value", [Relative.Consent.WITHDRAWN, Relative.Consent.REFUSED])
def test_withdrawing_consent_destroys_the_samples(make_case, value):
    relative = consent(add_relative(make_case()))
    samples = [reference_sample_record(relative=relative, collected_on=CONSENTED) for _ in range(2)]
    consent(relative, value, on=dt.date(2017, 1, 1))
    assert set(
        ReferenceSample.objects.filter(pk__in=[s.pk for s in samples]).values_list(
            "status", flat=True
        )
    ) == {ReferenceSample.Status.DESTROYED}
    assert Relative.objects.get(pk=relative.pk).consent_dna_matching is False


def test_withdrawing_consent_leaves_other_relatives_samples(make_case):
    case = make_case()
    leaving, staying = consent(add_relative(case)), consent(add_relative(case, "father"))
    reference_sample_record(relative=leaving, collected_on=CONSENTED)
    kept = reference_sample_record(relative=staying, collected_on=CONSENTED)
    consent(leaving, Relative.Consent.WITHDRAWN, on=dt.date(2017, 1, 1))
    assert ReferenceSample.objects.get(pk=kept.pk).status == ReferenceSample.Status.COLLECTED


# --- handover ---------------------------------------------------------------------------------


def test_handover_returns_the_remains_and_moves_the_case(make_case, identify):
    case = make_case()
    identification = identify(case)
    relative = add_relative(case)
    handover = hand_over(case, identification, receiving_relative=relative, ceremony="Kocho 2019")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.remains_returned_on) == (
        Status.REMAINS_RETURNED,
        dt.date(2019, 5, 1),
    )
    assert Handover.objects.get(pk=handover.pk).receiving_relative == relative
    last = CaseEvent.objects.filter(case=case).order_by("-sequence").first()
    assert (last.type, last.note) == (EventType.REMAINS_RETURNED, "Kocho 2019")


def test_a_second_handover_is_refused(make_case, identify):
    case = make_case()
    identification = identify(case)
    hand_over(case, identification)
    with pytest.raises(ValidationError) as excinfo:
        hand_over(case, identification, on=dt.date(2019, 6, 1))
    refusal(excinfo, "case")
    assert Handover.objects.filter(case=case).count() == 1


def test_a_second_handover_through_a_stale_instance_is_refused(make_case, identify):
    case = make_case()
    identification = identify(case)
    stale = Case.objects.get(pk=case.pk)
    hand_over(case, identification)
    with pytest.raises(ValidationError):
        hand_over(stale, identification, on=dt.date(2019, 6, 1))
    assert Handover.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, type=EventType.REMAINS_RETURNED).count() == 1


def test_handover_needs_an_identified_case(make_case, identify):
    case = make_case()
    identification = identify(case, confirm=False)
    with pytest.raises(ValidationError) as excinfo:
        hand_over(case, identification)
    refusal(excinfo, "case")
    assert not Handover.objects.exists()
    assert Case.objects.get(pk=case.pk).status == Status.MISSING


def test_handover_needs_the_identification_of_that_case(make_case, identify):
    case, other = make_case(), make_case()
    identify(case)
    with pytest.raises(ValidationError) as excinfo:
        hand_over(case, identify(other))
    refusal(excinfo, "identification")
    assert not Handover.objects.exists()


def test_handover_needs_a_confirmed_identification(make_case, identify):
    case = make_case()
    identify(case)
    proposal = identify(case, confirm=False)
    with pytest.raises(ValidationError) as excinfo:
        hand_over(case, proposal)
    refusal(excinfo, "identification")


def test_receiving_person_must_be_kin(make_case, identify):
    case, other = make_case(), make_case()
    identification = identify(case)
    stranger = add_relative(other)
    with pytest.raises(ValidationError) as excinfo:
        hand_over(case, identification, receiving_relative=stranger)
    refusal(excinfo, "receiving_relative")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.remains_returned_on) == (Status.REMAINS_IDENTIFIED, None)


def test_return_before_the_confirmation_is_refused(make_case, identify):
    case = make_case()
    identification = identify(case)
    with pytest.raises(ValidationError) as excinfo:
        hand_over(case, identification, on=dt.date(2019, 2, 14))
    refusal(excinfo, "handed_over_on")
    assert Case.objects.get(pk=case.pk).status == Status.REMAINS_IDENTIFIED
    assert not Handover.objects.exists()
