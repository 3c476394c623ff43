"""Batch sync of the forensic and aid records: a lab pushes its grave sites, exhumations, remains,
identifications and reference samples; the survivors' affairs directorate its payments. Each goes
through the service that records it; replays change nothing; fields fixed at creation are
refused by name; roles without the right get a rejection, not a write."""

import datetime as dt
from decimal import Decimal

import pytest

from access.models import Role
from aid.models import AidProgramme, Disbursement
from audit.models import AuditEntry
from cases.lifecycle import EventType, Status
from cases.services import case_transition
from families.models import ReferenceSample, Relative
from families.services import relative_add
from graves.models import Exhumation, GraveSite, Identification, Remains


def push(client, auth, resource, records, **query):
    url = f"/api/v1/sync/{resource}/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = client.post(
        url, {"records": records}, content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code in (200, 400), response.content
    return response


def result_of(response, external_id):
    return next(r for r in response.json()["results"] if r["external_id"] == external_id)


@pytest.fixture
def lab(api_user, gazetteer):
    SITE["place"] = str(gazetteer["kocho"].pk)
    return api_user("forensic-lab", Role.FORENSIC, ())


SITE = {
    "external_id": "LAB-SITE-1",
    "place": None,  # the test village, filled in by the `site` fixture
    "code": "G-T1",
    "name": "Site near the test village",
    "reported_on": "2015-11-20",
    "source": "lab survey",
    "estimated_victims": 40,
}


def _lab_chain(client, auth, case):
    """Site (confirmed), exhumation, remains and a proposed identification, pushed in order."""
    site = result_of(
        push(client, auth, "grave-sites", [{**SITE, "confirmed_on": "2015-12-01"}]),
        "LAB-SITE-1",
    )
    exhumation = result_of(
        push(
            client,
            auth,
            "exhumations",
            [
                {
                    "external_id": "LAB-EX-1",
                    "site": site["id"],
                    "started_on": "2016-02-01",
                    "team": "team A",
                }
            ],
        ),
        "LAB-EX-1",
    )
    remains = result_of(
        push(
            client,
            auth,
            "remains",
            [
                {
                    "external_id": "LAB-R-1",
                    "code": "R-T1",
                    "exhumation": exhumation["id"],
                    "recovered_on": "2016-02-03",
                    "sex_estimate": "female",
                    "age_min": 20,
                    "age_max": 30,
                }
            ],
        ),
        "LAB-R-1",
    )
    identification_record = {
        "external_id": "LAB-ID-1",
        "remains": remains["id"],
        "case": str(case.pk),
        "method": "dna_kinship",
        "identified_on": "2019-05-01",
        "match_statistic": "99.99",
    }
    identification = result_of(
        push(client, auth, "identifications", [identification_record]), "LAB-ID-1"
    )
    return site, exhumation, remains, identification, identification_record


