"""The change feed: a client that pulls from the start and keeps pulling holds an exact mirror of
what it may see, tombstones included, and nothing of what it may not."""

import threading

import pytest
from django.db import connection, transaction

from access.models import Role
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.models import Case, CaseEvent
from cases.services import case_transition
from families.services import relative_record_consent
from sync.feed import cursor_encode, feed_pending_add
from sync.models import FeedEntry

FEED = "/api/v1/changes/"


def pull(client, auth, since="", mirror=None, limit=500):
    """Pull until the end; apply each change to the mirror; return (mirror, cursor, seen)."""
    mirror = {} if mirror is None else mirror
    seen = []
    while True:
        response = client.get(FEED, {"since": since, "limit": limit}, HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200, response.content
        body = response.json()
        for change in body["results"]:
            key = (change["resource"], change["id"])
            seen.append((key, change["op"]))
            if change["op"] == "upsert":
                mirror[key] = change["data"]
            else:
                mirror.pop(key, None)
        since = body["next_cursor"]
        if not body["has_more"]:
            return mirror, since, seen


def expected_mirror(client, auth):
    """What the client may see now, read through the resource endpoints (not the feed)."""
    expected = {}
    for resource in CASEWORK:
        url = f"/api/v1/{resource}/?page_size=500"
        while url:
            response = client.get(url, HTTP_AUTHORIZATION=auth)
            if response.status_code == 403:
                break
            body = response.json()
            for record in body["results"]:
                expected[(resource, record["id"])] = record
            url = body["next"]
    return expected


def casework(mirror):
    return {key: value for key, value in mirror.items() if key[0] in CASEWORK}


CASEWORK = ("cases", "events", "relatives")


def of(mirror, resource):
    return {key[1] for key in mirror if key[0] == resource}


@pytest.mark.django_db
def test_a_full_pull_mirrors_exactly_what_a_caseworker_may_see(
    client, api_user, make_case, offices
):
    _user, auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    own = [make_case(office=offices["duhok"]) for _ in range(3)]
    other = make_case(office=offices["sinjar"])
    case_transition(
        case=own[0], event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="office"
    )

    mirror, _cursor, _seen = pull(client, auth, limit=2)

    assert of(mirror, "cases") == {str(case.pk) for case in own}
    assert str(other.pk) not in str(mirror)
    assert casework(mirror) == expected_mirror(client, auth)
    assert mirror[("cases", str(own[0].pk))]["status"] == "rescued"


@pytest.mark.django_db
def test_changes_after_the_cursor_come_again_with_the_new_state(
    client, api_user, make_case, offices
):
    _user, auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    case = make_case(office=offices["duhok"])
    mirror, cursor, _ = pull(client, auth)

    event = case_transition(
        case=case, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="office"
    )
    mirror, cursor2, seen = pull(client, auth, since=cursor, mirror=mirror)

    assert (("cases", str(case.pk)), "upsert") in seen
    assert (("events", str(event.pk)), "upsert") in seen
    assert mirror[("cases", str(case.pk))]["status"] == "rescued"
    assert casework(mirror) == expected_mirror(client, auth)
    # Nothing new: an empty page, and the cursor stays where it was.
    _, cursor3, seen = pull(client, auth, since=cursor2, mirror=mirror)
    assert seen == [] and cursor3 == cursor2


@pytest.mark.django_db
def test_consent_withdrawn_sends_the_partner_tombstones(client, partner, consented, offices):
    _user, auth, _agreement = partner
    case = consented(office=offices["duhok"])
    mirror, cursor, _ = pull(client, auth)
    assert ("cases", str(case.pk)) in mirror
    assert set(mirror[("cases", str(case.pk))]) <= {
        "id",
        "case_number",
        "given_name_latn",
        "sex",
        "origin",
        "abducted_on",
        "office",
    }

    relative = case.kinships.get().relative
    relative_record_consent(
        relative=relative,
        consent="withdrawn",
        on="2020-01-01",
        dna_matching=False,
        share_with_partners=False,
    )
    mirror, _, seen = pull(client, auth, since=cursor, mirror=mirror)

    assert (("cases", str(case.pk)), "delete") in seen
    assert not of(mirror, "cases") and not of(mirror, "events")
    assert casework(mirror) == expected_mirror(client, auth)


@pytest.mark.django_db
def test_a_death_leaves_the_scope_of_a_partner_that_may_not_receive_deaths(
    client, partner, consented, offices
):
    _user, auth, _agreement = partner
    case = consented(office=offices["duhok"])
    mirror, cursor, _ = pull(client, auth)
    case_transition(
        case=case,
        event_type=EventType.DEATH_REPORTED,
        on="2017-01-01",
        actor=None,
        source="witness",
    )
    mirror, _, seen = pull(client, auth, since=cursor, mirror=mirror)
    assert (("cases", str(case.pk)), "delete") in seen
    assert casework(mirror) == {}


@pytest.mark.django_db
def test_records_never_sent_get_no_tombstone(client, partner, make_case, offices):
    """Changes to records out of scope must not even show their ids."""
    _user, auth, _agreement = partner
    hidden = make_case(office=offices["sinjar"])  # no consent, other office
    _, cursor, _ = pull(client, auth)
    case_transition(
        case=hidden,
        event_type=EventType.DEATH_REPORTED,
        on="2017-01-01",
        actor=None,
        source="witness",
    )
    _, _, seen = pull(client, auth, since=cursor)
    assert str(hidden.pk) not in str(seen)
    assert seen == []


@pytest.mark.django_db
def test_an_agreement_widened_to_another_office_brings_its_cases(
    client, partner, consented, offices
):
    _user, auth, agreement = partner
    sinjar_case = consented(office=offices["sinjar"])
    mirror, cursor, _ = pull(client, auth)
    assert not of(mirror, "cases")
    agreement.offices.add(offices["sinjar"])
    mirror, _, _ = pull(client, auth, since=cursor, mirror=mirror)
    assert of(mirror, "cases") == {str(sinjar_case.pk)}


@pytest.mark.django_db
def test_roles_without_case_access_see_no_case_changes(client, api_user, make_case, offices):
    _user, auth = api_user("analyst", Role.ANALYST, ())
    make_case(office=offices["duhok"])
    mirror, _, _ = pull(client, auth)
    assert not of(mirror, "cases") and not of(mirror, "events")
    # Reference data is for everyone with a role.
    assert of(mirror, "offices") == {str(offices["duhok"].pk), str(offices["sinjar"].pk)}


@pytest.mark.django_db
def test_each_page_of_personal_data_is_audited(client, api_user, make_case, offices):
    user, auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    case = make_case(office=offices["duhok"])
    pull(client, auth)
    entry = AuditEntry.objects.filter(actor=user, subject_type="sync.changes").latest("sequence")
    assert str(case.pk) in entry.changes["shown"]["cases"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "garbage!"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"resource": "nope"}, "resource"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, api_user, params, field):
    _user, auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    response = client.get(FEED, params, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_the_cursor_is_opaque_and_stable(client, api_user, make_case, offices):
    _user, auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    make_case(office=offices["duhok"])
    first = client.get(FEED, HTTP_AUTHORIZATION=auth).json()
    again = client.get(FEED, HTTP_AUTHORIZATION=auth).json()
    assert first["next_cursor"] == again["next_cursor"]
    assert not first["next_cursor"].isdigit()


@pytest.mark.django_db
def test_numbers_follow_every_write_and_a_write_without_audit_is_numbered_late(
    make_case, django_capture_on_commit_callbacks
):
    case = make_case()
    before = FeedEntry.objects.get(resource="cases", record_id=case.pk).seq
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        # A write that (wrongly) ends without an audit entry.
        Case.objects.filter(pk=case.pk).update(health_notes="x")
        feed_pending_add(resource="cases", record_ids=[case.pk])
    after = FeedEntry.objects.get(resource="cases", record_id=case.pk)
    assert after.seq > before and after.version >= 2


@pytest.mark.django_db
def test_cursor_encoding_roundtrip():
    from sync.feed import cursor_decode

    assert cursor_decode(cursor_encode(12345)) == 12345
    assert cursor_decode("") == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_change_is_missed_under_concurrent_writers(client, api_user, make_case, offices):
    """Writers commit in an order unrelated to when they started while a reader keeps pulling;
    in the end the reader's mirror is exactly the final state, every rescue included."""
    _user, auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    cases = [make_case(office=offices["duhok"]) for _ in range(24)]
    mirror, cursor, _ = pull(client, auth)
    errors = []
    start = threading.Barrier(5)

    def writer(chunk):
        try:
            start.wait()
            for case in chunk:
                case_transition(
                    case=case,
                    event_type=EventType.RESCUED,
                    on="2016-01-01",
                    actor=None,
                    source="office",
                )
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(cases[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    start.wait()
    while any(thread.is_alive() for thread in threads):
        mirror, cursor, _ = pull(client, auth, since=cursor, mirror=mirror, limit=7)
    for thread in threads:
        thread.join()
    mirror, cursor, _ = pull(client, auth, since=cursor, mirror=mirror)

    assert not errors
    assert {mirror[("cases", str(c.pk))]["status"] for c in cases} == {"rescued"}
    assert of(mirror, "events") == {
        str(pk) for pk in CaseEvent.objects.values_list("pk", flat=True)
    }
    assert casework(mirror) == expected_mirror(client, auth)


@pytest.mark.django_db
def test_expired_idempotency_answers_are_deleted_by_the_daily_task(api_user):
    import datetime as dt

    from django.utils import timezone

    from sync.models import IdempotentRequest
    from sync.tasks import idempotency_keys_expire_task

    user, _auth = api_user("caseworker-duhok", Role.CASEWORKER, ["DHK"])
    old = IdempotentRequest.objects.create(
        client=user, key="old", method="POST", path="/x", body_sha256="0" * 64
    )
    IdempotentRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    IdempotentRequest.objects.create(
        client=user, key="new", method="POST", path="/x", body_sha256="0" * 64
    )
    assert idempotency_keys_expire_task.delay().get() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_a_scope_change_over_more_cases_than_one_statement_takes_numbers_their_events(
    make_case, offices
):
    # An office of a national registry holds hundreds of thousands of cases: joining it (or an
    # agreement covering it) sends all of them again, with their events. Their ids are more
    # parameters than one statement may carry (PostgreSQL 65,535, SQLite 32,766).
    import uuid

    from sync.signals import cases_changed

    case = make_case(office=offices["duhok"])
    event_ids = {str(pk) for pk in case.events.values_list("pk", flat=True)}
    assert event_ids
    before = FeedEntry.objects.filter(resource="events", record_id__in=event_ids)
    highest = FeedEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    others = [uuid.uuid4() for _ in range(70_000)]
    with transaction.atomic():
        cases_changed([*others[:35_000], case.pk, *others[35_000:]], now=True)
    moved = before.filter(seq__gt=highest)
    assert {str(pk) for pk in moved.values_list("record_id", flat=True)} == event_ids
    assert FeedEntry.objects.filter(resource="cases", seq__gt=highest).count() == 70_001


def pull_entries(client, auth, limit, **params):
    """Every change of a pull from the start, as (cursor, resource, id, op), page by page."""
    since, got = "", []
    while True:
        response = client.get(
            FEED, {**params, "since": since, "limit": limit}, HTTP_AUTHORIZATION=auth
        )
        assert response.status_code == 200, response.content
        body = response.json()
        got += [(c["cursor"], c["resource"], c["id"], c["op"]) for c in body["results"]]
        since = body["next_cursor"]
        if not body["has_more"]:
            return got


@pytest.mark.django_db
@pytest.mark.parametrize(
    "asked",
    [["cases"], ["events"], ["cases", "events"], ["events", "cases", "events"], ["offices"]],
)
def test_a_pull_of_some_resources_is_the_full_pull_of_those_resources(
    client, api_user, make_case, offices, asked
):
    # Entries of the resources interleaved in the feed, read a few at a time: each resource's
    # own index range is merged back into feed order, each resource once however often asked.
    _user, auth = api_user("caseworker", Role.CASEWORKER, ("DHK",))
    for _ in range(3):
        case = make_case(office=offices["duhok"])
        case_transition(
            case=case, event_type=EventType.RESCUED, on="2016-01-01", actor=None, source="office"
        )
    everything = pull_entries(client, auth, limit=500)
    wanted = [change for change in everything if change[1] in asked]
    assert {change[1] for change in wanted} == set(asked)
    for limit in (1, 2, 500):
        assert pull_entries(client, auth, limit, resource=asked) == wanted
