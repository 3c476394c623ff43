"""Name search through the words of the names (cases migration 0007, cases.search): on
PostgreSQL every word of every search key is kept in `cases_nameword` by triggers, whoever
writes the key, and a query word finds the keys holding a word near it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from cases.models import AlternateName, Case
from cases.search import name_matches, name_words_prune, near_words, normalise
from cases.services import case_update_identity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite searches the key by substring")


def _known(*words: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM cases_nameword WHERE word = ANY(%s)", [list(words)])
        return {row[0] for row in cursor.fetchall()}


def test_every_writer_adds_the_words_of_the_keys_it_writes(make_case, gazetteer, offices):
    # save() through the lifecycle service: a statement of one row.
    case = make_case(given_name_latn="Zerdeşt", family_name_latn="Qirnavi", given_name_ar="")
    assert _known("zerdest", "qirnavi") == {"zerdest", "qirnavi"}
    # An edited name: its new words, by the row trigger.
    case_update_identity(
        case=case, changes={"father_name_latn": "Berxwedan"}, actor=None, expected_version=1
    )
    assert _known("berxwedan") == {"berxwedan"}
    # A bulk insert (one statement, many rows) and a row written by hand in SQL.
    AlternateName.objects.bulk_create(
        [
            AlternateName(case=case, full_name="Zerdesht Qirnawi", script="latn"),
            AlternateName(case=case, full_name="زەردەشت قرناوی", script="arab"),
        ]
    )
    assert _known("zerdesht", "qirnawi", normalise("زەردەشت")) == {
        "zerdesht",
        "qirnawi",
        normalise("زەردەشت"),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET search_name = search_name || ' xanzadexan' WHERE id = %s",
            [case.pk],
        )
    assert _known("xanzadexan") == {"xanzadexan"}


def test_a_query_word_finds_near_words_and_itself(make_case):
    make_case(given_name_latn="Ibrahim", family_name_latn="Hasan", given_name_ar="")
    words = ["ibrahem", "hasan", "neverwritten"]
    near = dict(zip(words, near_words(words), strict=True))
    assert "ibrahim" in near["ibrahem"] and "ibrahem" in near["ibrahem"]
    assert "hasan" in near["hasan"]
    # A word no key holds still finds itself, so a key written a moment ago is found exactly.
    assert near["neverwritten"] == ["neverwritten"]


def test_each_query_word_must_be_near_a_word_of_the_same_name(make_case):
    wanted = make_case(given_name_latn="Ibrahim", family_name_latn="Hasan", given_name_ar="")
    other = make_case(given_name_latn="Ibrahim", family_name_latn="Murad", given_name_ar="")
    alias = make_case(given_name_latn="Nadia", family_name_latn="Murad", given_name_ar="")
    AlternateName.objects.create(case=alias, full_name="Ibrahem Hasan", script="latn")
    found = set(name_matches(Case.objects.all(), "Ibrahem Hasan"))
    # The words path found them (the whole-query fallback is asked only when it finds no one).
    assert found == {wanted, alias}
    assert other not in found
    # Within the caller's cases only.
    assert set(name_matches(Case.objects.filter(pk=alias.pk), "Ibrahem Hasan")) == {alias}


def test_a_word_written_as_two_is_found_by_the_whole_query_fallback(make_case):
    wanted = make_case(given_name_latn="Abdul", father_name_latn="Rahman", given_name_ar="")
    # No single word of the key is near "abdulrahman": the fallback compares the whole key.
    assert list(name_matches(Case.objects.all(), "Abdulrahman")) == [wanted]
    # The other way round, each query word is near the one word of the key.
    joined = make_case(given_name_latn="Abdulrahman", given_name_ar="")
    assert joined in set(name_matches(Case.objects.all(), "Abdul Rahman"))


def test_the_words_path_finds_no_more_than_the_whole_key_comparison(make_case):
    """A word near a word of the key is near the key (pg_trgm word similarity takes the best
    stretch of the key): the words path can only leave out matches spanning two words."""
    names = [
        ("Khalida", "Hasan"),
        ("Khaleda", "Qasim"),
        ("Layla", "Khalil"),
        ("Hasan", "Khalaf"),
        ("Jamila", "Murad"),
        ("Murad", "Hassan"),
    ]
    for given, family in names:
        make_case(given_name_latn=given, family_name_latn=family, given_name_ar="")
    for query in ("khal", "hasan", "Khalida Hasan", "murad", "jamilah", "Khalid Layla"):
        key = normalise(query)
        by_key = Q()
        for word in key.split():
            by_key &= Q(search_name__trigram_word_similar=word)
        whole_key = set(Case.objects.filter(by_key))
        found = set(name_matches(Case.objects.all(), query))
        assert found and found <= whole_key, query


def test_words_no_key_holds_any_more_are_forgotten_at_night(make_case):
    from cases.tasks import name_words_prune_task
    from config.celery import app

    case = make_case(given_name_latn="Zozanxatun", family_name_latn="Sorani", given_name_ar="")
    make_case(given_name_latn="Perwîn", family_name_latn="Sorani", given_name_ar="")
    kept = AlternateName.objects.create(case=case, full_name="Perwin Berfixan", script="latn")
    dropped = AlternateName.objects.create(case=case, full_name="Xezalxan", script="latn")
    assert _known("zozanxatun", "berfixan", "xezalxan") == {"zozanxatun", "berfixan", "xezalxan"}
    # A name corrected, a wrong alternate name removed.
    case_update_identity(
        case=case, changes={"given_name_latn": "Zozan"}, actor=None, expected_version=1
    )
    dropped.delete()
    name_words_prune_task.delay()
    # The words no key holds are gone; those another key holds stay, alternate names included.
    assert _known("zozanxatun", "xezalxan", "zozan", "sorani", "perwin", "berfixan") == {
        "zozan",
        "sorani",
        "perwin",
        "berfixan",
    }
    assert kept.search_name == "perwin berfixan"
    assert name_words_prune() == 0
    assert "cases.tasks.name_words_prune_task" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
