"""The access policy: which records exist for each role, and which fields of them it sees."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import Http404

from access import policy
from access.management.commands.permissions_matrix import matrix_markdown
from access.models import OfficeMembership, PartnerAgreement, Role
from cases.lifecycle import EventType, Status
from cases.services import case_transition
from families.models import Relative
from families.services import relative_add

SENSITIVE_CASE_FIELDS = policy.SENSITIVE_FIELDS["cases.case"]


@pytest.fixture
def persona(db, offices):
    def make(role: str, *office_keys: str, name: str | None = None):
        user = get_user_model().objects.create_user(
            username=name or f"{role}-{'-'.join(office_keys)}"
        )
        user.groups.add(Group.objects.get(name=role))
        for key in office_keys:
            OfficeMembership.objects.create(user=user, office=offices[key])
        return user

    return make


@pytest.fixture
def duhok_case(make_case, offices):
    return make_case(
        office=offices["duhok"],
        birth_date="1990-03-04",
        age_at_abduction=None,
        captivity_notes="testimony",
        health_notes="injury",
    )


@pytest.fixture
def sinjar_case(make_case, offices):
    return make_case(office=offices["sinjar"])


def test_caseworker_sees_own_office_only_and_other_office_is_not_found(
    persona, duhok_case, sinjar_case
):
    caseworker = persona(Role.CASEWORKER, "duhok")
    assert list(policy.cases_visible_to(caseworker)) == [duhok_case]
    assert policy.case_get_for(caseworker, duhok_case.pk) == duhok_case
    with pytest.raises(Http404):
        policy.case_get_for(caseworker, sinjar_case.pk)
    shown = policy.case_as_dict(caseworker, duhok_case)
    assert {"captivity_notes", "health_notes", "birth_date"} <= set(shown)
    assert shown["birth_date"].year == 1990


def test_a_caseworker_of_two_offices_sees_both(persona, duhok_case, sinjar_case):
    caseworker = persona(Role.CASEWORKER, "duhok", "sinjar")
    assert set(policy.cases_visible_to(caseworker)) == {duhok_case, sinjar_case}


def test_forensic_sees_identification_fields_across_offices_without_sensitive_data(
    persona, duhok_case, sinjar_case
):
    forensic = persona(Role.FORENSIC)
    assert set(policy.cases_visible_to(forensic)) == {duhok_case, sinjar_case}
    shown = policy.case_as_dict(forensic, duhok_case)
    assert not SENSITIVE_CASE_FIELDS & set(shown)
    assert "office" not in shown
    assert shown["birth_year"] == "1990"
    assert {"given_name_ar", "sex", "age_at_abduction", "origin"} <= set(shown)


def test_forensic_does_not_see_rescued_survivors(persona, duhok_case):
    case_transition(
        case=duhok_case, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="s"
    )
    assert not policy.cases_visible_to(persona(Role.FORENSIC)).exists()


def test_aid_officer_sees_identity_and_status_of_rescued_cases_of_its_office(
    persona, duhok_case, make_case, offices
):
    aid_officer = persona(Role.AID_OFFICER, "duhok")
    assert not policy.cases_visible_to(aid_officer).exists()  # still missing: not eligible
    case_transition(
        case=duhok_case, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="s"
    )
    other = make_case(office=offices["sinjar"])
    case_transition(
        case=other, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="s"
    )
    assert list(policy.cases_visible_to(aid_officer)) == [duhok_case]
    shown = policy.case_as_dict(aid_officer, duhok_case)
    assert set(shown) <= policy.CASE_FIELDS[Role.AID_OFFICER]
    assert not {
        "captivity_notes",
        "health_notes",
        "birth_date",
        "age_at_abduction",
        "origin",
    } & set(shown)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AUDITOR, Role.ADMIN])
def test_roles_without_case_access_see_no_case_and_get_404(persona, duhok_case, role):
    user = persona(role, "duhok")
    assert not policy.cases_visible_to(user).exists()
    with pytest.raises(Http404):
        policy.case_get_for(user, duhok_case.pk)
    assert policy.case_fields_for(user, duhok_case) == frozenset()


def test_no_role_or_inactive_account_sees_nothing(persona, duhok_case):
    nobody = get_user_model().objects.create_user(username="nobody")
    OfficeMembership.objects.create(user=nobody, office=duhok_case.office)
    assert not policy.cases_visible_to(nobody).exists()
    caseworker = persona(Role.CASEWORKER, "duhok")
    caseworker.is_active = False
    caseworker.save()
    assert not policy.cases_visible_to(caseworker).exists()
    assert not policy.allowed(caseworker, "view", "case")


def test_roles_add_up(persona, duhok_case, sinjar_case):
    user = persona(Role.CASEWORKER, "duhok")
    user.groups.add(Group.objects.get(name=Role.FORENSIC))
    user._policy_roles = None
    assert set(policy.cases_visible_to(user)) == {duhok_case, sinjar_case}
    # Full fields only where the caseworker role applies (own office).
    assert "captivity_notes" in policy.case_fields_for(user, duhok_case)
    assert "captivity_notes" not in policy.case_fields_for(user, sinjar_case)


@pytest.fixture
def partner_setup(persona, offices, make_case):
    partner = persona(Role.PARTNER, name="ngo-registry")
    agreement = PartnerAgreement.objects.create(
        name="NGO registry",
        partner=partner,
        valid_from="2020-01-01",
        fields=["given_name_latn", "sex", "age_at_abduction", "captivity_notes", "birth_date"],
    )
    agreement.offices.add(offices["duhok"])

    def consenting_case(office="duhok", consent=True):
        case = make_case(office=offices[office])
        relative = Relative(
            full_name_latn="Relative",
            sex="female",
            consent="given" if consent else "refused",
            consent_recorded_on="2016-01-01",
            consent_share_with_partners=consent,
        )
        relative_add(case=case, relative=relative, relationship="mother")
        return case

    return partner, agreement, consenting_case


def test_partner_sees_agreement_offices_with_consent_only(partner_setup):
    partner, _agreement, consenting_case = partner_setup
    shared = consenting_case()
    consenting_case(consent=False)
    consenting_case(office="sinjar")
    assert list(policy.cases_visible_to(partner)) == [shared]


def test_partner_receives_only_agreed_and_shareable_fields(partner_setup):
    partner, _agreement, consenting_case = partner_setup
    case = consenting_case()
    shown = policy.case_as_dict(partner, case)
    assert set(shown) == {"id", "case_number", "given_name_latn", "sex", "age_at_abduction"}


def test_partner_receives_deaths_only_when_the_agreement_allows(partner_setup):
    partner, agreement, consenting_case = partner_setup
    case = consenting_case()
    case_transition(
        case=case, event_type=EventType.DEATH_REPORTED, on="2016-01-01", actor=None, source="s"
    )
    assert case.status == Status.REPORTED_DEAD
    assert not policy.cases_visible_to(partner).exists()
    agreement.may_receive_deaths = True
    agreement.save()
    partner._policy_agreements = None
    assert list(policy.cases_visible_to(partner)) == [case]


def test_expired_agreement_shares_nothing(partner_setup):
    partner, agreement, consenting_case = partner_setup
    consenting_case()
    agreement.valid_until = "2021-01-01"
    agreement.save()
    partner._policy_agreements = None
    assert not policy.cases_visible_to(partner).exists()


def test_relatives_contact_details_only_for_casework(persona, duhok_case):
    relative = Relative(
        full_name_latn="R", sex="female", phone="+964 750 555 0000", address="somewhere"
    )
    relative_add(case=duhok_case, relative=relative, relationship="mother")
    caseworker = persona(Role.CASEWORKER, "duhok")
    assert {"phone", "address"} <= policy.relative_fields_for(caseworker)
    assert not {"phone", "address"} & policy.relative_fields_for(persona(Role.FORENSIC, name="f1"))
    assert policy.relative_fields_for(persona(Role.ANALYST)) == frozenset()
    assert list(policy.relatives_visible_to(caseworker)) == [relative]
    assert not policy.relatives_visible_to(persona(Role.CASEWORKER, "sinjar")).exists()
    # Forensic sees only relatives who gave a reference sample.
    assert not policy.relatives_visible_to(persona(Role.FORENSIC, name="f2")).exists()


def test_denied_lookups_and_views_are_audited(persona, duhok_case, sinjar_case):
    from audit.models import AuditEntry

    caseworker = persona(Role.CASEWORKER, "duhok")
    with pytest.raises(Http404):
        policy.case_get_for(caseworker, sinjar_case.pk)
    denied = AuditEntry.objects.get(action="denied")
    assert (denied.subject_id, denied.actor_id) == (str(sinjar_case.pk), caseworker.pk)
    policy.case_as_dict(caseworker, duhok_case)
    view = AuditEntry.objects.filter(action="view").latest("sequence")
    assert "captivity_notes" in view.changes["fields"]


def test_the_documented_matrix_is_the_policy():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert matrix_markdown() in doc
