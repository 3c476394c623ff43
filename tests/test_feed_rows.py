"""Cases read as rows (sync.resources.Rows: the list and the change feed) give exactly the
records that model instances give (Resource.as_seen_by), for every role, office and status: the
rows path is a faster reading, never a second policy."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import DateTimeField, Value
from rest_framework.renderers import JSONRenderer

from access.models import Role
from cases.lifecycle import EventType
from cases.models import Case, Office
from cases.services import case_transition
from sync.feed import feed_page
from sync.renderers import ApiJSONRenderer
from sync.resources import RESOURCES, JsonTime
from sync.tests.conftest import api_user, consented, partner  # noqa: F401 - shared fixtures

CASES = RESOURCES["cases"]


@pytest.fixture
def varied_cases(make_case, offices, consented):  # noqa: F811
    """Cases of two offices in several statuses, with and without partial dates and notes."""
    made = []
    for office in (offices["duhok"], offices["sinjar"]):
        for n, event in enumerate([None, EventType.RESCUED, EventType.DEATH_REPORTED]):
            case = (consented if n % 2 == 0 else make_case)(
                office=office,
                birth_date="1990-05" if n % 2 else None,
                captivity_notes="held" if n == 1 else "",
            )
            if event is not None:
                case_transition(case=case, event_type=event, on="2016", actor=None, source="s")
            made.append(case)
    return made


@pytest.fixture
def users(api_user, partner):  # noqa: F811
    made = {
        role: api_user(f"rows-{role}", role, ["DHK"])[0]
        for role in (Role.CASEWORKER, Role.SUPERVISOR, Role.FORENSIC, Role.AID_OFFICER)
    }
    made[Role.PARTNER] = partner[0]
    return made


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.CASEWORKER, Role.SUPERVISOR, Role.FORENSIC, Role.AID_OFFICER, Role.PARTNER]
)
def test_rows_give_the_records_that_instances_give(role, users, varied_cases):
    user = users[role]
    queryset = CASES.queryset_for(user).order_by("case_number")
    by_instance = [CASES.as_seen_by(user, case) for case in queryset]
    seen = CASES.rows_seen_by(user)
    by_row = [seen(row) for row in CASES.rows.values(queryset)]
    assert by_instance, "each role sees some of these cases"
    # As the API writes them: the same JSON, fields in the same order (times are text already
    # on PostgreSQL, written by the database as the JSON writes a datetime).
    render = ApiJSONRenderer().render
    assert render(by_row) == render(by_instance)
    assert [list(record) for record in by_row] == [list(record) for record in by_instance]


@pytest.mark.django_db
def test_the_feed_sends_each_visible_case_as_its_record_and_tombstones_what_left(
    users, varied_cases
):
    user = users[Role.CASEWORKER]
    render = ApiJSONRenderer().render
    page = feed_page(user=user, after=0, limit=1000, resources=["cases"])
    sent = {item["id"]: item for item in page.results}
    expected = {case.pk: case for case in CASES.queryset_for(user)}
    assert set(sent) == set(expected)
    for pk, case in expected.items():
        assert sent[pk]["op"] == "upsert"
        assert render(sent[pk]["data"]) == render(CASES.as_seen_by(user, case))
        assert sent[pk]["version"] == case.version
    # A case that leaves the user's scope comes back as a tombstone, to this client only.
    gone = next(iter(expected.values()))
    Case.objects.filter(pk=gone.pk).update(office=varied_cases[-1].office)
    from sync.feed import feed_touch

    feed_touch(resource="cases", record_ids=[gone.pk])
    later = feed_page(user=user, after=0, limit=1000, resources=["cases"])
    item = next(item for item in later.results if item["id"] == gone.pk)
    assert item["op"] == "delete" and item["data"] is None
    stranger = users[Role.SUPERVISOR]  # same office, never pulled: no tombstone for it
    theirs = feed_page(user=stranger, after=0, limit=1000, resources=["cases"])
    assert gone.pk not in {item["id"] for item in theirs.results}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 12, 3, 10, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 12, 3, 10, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2014, 8, 3, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=3))),
    ],
)
def test_the_database_writes_a_time_as_the_api_json_does(moment, offices):
    """JsonTime is DRF's text for the datetime, with or without a fraction of a second."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        stored = cursor.fetchone()[0]
    (text,) = Office.objects.annotate(
        at=JsonTime(Value(stored, output_field=DateTimeField()))
    ).values_list("at", flat=True)[:1]
    # Django reads every time out of the database in UTC: that is what the instance path writes.
    assert ApiJSONRenderer().render([text]) == JSONRenderer().render([moment.astimezone(dt.UTC)])