@pytest.mark.django_db
def test_a_lab_pushes_its_chain_through_the_services_and_a_replay_changes_nothing(
    client, lab, make_case
):
    user, auth = lab
    case = make_case()
    site, exhumation, remains, identification, _record = _lab_chain(client, auth, case)
    assert [r["result"] for r in (site, exhumation, remains, identification)] == ["created"] * 4

    stored_site = GraveSite.objects.get(pk=site["id"])
    # Reported, then confirmed, then opened by the exhumation: each step by its service.
    assert stored_site.status == GraveSite.Status.EXHUMED
    assert stored_site.confirmed_on == dt.date(2015, 12, 1)
    assert stored_site.opened_on == dt.date(2016, 2, 1)
    assert stored_site.reports.count() == 2
    assert Remains.objects.get(pk=remains["id"]).site_id == stored_site.pk
    proposal = Identification.objects.get(pk=identification["id"])
    assert proposal.status == Identification.Status.PROPOSED
    assert proposal.proposed_by == user
    case.refresh_from_db()
    assert case.status == Status.MISSING  # a proposal moves nothing until confirmed
    for model, pk in [
        ("graves.gravesite", site["id"]),
        ("graves.exhumation", exhumation["id"]),
        ("graves.remains", remains["id"]),
        ("graves.identification", identification["id"]),
    ]:
        entry = AuditEntry.objects.get(action="create", subject_type=model, subject_id=pk)
        assert entry.actor_username == user.username

    counts = [m.objects.count() for m in (GraveSite, Exhumation, Remains, Identification)]
    entries = AuditEntry.objects.count()
    replay = push(client, auth, "grave-sites", [{**SITE, "confirmed_on": "2015-12-01"}])
    assert result_of(replay, "LAB-SITE-1")["result"] == "unchanged"
    assert [m.objects.count() for m in (GraveSite, Exhumation, Remains, Identification)] == counts
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_plain_fields_update_and_fixed_fields_are_refused_by_name(client, lab, make_case):
    _user, auth = lab
    _site, exhumation, remains, _identification, _record = _lab_chain(client, auth, make_case())
    record = {
        "external_id": "LAB-R-1",
        "code": "R-T1",
        "exhumation": exhumation["id"],
        "recovered_on": "2016-02-03",
        "sex_estimate": "female",
        "age_min": 22,
        "age_max": 28,
        "sample_status": "profiled",
    }
    updated = result_of(push(client, auth, "remains", [record]), "LAB-R-1")
    assert updated["result"] == "updated"
    stored = Remains.objects.get(pk=remains["id"])
    assert (stored.age_min, stored.age_max, stored.sample_status) == (22, 28, "profiled")
    entry = AuditEntry.objects.filter(
        action="update", subject_type="graves.remains", subject_id=remains["id"]
    ).get()
    assert entry.changes["age_min"] == [20, 22]

    moved = result_of(
        push(client, auth, "remains", [{**record, "recovered_on": "2016-03-01"}]), "LAB-R-1"
    )
    assert moved["result"] == "rejected"
    assert "recovered_on" in moved["errors"]
    assert Remains.objects.get(pk=remains["id"]).recovered_on == dt.date(2016, 2, 3)

    bad_range = result_of(
        push(client, auth, "remains", [{**record, "age_min": 40, "age_max": 30}]), "LAB-R-1"
    )
    assert bad_range["result"] == "rejected"
    assert Remains.objects.get(pk=remains["id"]).age_min == 22


@pytest.mark.django_db
def test_the_pusher_cannot_confirm_its_own_proposal(client, lab, make_case):
    _user, auth = lab
    case = make_case()
    *_rest, identification, record = _lab_chain(client, auth, case)
    answer = push(
        client,
        auth,
        "identifications",
        [{**record, "status": "confirmed", "confirmed_on": "2019-05-02", "source": "lab"}],
    )
    rejected = result_of(answer, "LAB-ID-1")
    assert rejected["result"] == "rejected"
    assert "confirmed_by" in rejected["errors"]
    assert Identification.objects.get(pk=identification["id"]).status == "proposed"
    case.refresh_from_db()
    assert case.status == Status.MISSING


@pytest.mark.django_db
def test_a_second_person_confirms_and_the_case_moves(client, lab, api_user, make_case):
    _user, auth = lab
    case = make_case()
    *_rest, identification, record = _lab_chain(client, auth, case)
    # Another account of the lab holds the same record under its own external id.
    _second, second_auth = api_user("forensic-lab-reviewer", Role.FORENSIC, ())
    confirming = {
        **record,
        "external_id": "REVIEW-1",
        "status": "confirmed",
        "confirmed_on": "2019-05-02",
        "source": "lab review",
    }
    # A second push of the same remains is a second proposal, which the service refuses: the
    # reviewer confirms the existing record in the UI, so batch sync cannot bypass the rule.
    answer = result_of(push(client, second_auth, "identifications", [confirming]), "REVIEW-1")
    assert answer["result"] == "rejected"
    assert "remains" in answer["errors"]
    assert Identification.objects.count() == 1


@pytest.mark.django_db
def test_roles_without_the_right_are_rejected_and_nothing_is_written(
    client, api_user, partner, lab
):
    _caseworker, caseworker_auth = api_user("cw", Role.CASEWORKER, ["DHK"])
    answer = result_of(push(client, caseworker_auth, "grave-sites", [SITE]), "LAB-SITE-1")
    assert answer["result"] == "rejected"
    _partner, partner_auth, _agreement = partner
    answer = result_of(push(client, partner_auth, "grave-sites", [SITE]), "LAB-SITE-1")
    assert answer["result"] == "rejected"
    assert not GraveSite.objects.exists()


