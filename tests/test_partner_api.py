"""Journey over the write side of the API (issue 4): optimistic concurrency on case edits,
lifecycle events over the API, and bodies that are malformed, mistyped or too large, which are
answered 4xx with what is wrong and never 500."""

import pytest
from django.test import override_settings

from access.models import Role
from audit.models import AuditEntry
from cases.models import Case, CaseEvent
from sync.tests.conftest import api_user, partner  # noqa: F401 - fixtures shared with sync

RESCUE = {"type": "rescued", "date": "2016-01-01", "source": "office"}


@pytest.fixture
def caseworker(api_user):  # noqa: F811
    return api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])[1]


@pytest.fixture
def supervisor(api_user):  # noqa: F811
    return api_user("supervisor-duhok", Role.SUPERVISOR, ["DHK"])[1]


def detail_url(case):
    return f"/api/v1/cases/{case.pk}/"


def events_url(case):
    return f"/api/v1/cases/{case.pk}/events/"


def send(client, method, url, auth, body, **extra):
    return getattr(client, method)(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=auth, **extra
    )


# --- optimistic concurrency --------------------------------------------------------------------


@pytest.mark.django_db
def test_two_clients_editing_the_same_version_the_second_gets_412_with_the_current_values(
    client,
    api_user,  # noqa: F811
    caseworker,
    make_case,
):
    other = api_user("caseworker-duhok-2", Role.CASEWORKER, ["DHK"])[1]
    case = make_case()
    first_read = client.get(detail_url(case), HTTP_AUTHORIZATION=caseworker)
    second_read = client.get(detail_url(case), HTTP_AUTHORIZATION=other)
    etag = first_read["ETag"]
    assert etag == second_read["ETag"] == f'"{case.version}"'

    first = send(
        client, "patch", detail_url(case), caseworker, {"given_name_latn": "A"}, HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200, first.content
    assert first["ETag"] == f'"{case.version + 1}"'
    assert first.json()["given_name_latn"] == "A"

    second = send(
        client, "patch", detail_url(case), other, {"given_name_latn": "B"}, HTTP_IF_MATCH=etag
    )
    assert second.status_code == 412
    assert second.json()["current"]["given_name_latn"] == "A"
    assert second["ETag"] == first["ETag"]
    case.refresh_from_db()
    assert case.given_name_latn == "A"
    assert case.version == 2

    # Merged and sent again with the version it now holds: accepted.
    third = send(
        client,
        "patch",
        detail_url(case),
        other,
        {"given_name_latn": "B"},
        HTTP_IF_MATCH=second["ETag"],
    )
    assert third.status_code == 200


@pytest.mark.django_db
def test_put_replaces_the_identity_with_if_match(client, caseworker, make_case, gazetteer):
    case = make_case(captivity_notes="old")
    body = {
        "given_name_latn": "Full",
        "sex": "female",
        "origin": gazetteer["kocho"].pk,
        "abducted_on": "2014-08",
    }
    response = send(client, "put", detail_url(case), caseworker, body, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert (case.given_name_latn, str(case.abducted_on), case.captivity_notes) == (
        "Full",
        "2014-08",
        "",
    )
    # A PUT without the required fields is refused.
    short = send(client, "put", detail_url(case), caseworker, {"sex": "male"}, HTTP_IF_MATCH='"2"')
    assert short.status_code == 400
    assert {"origin", "abducted_on"} <= set(short.json())


@pytest.mark.django_db
def test_a_partners_put_never_clears_the_fields_it_cannot_see(
    client,
    partner,  # noqa: F811
    make_case,
    gazetteer,
):
    from families.models import Relative
    from families.services import relative_add

    _user, auth, _agreement = partner
    case = make_case(captivity_notes="testimony", given_name_ar="نادية", birth_date="1990")
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
    body = {"sex": "female", "origin": gazetteer["kocho"].pk, "abducted_on": "2014"}
    response = send(client, "put", detail_url(case), auth, body, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert "captivity_notes" not in response.json()
    case.refresh_from_db()
    assert case.given_name_latn == ""  # its own field, left out of the replacement
    assert (case.captivity_notes, case.given_name_ar, str(case.birth_date)) == (
        "testimony",
        "نادية",
        "1990",
    )


@pytest.mark.django_db
def test_a_patch_without_if_match_is_428(client, caseworker, make_case):
    case = make_case()
    response = send(client, "patch", detail_url(case), caseworker, {"given_name_latn": "A"})
    assert response.status_code == 428
    case.refresh_from_db()
    assert case.given_name_latn == "Testa"


@pytest.mark.django_db
@pytest.mark.parametrize("if_match", ["1", '"one"', "*", '"1", "2"', ""])
def test_a_malformed_if_match_is_400(client, caseworker, make_case, if_match):
    case = make_case()
    response = send(
        client,
        "patch",
        detail_url(case),
        caseworker,
        {"given_name_latn": "A"},
        HTTP_IF_MATCH=if_match,
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"status": "rescued"},
        {"rescued_on": "2016-01-01"},
        {"version": 7},
        {"office": "SNJ"},
        {"nickname": "x"},
    ],
)
def test_a_patch_of_a_status_or_unknown_field_is_400(client, caseworker, make_case, body):
    case = make_case()
    response = send(client, "patch", detail_url(case), caseworker, body, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert set(body) <= set(response.json())
    case.refresh_from_db()
    assert (case.status, case.version) == ("missing", 1)


@pytest.mark.django_db
def test_a_patch_by_a_role_that_may_only_read_is_403(client, api_user, make_case):  # noqa: F811
    forensic = api_user("forensic", Role.FORENSIC, [])[1]
    case = make_case()
    response = send(
        client, "patch", detail_url(case), forensic, {"given_name_latn": "A"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_patch_of_another_offices_case_is_404(client, caseworker, make_case, offices):
    case = make_case(office=offices["sinjar"])
    response = send(
        client, "patch", detail_url(case), caseworker, {"given_name_latn": "A"}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 404


# --- lifecycle events --------------------------------------------------------------------------


@pytest.mark.django_db
def test_recording_a_rescue_answers_the_event_and_the_new_status(client, caseworker, make_case):
    case = make_case()
    response = send(client, "post", events_url(case), caseworker, RESCUE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "rescued"
    assert body["event"]["type"] == "rescued"
    assert body["event"]["to_status"] == "rescued"
    case.refresh_from_db()
    assert body["version"] == case.version == 2
    assert response["ETag"] == f'"{case.version}"'
    assert CaseEvent.objects.get(pk=body["event"]["id"]).case_id == case.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "remains_returned"}, "type"),  # not from "missing"
        ({"type": "reported_missing"}, "type"),  # a case has one first event
        ({"date": "2013-01-01"}, "date"),  # before the abduction
        ({"date": "2999-01-01"}, "date"),  # in the future
        ({"date": "yesterday"}, "date"),
        ({"type": "teleported"}, "type"),
    ],
)
def test_an_impossible_event_is_400_naming_why(client, caseworker, make_case, event, field):
    case = make_case()
    response = send(client, "post", events_url(case), caseworker, {**RESCUE, **event})
    assert response.status_code == 400
    assert field in response.json()
    case.refresh_from_db()
    assert case.status == "missing"


@pytest.mark.django_db
@pytest.mark.parametrize("event_type", ["remains_identified", "event_corrected"])
def test_steps_that_belong_to_a_record_are_not_bare_events(
    client, caseworker, make_case, event_type
):
    # "Identified" comes with the identification that says by whom and how, and a correction
    # with the supervisor's approval; neither can be posted on its own.
    case = make_case()
    response = send(client, "post", events_url(case), caseworker, {**RESCUE, "type": event_type})
    assert response.status_code == 400
    assert "type" in response.json()
    case.refresh_from_db()
    assert case.status == "missing" and case.events.count() == 1


@pytest.mark.django_db
def test_closing_as_a_duplicate_needs_a_supervisor(client, caseworker, supervisor, make_case):
    original, duplicate = make_case(), make_case()
    body = {
        "type": "closed_duplicate",
        "date": "2016-01-01",
        "source": "merge",
        "duplicate_of": str(original.pk),
    }
    refused = send(client, "post", events_url(duplicate), caseworker, body)
    assert refused.status_code == 403
    assert AuditEntry.objects.filter(
        action="denied", subject_id=str(duplicate.pk), actor_username="caseworker-duhok"
    ).exists()
    duplicate.refresh_from_db()
    assert duplicate.status == "missing"

    accepted = send(client, "post", events_url(duplicate), supervisor, body)
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["status"] == "closed_duplicate"
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == ("closed_duplicate", original.pk)


@pytest.mark.django_db
def test_an_event_on_another_offices_case_is_404(client, caseworker, make_case, offices):
    case = make_case(office=offices["sinjar"])
    response = send(client, "post", events_url(case), caseworker, RESCUE)
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == "missing"


@pytest.mark.django_db
def test_an_event_with_a_stale_if_match_is_412(client, caseworker, make_case):
    case = make_case()
    response = send(client, "post", events_url(case), caseworker, RESCUE, HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert response.json()["current"]["status"] == "missing"


# --- bodies that are wrong ---------------------------------------------------------------------


@pytest.fixture
def targets(make_case, gazetteer):
    """(method, url, a valid body, extra headers) for each write endpoint."""
    case = make_case()
    register = {
        "given_name_latn": "Nadia",
        "sex": "female",
        "origin": gazetteer["kocho"].pk,
        "abducted_on": "2014-08-03",
        "office": "DHK",
        "reported_on": "2015-01-01",
        "source": "family",
    }
    return {
        "register": ("post", "/api/v1/cases/", register, {}),
        "edit": ("patch", detail_url(case), {"given_name_latn": "A"}, {"HTTP_IF_MATCH": '"1"'}),
        "event": ("post", events_url(case), RESCUE, {}),
        "sync": (
            "post",
            "/api/v1/sync/cases/",
            {"records": [{"external_id": "e1", "case_number": "E-1", **register}]},
            {},
        ),
    }


ENDPOINTS = ["register", "edit", "event", "sync"]


def _nothing_written():
    return (
        Case.objects.count() == 1
        and Case.objects.get().version == 1
        and CaseEvent.objects.count() == 1
    )


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_valid_body_of_each_endpoint_is_accepted(client, caseworker, targets, endpoint):
    """The baseline of the tests below: their bodies fail only by what they change."""
    method, url, body, extra = targets[endpoint]
    response = send(client, method, url, caseworker, body, **extra)
    assert response.status_code in {200, 201}, response.content
    if endpoint == "sync":
        assert response.json()["created"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("raw", ['{"given_name_latn": ', "{'a': 1}", "not json", "\x00", "[1,"])
def test_malformed_json_is_400(client, caseworker, targets, endpoint, raw):
    method, url, _body, extra = targets[endpoint]
    response = send(client, method, url, caseworker, raw, **extra)
    assert response.status_code == 400, response.content
    assert "detail" in response.json()
    assert _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("raw", ["[]", '"text"', "null", "1", "[{}]"])
def test_json_that_is_not_an_object_is_400(client, caseworker, targets, endpoint, raw):
    method, url, _body, extra = targets[endpoint]
    response = send(client, method, url, caseworker, raw, **extra)
    assert response.status_code == 400, response.content
    assert _nothing_written()


WRONG_TYPES = {
    "register": {"sex": 5, "origin": "kocho", "abducted_on": ["2014"]},
    "edit": {"sex": 5, "age_at_abduction": "old", "given_name_latn": ["a"]},
    "event": {"type": 5, "date": ["2016"], "source": {"a": 1}},
}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["register", "edit", "event"])
def test_wrong_types_are_400_with_field_errors(client, caseworker, targets, endpoint):
    method, url, body, extra = targets[endpoint]
    wrong = WRONG_TYPES[endpoint]
    response = send(client, method, url, caseworker, {**body, **wrong}, **extra)
    assert response.status_code == 400, response.content
    assert set(wrong) <= set(response.json())
    assert _nothing_written()


@pytest.mark.django_db
def test_wrong_types_in_a_batch_are_field_errors_of_the_record(client, caseworker, targets):
    method, url, body, extra = targets["sync"]
    record = {**body["records"][0], **WRONG_TYPES["register"]}
    response = send(client, method, url, caseworker, {"records": [record]}, **extra)
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["result"] == "rejected"
    assert set(WRONG_TYPES["register"]) <= set(result["errors"])
    assert _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_fields_are_400(client, caseworker, targets, endpoint):
    method, url, body, extra = targets[endpoint]
    response = send(client, method, url, caseworker, {**body, "nickname": "x"}, **extra)
    assert response.status_code == 400, response.content
    assert "nickname" in response.json()
    assert _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_oversized_body_is_413(client, caseworker, targets, endpoint):
    method, url, body, extra = targets[endpoint]
    with override_settings(API_MAX_BODY_BYTES=100):
        response = send(client, method, url, caseworker, {**body, "note": "x" * 200}, **extra)
    assert response.status_code == 413, response.content
    assert _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_oversized_body_with_an_idempotency_key_is_413(client, caseworker, targets, endpoint):
    """With a key, the body is read whole before parsing (to fingerprint it): still a 413."""
    method, url, body, extra = targets[endpoint]
    with override_settings(API_MAX_BODY_BYTES=100, DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        response = send(
            client,
            method,
            url,
            caseworker,
            {**body, "note": "x" * 200},
            HTTP_IDEMPOTENCY_KEY="big",
            **extra,
        )
    assert response.status_code == 413, response.content
    assert _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_body_that_is_not_json_is_415(client, caseworker, targets, endpoint):
    method, url, _body, extra = targets[endpoint]
    response = getattr(client, method)(
        url, "a,b\n1,2", content_type="text/csv", HTTP_AUTHORIZATION=caseworker, **extra
    )
    assert response.status_code == 415
    assert _nothing_written()
