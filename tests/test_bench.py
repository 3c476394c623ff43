"""The benchmark's raw-SQL views (bench.raw_views) answer what our API answers, so that `ours /
raw` compares the same work; and `manage.py bench` refuses anything but PostgreSQL. No timings:
performance is measured by `manage.py bench`, never asserted in tests."""

import base64
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction
from django.test import Client

from access.models import Role
from access.services import user_create
from access.tokens import token_issue
from cases.lifecycle import EventType
from cases.models import Case
from cases.services import case_transition
from sync.feed import feed_touch


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "config.bench_urls"


@pytest.fixture
def client_dhk(bench_urls, offices):
    """The bench's persona: a caseworker of one office, with a bearer token."""
    user = user_create(username="bench-caseworker", role=Role.CASEWORKER, offices=["DHK"])
    _token, raw = token_issue(user=user, days=1)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def cases(make_case, offices, gazetteer):
    """Duhok cases with every kind of field filled somewhere, and two of Sinjar (out of scope)."""
    duhok = [
        make_case(
            given_name_latn=f"Case {n}",
            birth_date="1990-05" if n % 2 else None,
            captivity_notes="held in Raqqa" if n == 1 else "",
            abduction_place=gazetteer["kocho"] if n % 3 == 0 else None,
        )
        for n in range(7)
    ]
    case_transition(
        case=duhok[2], event_type=EventType.RESCUED, on="2016-03-04", actor=None, source="test"
    )
    sinjar = [make_case(office=offices["sinjar"]) for _ in range(2)]
    return duhok, sinjar


def _cursor(link):
    return parse_qs(urlsplit(link).query)["cursor"][0] if link else None


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_case_list_pages_are_ours(client_dhk, cases):
    duhok, _sinjar = cases
    ours_url, raw_url = "/api/v1/cases/?page_size=3", "/bench/raw/cases/?page_size=3"
    seen = []
    while ours_url:
        ours, raw = client_dhk.get(ours_url), client_dhk.get(raw_url)
        assert ours.status_code == raw.status_code == 200, (ours.content, raw.content)
        assert raw.json()["results"] == ours.json()["results"]
        for link in ("next", "previous"):
            assert _cursor(raw.json()[link]) == _cursor(ours.json()[link])
        seen += [record["id"] for record in ours.json()["results"]]
        ours_url, raw_url = ours.json()["next"], raw.json()["next"]
    expected = sorted(duhok, key=lambda case: case.case_number)
    assert seen == [str(case.pk) for case in expected]  # and no Sinjar case


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_deep_page_cursor_is_ours(client_dhk, cases):
    """The bench builds the deep page's cursor itself (bench.runner.drf_cursor)."""
    from bench.runner import drf_cursor

    duhok, _sinjar = cases
    position = sorted(case.case_number for case in duhok)[3]
    query = f"?page_size=2&cursor={drf_cursor(position)}"
    ours, raw = (
        client_dhk.get("/api/v1/cases/" + query),
        client_dhk.get("/bench/raw/cases/" + query),
    )
    assert ours.status_code == raw.status_code == 200
    assert raw.json()["results"] == ours.json()["results"]
    assert [record["case_number"] > position for record in ours.json()["results"]] == [True] * 2
    assert _cursor(raw.json()["previous"]) == _cursor(ours.json()["previous"])


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_case_detail_is_ours(client_dhk, cases):
    duhok, sinjar = cases
    for case in duhok:
        ours = client_dhk.get(f"/api/v1/cases/{case.pk}/")
        raw = client_dhk.get(f"/bench/raw/cases/{case.pk}/")
        assert ours.status_code == raw.status_code == 200
        assert raw.json() == ours.json()
        assert raw["ETag"] == ours["ETag"]
    # Every field, the sensitive ones included, is what a caseworker of the office sees.
    assert {"captivity_notes", "birth_date", "office", "version"} <= set(raw.json())
    outsider = sinjar[0].pk
    assert client_dhk.get(f"/api/v1/cases/{outsider}/").status_code == 404
    assert client_dhk.get(f"/bench/raw/cases/{outsider}/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_change_feed_is_ours_tombstones_included(client_dhk, cases, offices):
    duhok, _sinjar = cases

    def pull_both(since):
        while True:
            ours = client_dhk.get(
                "/api/v1/changes/", {"resource": "cases", "since": since, "limit": 3}
            )
            raw = client_dhk.get("/bench/raw/changes/", {"since": since, "limit": 3})
            assert ours.status_code == raw.status_code == 200, (ours.content, raw.content)
            assert raw.json() == ours.json()
            yield ours.json()
            since = ours.json()["next_cursor"]
            if not ours.json()["has_more"]:
                return

    pages = list(pull_both(""))
    upserts = [item["id"] for page in pages for item in page["results"]]
    assert sorted(upserts) == sorted(str(case.pk) for case in duhok)

    # A case that leaves the caller's scope comes back as a tombstone, from both.
    moved = duhok[0]
    with transaction.atomic():
        Case.objects.filter(pk=moved.pk).update(office=offices["sinjar"])
        feed_touch(resource="cases", record_ids=[moved.pk])
    (last,) = list(pull_both(pages[-1]["next_cursor"]))
    assert [(item["id"], item["op"], item["data"]) for item in last["results"]] == [
        (str(moved.pk), "delete", None)
    ]


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_views_refuse_without_a_valid_token(bench_urls, cases):
    anonymous = Client()
    stranger = Client(headers={"Authorization": "Bearer mpt_not-a-token"})
    case = cases[0][0]
    for client in (anonymous, stranger):
        for path in ("/bench/raw/cases/", f"/bench/raw/cases/{case.pk}/", "/bench/raw/changes/"):
            assert client.get(path).status_code == 401
        assert client.get("/api/v1/cases/").status_code == 401


def test_bench_refuses_sqlite_with_a_clear_message(monkeypatch):
    # Whatever the test database is: the command looks at the vendor before touching it.
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with pytest.raises(CommandError, match=r"bench measures PostgreSQL.*DATABASE_URL"):
        call_command("bench", "--quick")


def test_bench_cursor_is_drf_format():
    from bench.runner import drf_cursor

    assert base64.b64decode(drf_cursor("SC-DHK-0000010")).decode() == "p=SC-DHK-0000010"


def test_bench_settings_are_production_over_plain_http():
    """In a process of its own: importing the settings would change this one's."""
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.ROOT_URLCONF, s.REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'][0], "
        "s.DATABASES['default']['CONN_MAX_AGE'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    env.pop("DJANGO_SECRET_KEY", None)  # the bench default stands in
    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert printed == [
        "False",
        "False",
        "False",
        "False",
        "config.bench_urls",
        "rest_framework.permissions.IsAuthenticated",
        "60",
    ]
