"""Batch sync (POST /api/v1/sync/{resource}/): records keyed by the caller's own external ids,
answered one by one; a replay creates nothing; `?atomic=true` is all-or-nothing."""

import pytest
from django.test import override_settings

from access.models import Role
from audit.models import AuditEntry
from cases.models import Case
from families.models import Kinship, Relative
from families.services import relative_add
from sync.batch import MAX_RECORDS
from sync.models import ExternalRef

SYNC = "/api/v1/sync/cases/"


@pytest.fixture
def caseworker(api_user):
    return api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])


def case_record(external_id, gazetteer, **fields):
    record = {
        "external_id": external_id,
        "given_name_latn": f"Person {external_id}",
        "sex": "female",
        "origin": gazetteer["kocho"].pk,
        "abducted_on": "2014-08-03",
        "office": "DHK",
        "reported_on": "2015-01-01",
        "source": "partner registry",
        "case_number": f"P-{external_id}",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def post(client, auth, records, url=SYNC, **extra):
    body = records if isinstance(records, dict) else {"records": records}
    return client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=auth, **extra)


def by_external_id(body):
    return {result["external_id"]: result for result in body["results"]}


@pytest.fixture(params=["partner", "caseworker"])
def pusher(request, partner, caseworker):
    if request.param == "partner":
        user, auth, _agreement = partner
    else:
        user, auth = caseworker
    return user, auth


@pytest.mark.django_db
def test_created_then_replayed_is_unchanged_and_creates_nothing(client, pusher, gazetteer):
    user, auth = pusher
    records = [case_record(f"x{n}", gazetteer) for n in range(3)]

    first = post(client, auth, records)
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["applied"] is True
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (3, 0, 0, 0)
    ids = {r["external_id"]: r["id"] for r in body["results"]}
    assert Case.objects.filter(pk__in=ids.values()).count() == 3
    assert ExternalRef.objects.filter(partner=user, resource="cases").count() == 3
    # Each case registered is in the trail, done by the pusher.
    for case_id in ids.values():
        entry = AuditEntry.objects.get(
            action="create", subject_type="cases.case", subject_id=case_id
        )
        assert entry.actor_username == user.username

    count = Case.objects.count()
    replay = post(client, auth, records).json()
    assert replay["applied"] is True
    assert {r["result"] for r in replay["results"]} == {"unchanged"}
    assert {r["external_id"]: r["id"] for r in replay["results"]} == ids
    assert Case.objects.count() == count


@pytest.mark.django_db
def test_a_changed_body_updates_the_record(client, pusher, gazetteer):
    user, auth = pusher
    post(client, auth, [case_record("x1", gazetteer)])
    case = Case.objects.get(case_number="P-x1")
    if user.username.startswith("partner"):
        # A partner sees (and so may update) only the cases the family agreed to share.
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

    changed = post(client, auth, [case_record("x1", gazetteer, given_name_latn="Renamed")])
    assert changed.status_code == 200
    assert by_external_id(changed.json())["x1"]["result"] == "updated"
    case.refresh_from_db()
    assert case.given_name_latn == "Renamed"
    assert case.version == 2
    assert AuditEntry.objects.filter(
        action="update", subject_type="cases.case", subject_id=str(case.pk)
    ).exists()


@pytest.mark.django_db
def test_a_partner_cannot_update_a_pushed_case_that_left_its_scope(client, partner, gazetteer):
    _user, auth, _agreement = partner
    post(client, auth, [case_record("x1", gazetteer)])
    case = Case.objects.get(case_number="P-x1")  # no family consent: not the partner's to see

    changed = post(client, auth, [case_record("x1", gazetteer, given_name_latn="Renamed")])
    result = by_external_id(changed.json())["x1"]
    assert result["result"] == "rejected"
    case.refresh_from_db()
    assert case.given_name_latn == "Person x1"


@pytest.mark.django_db
def test_a_bad_record_is_rejected_with_field_errors_while_the_others_are_created(
    client, pusher, gazetteer
):
    _user, auth = pusher
    records = [
        case_record("good1", gazetteer),
        case_record("bad", gazetteer, sex="robot", abducted_on="soon"),
        case_record("good2", gazetteer),
        {"given_name_latn": "no external id"},
    ]
    response = post(client, auth, records)
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is True
    assert (body["created"], body["rejected"]) == (2, 2)
    results = by_external_id(body)
    assert results["good1"]["result"] == results["good2"]["result"] == "created"
    assert results["bad"]["result"] == "rejected"
    assert {"sex", "abducted_on"} <= set(results["bad"]["errors"])
    assert "id" not in results["bad"]
    assert results[None]["errors"] == {"external_id": ["This field is required."]}
    assert set(Case.objects.values_list("case_number", flat=True)) == {"P-good1", "P-good2"}


