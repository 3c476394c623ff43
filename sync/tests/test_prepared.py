"""Case lists and reads run SQL compiled once per caller and shape (sync.prepared). The compiled
SQL must give exactly what building the query gives, for every role, page and record, and must
never carry one caller's scope over to another."""

import uuid

import pytest
from django.db import connections
from django.db.models import Exists, OuterRef, Q

from access import policy
from access.models import Role
from cases.lifecycle import EventType
from cases.models import Case
from cases.services import case_transition
from sync.prepared import PreparedRows, Unkeyable, plain_key
from sync.resources import RESOURCES
from sync.tests.conftest import api_user, consented, partner  # noqa: F401 - shared fixtures

CASES = RESOURCES["cases"]


@pytest.fixture
def cases_of_two_offices(make_case, offices, consented):  # noqa: F811
    made = []
    for office in (offices["duhok"], offices["sinjar"]):
        for n in range(7):
            case = (consented if n % 2 else make_case)(office=office)
            if n % 3 == 1:
                case_transition(
                    case=case, event_type=EventType.RESCUED, on="2016", actor=None, source="s"
                )
            made.append(case)
    return made


def _cache() -> dict:
    return connections["default"].__dict__.setdefault("_prepared_rows", {})


def _built(user, *, after=None, limit=5, reverse=False):
    """The page as building the query gives it (what the list did before)."""
    rows = CASES.rows.values(CASES.queryset_for(user), named=True)
    rows = rows.order_by("-case_number" if reverse else "case_number")
    if after is not None:
        rows = rows.filter(**{f"case_number__{'lt' if reverse else 'gt'}": after})
    return list(rows[0:limit])


def _prepared(user, *, after=None, limit=5, reverse=False):
    rows = CASES.rows_prepared(user).order_by("-case_number" if reverse else "case_number")
    if after is not None:
        rows = rows.filter(**{f"case_number__{'lt' if reverse else 'gt'}": after})
    return list(rows[0:limit])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.CASEWORKER, Role.SUPERVISOR, Role.FORENSIC, Role.AID_OFFICER]
)
def test_compiled_pages_are_the_pages_the_query_gives(role, api_user, cases_of_two_offices):  # noqa: F811
    user, _auth = api_user(f"prepared-{role}", role, ["DHK"])
    first = _built(user)
    assert first, "each role sees some of these cases"
    for reverse in (False, True):
        position = None
        for _page in range(4):  # the first page, then pages after a position, compiled once
            built = _built(user, after=position, reverse=reverse)
            assert _prepared(user, after=position, reverse=reverse) == built
            if not built:
                break
            position = built[-1].case_number
    # The rows are named as the query's are (DRF reads the page's position by name).
    assert _prepared(user)[0]._fields == first[0]._fields
    assert _prepared(user)[0].case_number == first[0].case_number


@pytest.mark.django_db
def test_one_callers_compiled_scope_is_never_anothers(api_user, cases_of_two_offices):  # noqa: F811
    duhok, _a = api_user("prepared-duhok", Role.CASEWORKER, ["DHK"])
    sinjar, _b = api_user("prepared-sinjar", Role.CASEWORKER, ["SNJ"])
    both, _c = api_user("prepared-both", Role.CASEWORKER, ["DHK", "SNJ"])
    pages = {user.username: _prepared(user, limit=100) for user in (duhok, sinjar, both)}
    offices = {name: {row.office_id for row in rows} for name, rows in pages.items()}
    assert len(offices["prepared-duhok"]) == 1
    assert len(offices["prepared-sinjar"]) == 1
    assert offices["prepared-duhok"] != offices["prepared-sinjar"]
    assert len(pages["prepared-both"]) == len(pages["prepared-duhok"]) + len(
        pages["prepared-sinjar"]
    )
    # Three scopes, three compiled shapes; asking again compiles nothing more.
    compiled = len(_cache())
    assert compiled >= 3
    for user in (duhok, sinjar, both):
        assert _prepared(user, limit=100) == pages[user.username]
    assert len(_cache()) == compiled


@pytest.mark.django_db
def test_an_office_taken_away_is_out_of_the_compiled_scope_at_once(
    api_user,  # noqa: F811
    cases_of_two_offices,
    offices,
):
    from access.models import OfficeMembership

    user, auth = api_user("prepared-moved", Role.CASEWORKER, ["DHK", "SNJ"])
    sinjar_case = next(case for case in cases_of_two_offices if case.office == offices["sinjar"])
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=auth)
    assert client.get(f"/api/v1/cases/{sinjar_case.pk}/").status_code == 200
    assert client.get("/api/v1/cases/?page_size=100").json()["results"]
    OfficeMembership.objects.filter(user=user, office=offices["sinjar"]).delete()
    assert client.get(f"/api/v1/cases/{sinjar_case.pk}/").status_code == 404
    listed = client.get("/api/v1/cases/?page_size=100").json()["results"]
    assert listed and str(sinjar_case.pk) not in {record["id"] for record in listed}


@pytest.mark.django_db
def test_reads_answer_each_record_once_compiled(api_user, cases_of_two_offices, offices):  # noqa: F811
    user, auth = api_user("prepared-reader", Role.CASEWORKER, ["DHK"])
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=auth)
    for case in cases_of_two_offices:
        response = client.get(f"/api/v1/cases/{case.pk}/")
        if case.office == offices["duhok"]:
            assert response.status_code == 200
            assert response.json()["id"] == str(case.pk)
            assert response.json()["case_number"] == case.case_number
            case.refresh_from_db()
            assert response["ETag"] == f'"{case.version}"'
        else:
            assert response.status_code == 404
    assert client.get(f"/api/v1/cases/{uuid.uuid4()}/").status_code == 404


@pytest.mark.django_db
def test_a_partners_scope_is_built_every_time(partner, cases_of_two_offices):  # noqa: F811
    user, _auth, _agreement = partner
    # Its condition holds a subquery (consent), whose SQL its key could not stand for.
    assert CASES.rows_prepared(user) is None


def test_keys_are_made_of_plain_values_only():
    office = uuid.uuid4()
    assert plain_key(Q(office__in=[office])) == plain_key(Q(office__in=[office]))
    assert plain_key(Q(office__in=[office])) != plain_key(Q(office__in=[uuid.uuid4()]))
    assert plain_key(Q(status="missing")) != plain_key(~Q(status="missing"))
    assert plain_key(Q(a=1) | Q(b=2)) != plain_key(Q(a=1) & Q(b=2))
    assert plain_key(Q(a="1")) != plain_key(Q(a=1))
    with pytest.raises(Unkeyable):
        plain_key(Q(Exists(Case.objects.filter(pk=OuterRef("pk")))))
    with pytest.raises(Unkeyable):
        plain_key(Q(pk__in=Case.objects.all()))


@pytest.mark.django_db
def test_a_changing_value_the_sql_does_not_hold_as_given_is_never_cached(
    api_user,  # noqa: F811
    cases_of_two_offices,
):
    user, _auth = api_user("prepared-prefix", Role.CASEWORKER, ["DHK", "SNJ"])
    condition = policy.case_visibility(user)
    rows = PreparedRows(
        ("prefix",), lambda: Case.objects.filter(condition).values_list("case_number")
    )
    wanted = cases_of_two_offices[3]
    before = len(_cache())
    # startswith binds "value%", not the value: the value's place cannot be found, so the
    # query is built and run as any other, and not kept.
    found = list(rows.filter(case_number__startswith=wanted.case_number).order_by()[0:5])
    assert found == [(wanted.case_number,)]
    assert len(_cache()) == before