@pytest.mark.django_db
def test_bad_input_names_the_field(client, lab):
    _user, auth = lab
    answer = push(
        client,
        auth,
        "grave-sites",
        [
            {**SITE, "external_id": "a", "reported_on": "yesterday"},
            {**SITE, "external_id": "b", "colour": "red"},
            {**SITE, "external_id": "c", "code": "G-T3", "place": "not-a-uuid"},
        ],
        atomic="true",
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["applied"] is False
    assert "reported_on" in result_of(answer, "a")["errors"]
    assert "colour" in result_of(answer, "b")["errors"]
    assert "place" in result_of(answer, "c")["errors"]
    assert not GraveSite.objects.exists()


@pytest.mark.django_db
def test_reference_samples_for_consenting_relatives_only(client, lab, make_case):
    _user, auth = lab
    case = make_case()
    consenting = Relative(
        full_name_latn="Donor",
        sex="female",
        consent="given",
        consent_recorded_on="2016-01-01",
        consent_dna_matching=True,
    )
    relative_add(case=case, relative=consenting, relationship="mother")
    declined = Relative(full_name_latn="Declined", sex="male")
    relative_add(case=case, relative=declined, relationship="father")
    record = {
        "external_id": "S-1",
        "relative": str(consenting.pk),
        "collected_on": "2016-02-01",
        "lab_reference": "LAB-0001",
    }
    answer = push(
        client,
        auth,
        "reference-samples",
        [record, {**record, "external_id": "S-2", "relative": str(declined.pk)}],
    )
    assert result_of(answer, "S-1")["result"] == "created"
    assert result_of(answer, "S-2")["result"] == "rejected"
    assert "relative" in result_of(answer, "S-2")["errors"]

    profiled = result_of(
        push(client, auth, "reference-samples", [{**record, "status": "profiled"}]), "S-1"
    )
    assert profiled["result"] == "updated"
    assert ReferenceSample.objects.get(pk=profiled["id"]).status == "profiled"
    destroyed = result_of(
        push(client, auth, "reference-samples", [{**record, "status": "destroyed"}]), "S-1"
    )
    assert destroyed["result"] == "rejected"
    assert ReferenceSample.objects.get(pk=profiled["id"]).status == "profiled"


@pytest.mark.django_db
def test_payments_move_forward_only(client, api_user, make_case):
    _officer, auth = api_user("aid-directorate", Role.AID_OFFICER, ["DHK"])
    programme = AidProgramme.objects.create(
        code="test-salary",
        name="Test salary",
        administered_by="directorate",
        frequency="monthly",
        standard_amount=Decimal("800000"),
        starts_on=dt.date(2021, 1, 1),
    )
    case = make_case()
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2020-06-01", actor=None, source="test"
    )
    record = {
        "external_id": "PAY-1",
        "programme": programme.code,
        "case": str(case.pk),
        "period": "2022-01-01",
        "approved_on": "2021-12-20",
    }
    created = result_of(push(client, auth, "disbursements", [record]), "PAY-1")
    assert created["result"] == "created"
    paid = result_of(
        push(
            client,
            auth,
            "disbursements",
            [{**record, "status": "paid", "paid_on": "2022-01-05", "reference": "TX-1"}],
        ),
        "PAY-1",
    )
    assert paid["result"] == "updated"
    stored = Disbursement.objects.get(pk=created["id"])
    assert (stored.status, stored.paid_on, stored.reference) == (
        "paid",
        dt.date(2022, 1, 5),
        "TX-1",
    )
    explicit_back = result_of(
        push(client, auth, "disbursements", [{**record, "status": "approved"}]), "PAY-1"
    )
    assert explicit_back["result"] == "rejected"
    assert "status" in explicit_back["errors"]
    assert Disbursement.objects.get(pk=created["id"]).status == "paid"