@pytest.mark.django_db
def test_atomic_with_one_bad_record_applies_nothing(client, pusher, gazetteer):
    _user, auth = pusher
    records = [case_record("good1", gazetteer), case_record("bad", gazetteer, sex="robot")]
    created_entries = AuditEntry.objects.filter(action="create", subject_type="cases.case")
    entries_before = created_entries.count()
    response = post(client, auth, records, url=SYNC + "?atomic=true")
    assert response.status_code == 400
    body = response.json()
    assert body["applied"] is False
    assert by_external_id(body)["bad"]["result"] == "rejected"
    assert not Case.objects.exists()
    assert not ExternalRef.objects.exists()
    assert created_entries.count() == entries_before

    ok = post(client, auth, [case_record("good1", gazetteer)], url=SYNC + "?atomic=true")
    assert ok.status_code == 200 and ok.json()["applied"] is True
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_an_office_not_allowed_is_rejected_naming_office(client, pusher, gazetteer):
    _user, auth = pusher
    response = post(client, auth, [case_record("x1", gazetteer, office="SNJ")])
    result = by_external_id(response.json())["x1"]
    assert result["result"] == "rejected"
    assert "office" in result["errors"]
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_partner_may_not_send_sensitive_fields(client, partner, gazetteer):
    _user, auth, _agreement = partner
    record = case_record("x1", gazetteer, captivity_notes="testimony")
    result = by_external_id(post(client, auth, [record]).json())["x1"]
    assert result["result"] == "rejected"
    assert "captivity_notes" in result["errors"]
    assert not Case.objects.filter(captivity_notes="testimony").exists()


@pytest.mark.django_db
def test_a_caseworker_may_send_casework_fields(client, caseworker, gazetteer):
    _user, auth = caseworker
    record = case_record("x1", gazetteer, captivity_notes="testimony")
    result = by_external_id(post(client, auth, [record]).json())["x1"]
    assert result["result"] == "created"
    assert Case.objects.get(pk=result["id"]).captivity_notes == "testimony"


@pytest.mark.django_db
def test_unknown_resource_is_404(client, caseworker):
    _user, auth = caseworker
    assert post(client, auth, [], url="/api/v1/sync/graves/").status_code == 404
    assert post(client, auth, [], url="/api/v1/sync/places/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [{"records": {"external_id": "x"}}, {"records": "x"}, {}, {"records": [], "extra": 1}],
)
def test_records_must_be_a_list(client, caseworker, body):
    _user, auth = caseworker
    response = post(client, auth, body)
    assert response.status_code == 400
    assert set(response.json()) & {"records", "extra"}


@pytest.mark.django_db
def test_a_bad_atomic_value_is_400(client, caseworker):
    _user, auth = caseworker
    response = post(client, auth, [], url=SYNC + "?atomic=maybe")
    assert response.status_code == 400
    assert "atomic" in response.json()


@pytest.mark.django_db
def test_more_records_than_allowed_is_413(client, caseworker):
    _user, auth = caseworker
    records = [{"external_id": str(n)} for n in range(MAX_RECORDS + 1)]
    response = post(client, auth, records)
    assert response.status_code == 413
    assert not Case.objects.exists()


@pytest.mark.django_db
@override_settings(API_MAX_BODY_BYTES=200)
def test_an_oversized_batch_body_is_413(client, caseworker, gazetteer):
    _user, auth = caseworker
    response = post(client, auth, [case_record(f"x{n}", gazetteer) for n in range(5)])
    assert response.status_code == 413
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_relatives_sync_for_the_cases_of_own_office_only(client, caseworker, make_case, offices):
    _user, auth = caseworker
    own = make_case(office=offices["duhok"])
    other = make_case(office=offices["sinjar"])
    records = [
        {
            "external_id": "r1",
            "case": str(own.pk),
            "relationship": "mother",
            "full_name_latn": "Mother",
            "sex": "female",
            "phone": "0750",
        },
        {
            "external_id": "r2",
            "case": str(other.pk),
            "relationship": "father",
            "full_name_latn": "Father",
            "sex": "male",
        },
        {"external_id": "r3", "case": "not-a-uuid", "relationship": "father", "sex": "male"},
        {"external_id": "r4", "case": str(own.pk), "relationship": "sibling", "colour": "red"},
    ]
    response = post(client, auth, records, url="/api/v1/sync/relatives/")
    assert response.status_code == 200, response.content
    results = by_external_id(response.json())
    assert results["r1"]["result"] == "created"
    assert Kinship.objects.get(relative_id=results["r1"]["id"]).case_id == own.pk
    for refused in ("r2", "r3"):
        assert results[refused]["result"] == "rejected"
        assert "case" in results[refused]["errors"]
    assert "colour" in results["r4"]["errors"]
    assert not Kinship.objects.filter(case=other).exists()
    # The case of another office was not revealed: the same answer as for a made-up id.
    assert results["r2"]["errors"] == results["r3"]["errors"]

    replay = post(client, auth, records[:1], url="/api/v1/sync/relatives/").json()
    assert replay["results"][0]["result"] == "unchanged"
    assert Relative.objects.filter(full_name_latn="Mother").count() == 1


@pytest.mark.django_db
def test_a_partner_may_not_sync_relatives(client, partner, consented, offices):
    _user, auth, _agreement = partner
    case = consented(office=offices["duhok"])
    records = [{"external_id": "r1", "case": str(case.pk), "relationship": "mother", "sex": "f"}]
    response = post(client, auth, records, url="/api/v1/sync/relatives/")
    result = by_external_id(response.json())["r1"]
    assert result["result"] == "rejected"
    assert Relative.objects.count() == 1  # the consenting mother of the fixture only
