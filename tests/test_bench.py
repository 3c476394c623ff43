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


# --- the rows beyond the side-by-side paths (bench.extras and its helpers) ----------------------


def test_name_queries_mix_scripts_and_spellings_and_keep_the_search_key():
    """Every query, another spelling or not, has the search key of the words it was drawn
    from, so it must find that case; half are Arabic, a third another spelling."""
    import random

    from bench.names import VARIANT_SHARE, name_queries, spelling_variant
    from cases.search import normalise
    from seeds import names

    rng = random.Random(7)
    people = []
    for number in range(60):
        given, father, family = (
            names.given_name(rng, "female"),
            names.given_name(rng, "male"),
            names.family_name(rng),
        )
        people.append(
            {
                "id": f"case-{number}",
                "case_number": f"SC-DHK-{number:07d}",
                **{f"{part}_name_latn": name[0] for part, name in _parts(given, father, family)},
                **{f"{part}_name_ar": name[1] for part, name in _parts(given, father, family)},
            }
        )
    queries = name_queries(people, count=60)
    assert queries == name_queries(people, count=60)  # the same list every run
    assert [query.case_id for query in queries] == [person["id"] for person in people]
    assert sum(query.script == "ar" for query in queries) == 30
    assert sum(query.variant for query in queries) == 60 // VARIANT_SHARE
    for query, person in zip(queries, people, strict=True):
        own = {
            normalise(
                f"{person[f'given_name_{query.script}']} {person[f'{second}_name_{query.script}']}"
            )
            for second in ("father", "family")
        }
        assert normalise(query.text) in own, query
        assert parse_qs(urlsplit(query.url).query)["name"] == [query.text]
        assert parse_qs(urlsplit(query.own_case_url).query) == {
            "name": [query.text],
            "case_number": [person["case_number"]],
        }
        assert query.second in {"father", "family"}
        arabic = any("\u0600" <= ch <= "\u06ff" for ch in query.text)
        assert arabic == (query.script == "ar")
    for person in people:  # and a variant is never the name as recorded
        for script in ("ar", "latn"):
            name = f"{person[f'given_name_{script}']} {person[f'family_name_{script}']}"
            variant = spelling_variant(name, rng)
            assert variant != name and normalise(variant) == normalise(name)


def _parts(given, father, family):
    return [("given", given), ("father", father), ("family", family)]


def test_table_shows_each_kind_of_new_row():
    from bench.table import Row, failed_row, row_json, table_lines

    rows = [
        Row("name search", ours={"rps": 85.2, "p50_ms": 60.0, "p95_ms": 140.5, "failures": 0}),
        Row("batch sync upsert", ours={"records_per_s": 2450.0}, target=">= 2,000", passed=True),
        Row("audit_verify", ours={"rate": 181234.5, "unit": "entries/s"}, passed=True),
        Row("CSV export", ours={"summary": "41.2 s, 182 MB peak"}, passed=True),
        Row("replica: report x", ours={"p50_ms": 12.3}, note="a | b"),
        failed_row("seed --scale load", ">= 10,000 cases/s", RuntimeError("no database")),
    ]
    lines = table_lines({"rows": [row_json(row) for row in rows]})
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert all(len(row) == 11 for row in cells)  # the pipe in a note does not add a column
    name, sync, audit, export, replica, seed = cells
    assert name[1:7] == ["85", "60.0", "140.5", "-", "-", "-"]
    assert sync[1] == "2,450 rec/s" and sync[4] == ""  # no raw side
    assert audit[1] == "181,234 entries/s"
    assert export[1] == "41.2 s, 182 MB peak"
    assert replica[2] == "12.3" and replica[-1] == "- (a / b)"
    assert seed[-1].startswith("FAIL (not measured: RuntimeError('no database')")


def test_age_window_picks_the_fewest_rows_at_or_above_the_target():
    from bench.offline import age_window

    counts = {20: 40, 21: 70, 22: 30, 23: 10, 40: 95, None: 500}
    assert age_window(counts, 100) == (21, 22, 100)  # not 20-21 (110), nor 40-... (not enough)
    assert age_window(counts, 95) == (40, 40, 95)
    assert age_window(counts, 1000) is None  # cases of unknown age are never in a window
    assert age_window({}, 1) is None


def test_seed_rate_line_is_read_from_seed_output():
    from bench.offline import loaded_rate

    assert loaded_rate("Rows: ...\nLoaded 20,000 scale cases in 15.9s: 1,254 cases/s.") == (
        20000,
        15.9,
    )
    assert loaded_rate("Synthetic records already loaded") is None


@pytest.mark.django_db
def test_bench_user_is_a_caseworker_of_every_office_after_a_scale_load():
    """What the bench prepares on a (small) scale load: seed's rate line is readable, the bench
    user sees every case, the deep page is 90% in, the feed page starts mid-feed."""
    import io

    from bench.offline import loaded_rate
    from bench.runner import DEEP_FRACTION, subject_prepare
    from cases.models import Office
    from sync.feed import cursor_decode
    from sync.models import FeedEntry

    out = io.StringIO()
    call_command("seed", "--scale", "40", "--no-progress", stdout=out)
    cases, seconds = loaded_rate(out.getvalue())
    assert cases == 40 and seconds >= 0  # "in 0.0s" at this size
    subject = subject_prepare()
    assert subject.office_codes == sorted(Office.objects.values_list("code", flat=True))
    assert len(subject.office_codes) > 1
    assert subject.visible == Case.objects.count()
    numbers = sorted(Case.objects.values_list("case_number", flat=True))
    assert subject.deep_position == numbers[int(len(numbers) * DEEP_FRACTION) - 1]
    seqs = FeedEntry.objects.filter(resource="cases").values_list("seq", flat=True)
    assert min(seqs) < cursor_decode(subject.feed_since) < max(seqs)


@pytest.mark.django_db
def test_sync_records_are_created_by_the_batch_endpoint_and_unchanged_when_replayed(
    offices, gazetteer
):
    """What the batch-sync row sends is valid: every record created, none rejected."""
    from bench.sync_load import SYNC_CASE_PREFIX, sync_records

    user = user_create(username="bench-caseworker", role=Role.CASEWORKER, offices=["DHK", "SNJ"])
    _token, raw = token_issue(user=user, days=1)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    records = sync_records(
        run="t1", first=0, count=6, office_codes=["DHK", "SNJ"], village_ids=[gazetteer["kocho"].pk]
    )
    assert len({record["external_id"] for record in records}) == 6
    answer = client.post(
        "/api/v1/sync/cases/", {"records": records}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert (answer.json()["created"], answer.json()["rejected"]) == (6, 0)
    created = Case.objects.filter(case_number__startswith=SYNC_CASE_PREFIX)
    assert sorted(created.values_list("office__code", flat=True)) == ["DHK"] * 3 + ["SNJ"] * 3
    # After the scale cases in case-number order (code points, as PostgreSQL's "C" collation
    # and SQLite order them): a rerun's first pages are the scale cases, as in a fresh database.
    from seeds.scale import PREFIX

    number = created.values_list("case_number", flat=True).first()
    assert number > PREFIX + "\U0010ffff" and not number.startswith(PREFIX)
    again = client.post(
        "/api/v1/sync/cases/", {"records": records}, content_type="application/json"
    )
    assert again.json()["unchanged"] == 6
    # The next batch of the same run numbers on: new cases, not updates.
    more = sync_records(
        run="t1", first=6, count=2, office_codes=["DHK"], village_ids=[gazetteer["kocho"].pk]
    )
    answer = client.post("/api/v1/sync/cases/", {"records": more}, content_type="application/json")
    assert answer.json()["created"] == 2


def test_replica_routing_note_names_both_databases():
    from bench.replica import DatabaseStats, replica_name, routing_note

    assert replica_name("tracker_bench") == "tracker_bench_replica"
    assert len(replica_name("x" * 80)) == 63  # PostgreSQL's limit on a name
    before, after = DatabaseStats(10, 1000), DatabaseStats(14, 501000)
    assert after - before == DatabaseStats(4, 500000)
    note = routing_note(
        {
            "figures": {"db": DatabaseStats(0, 900), "db_replica": DatabaseStats(0, 0)},
            "reports": {"db": DatabaseStats(30, 700), "db_replica": after - before},
        },
        "db_replica",
    )
    assert note == (
        "figures: replica 0 transactions, 0 rows read; primary 900 rows read; "
        "reports: replica 4 transactions, 500,000 rows read; primary 700 rows read"
    )


def test_a_reused_database_grown_by_earlier_runs_is_pointed_out():
    from bench.runner import other_cases_warning

    assert other_cases_warning(visible=1_010_000, scale_cases=1_000_000) is None
    warning = other_cases_warning(visible=1_207_150, scale_cases=1_000_000)
    assert warning is not None and "207,150 other cases" in warning
