"""Finding a person by any spelling of the name.

Families, offices and partners write the same name many ways: with or without hamza on the
alef, with ya or alef maqsura, Farsi yeh or Arabic ya (Kurdish keyboards), teh marbuta or heh,
keheh or kaf, with diacritics (tashkeel) or a tatweel stretching a letter, and in Latin letters
with or without accents ("Xêrî", "Xeri"). `normalise` folds all of these to one search key,
which is stored beside the names (`NormalisedNameField`) and applied to the query alike, so a
search compares like with like.

On PostgreSQL each query word is matched with pg_trgm word similarity against the words of the
keys (cases migration 0007), which also finds near spellings ("Khalida" / "Khaleda"), and the
whole query against the whole key when that finds no one; on SQLite the fallback is a substring
match on the key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import Q, QuerySet

# Arabic-script letters that stand for the same letter in names, folded to one form.
_ARABIC_FOLD = str.maketrans(
    {
        "\u0622": "\u0627",  # alef with madda -> alef
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0672": "\u0627",  # alef with wavy hamza above -> alef
        "\u0673": "\u0627",  # alef with wavy hamza below -> alef
        "\u0649": "\u064a",  # alef maqsura -> ya
        "\u06cc": "\u064a",  # Farsi yeh (Kurdish, Persian keyboards) -> ya
        "\u06d2": "\u064a",  # yeh barree -> ya
        "\u0626": "\u064a",  # ya with hamza -> ya
        "\u06ce": "\u064a",  # Kurdish yeh with small v -> ya
        "\u06cd": "\u064a",  # yeh with tail -> ya
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06c1": "\u0647",  # heh goal -> heh
        "\u06d5": "\u0647",  # ae (Sorani final e) -> heh
        "\u06be": "\u0647",  # heh doachashmee -> heh
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u06aa": "\u0643",  # swash kaf -> kaf
        "\u0624": "\u0648",  # waw with hamza -> waw
        "\u06c6": "\u0648",  # oe (Kurdish) -> waw
        "\u06c7": "\u0648",  # u -> waw
        "\u06c8": "\u0648",  # yu -> waw
        "\u06cb": "\u0648",  # ve -> waw
        "\u06c4": "\u0648",  # waw with ring -> waw
        "\u0695": "\u0631",  # reh with small v below (Sorani rr) -> reh
        "\u06b5": "\u0644",  # lam with small v (Sorani ll) -> lam
        "\u06a4": "\u0641",  # veh -> feh
        "\u0621": "",  # lone hamza: often dropped in writing
        "\u0640": "",  # tatweel
        # Arabic-Indic and Persian digits, as people type house and case numbers
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)
# Latin letters that accent-stripping (NFKD) does not take apart.
_LATIN_FOLD = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d"})
_SPACES = re.compile(r"[\s\-_.,'\u2019`\u02bc\u02bf\u02be]+")
_REPEATS = re.compile(r"(.)\1+")
# Sorani and Kurmanji in Arabic script begin a word that starts with a vowel with a hamza seat
# (ئاشتی); Arabic writes the same name with an alef (آشتي, اشتي).
_INITIAL_HAMZA_SEAT = re.compile(r"(?<!\w)\u0626")


def normalise(text: str | None) -> str:
    """The search key of a name: one form per letter, no marks, lower case, single spaces.

    Doubled letters are folded too ("Hajji", "Haji"): spellings differ on them more than on
    anything else, and the key is for finding, not for showing.
    """
    if not text:
        return ""
    # NFKD splits accented Latin letters into letter + combining mark, and Arabic presentation
    # forms into their letters; every combining mark (Latin accents, Arabic tashkeel, the
    # superscript alef, Quranic marks) is then dropped.
    decomposed = unicodedata.normalize("NFKD", _INITIAL_HAMZA_SEAT.sub("\u0627", text.casefold()))
    # Alef with madda/hamza decompose to alef + mark under NFKD; waw/ya with hamza likewise, so
    # the marks' removal does most of the folding; the table handles the rest.
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.translate(_ARABIC_FOLD).translate(_LATIN_FOLD)
    spaced = _SPACES.sub(" ", folded).strip()
    return _REPEATS.sub(r"\1", spaced)


class NormalisedNameField(models.CharField):
    """A search key kept current from other fields of the row: computed in pre_save, which
    Django calls on save() and in bulk_create alike (the seed and imports bulk-create cases and
    alternate names), so no writer can forget it. Not edited by hand."""

    def __init__(self, *args: Any, sources: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.sources = tuple(sources)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        for key, value in (("max_length", 1000), ("blank", True), ("editable", False)):
            if kwargs.get(key) == value:
                del kwargs[key]
        if kwargs.get("default") == "":
            del kwargs["default"]
        return name, path, args, kwargs

    def key_for(self, instance: models.Model) -> str:
        return normalise(" ".join(str(getattr(instance, name) or "") for name in self.sources))[
            : self.max_length
        ]

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.key_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value


@NormalisedNameField.register_lookup
class TrigramWordSimilar(models.Lookup):
    """pg_trgm's `%>`: some word sequence of the key is similar to the query (above
    pg_trgm.word_similarity_threshold, 0.6 by default). Served by the GIN trigram index.
    PostgreSQL only; `name_matches` never uses it elsewhere."""

    lookup_name = "trigram_word_similar"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} %%> {rhs}", [*lhs_params, *rhs_params]


# Every word of every search key, kept by triggers (cases migration 0007). PostgreSQL only.
NAME_WORDS_TABLE = "cases_nameword"


@NormalisedNameField.register_lookup
class HasWordIn(models.Lookup):
    """Some word of the key is one of these words (a list): an array overlap, served by the GIN
    index on the key's words (cases migration 0007) and exact, so no row is rechecked.
    PostgreSQL only."""

    lookup_name = "has_word_in"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # The space is written in the SQL, not bound: the expression must be the index's.
        return f"string_to_array({lhs}, ' ') && ({rhs})::text[]", [*lhs_params, *rhs_params]


def near_words(words: list[str]) -> list[list[str]]:
    """For each query word, the words of the keys near it (pg_trgm word similarity, as
    `trigram_word_similar` asks of a whole key), the word itself always among them: found once
    per query word among the distinct words of all the keys (`cases_name_words_near`, cases
    migration 0007), not once per row. PostgreSQL only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cases_name_words_near(q.word) FROM unnest(%s::text[]) WITH ORDINALITY "
            "AS q(word, position) ORDER BY q.position",
            [words],
        )
        found = [row[0] for row in cursor.fetchall()]
    return [sorted({word, *near}) for word, near in zip(words, found, strict=True)]


def name_words_prune() -> int:
    """Forget the words no search key holds any more (a name corrected, an alternate name
    removed), so that a name taken out of the records does not linger in `cases_nameword`;
    nightly (cases.tasks). Each word is looked up in the keys' words indexes. Returns how many
    went. PostgreSQL only (0 elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {NAME_WORDS_TABLE} w "  # noqa: S608 - a constant table name
            "WHERE NOT EXISTS (SELECT FROM cases_case "
            "                  WHERE string_to_array(search_name, ' ') @> ARRAY[w.word]) "
            "AND NOT EXISTS (SELECT FROM cases_alternatename "
            "                WHERE string_to_array(search_name, ' ') @> ARRAY[w.word])"
        )
        return cursor.rowcount


def _key_matches(field: str, key: str, *, whole: bool = False) -> Q:
    """Every word of the (folded) query in the key, in any order: "Khalida Qasim" finds
    "khalida murad qasim" (given and family name, the father's between them). On PostgreSQL each
    query word finds the keys with a word near it (`near_words`: the same word, a near
    spelling, or a longer word holding it); on SQLite by substring. `whole`: the query as one
    string near the key instead (trigram word similarity over the whole key), which finds two
    words each a little off ("Khaleda Hasen") or one word written as two ("Abdulrahman" for
    "Abdul Rahman") but costs several times more at a million cases (docs/performance.md)."""
    postgresql = connection.vendor == "postgresql"
    if whole:
        lookup = "trigram_word_similar" if postgresql else "contains"
        return Q(**{f"{field}__{lookup}": key})
    words = key.split()
    condition = Q()
    if postgresql:
        for near in near_words(words):
            condition &= Q(**{f"{field}__has_word_in": near})
        return condition
    for word in words:
        condition &= Q(**{f"{field}__contains": word})
    return condition


def _matching(model: Any, key: str, *, whole: bool = False) -> QuerySet:
    from .models import AlternateName

    # A union of two index searches (an index on each table), not an OR with EXISTS: an OR
    # across tables makes PostgreSQL read every case to test it. Both keys are alike.
    condition = _key_matches("search_name", key, whole=whole)
    return (
        model.objects.filter(condition)
        .order_by()
        .values("pk")
        .union(AlternateName.objects.filter(condition).order_by().values("case_id"))
    )


@models.UUIDField.register_lookup
class InArray(models.Lookup):
    """`id = ANY(ARRAY(subquery))`: the subquery runs once, and its ids are looked up in the
    primary key's index, which a bitmap scan can OR with another index's rows. (`pk__in` is a
    hashed subplan tested row by row, which an OR turns into reading every case.)
    PostgreSQL only."""

    lookup_name = "in_array"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


def _words_matching(cases: QuerySet, key: str) -> QuerySet:
    """PostgreSQL: the cases with a word near each query word in their key or in one of their
    alternate names, as one scan of the cases: the key's words index ORed with the ids of the
    alternate names found (a union joined back to the cases made the planner hash-join every
    case the caller may see, 340 ms at a million for a common name)."""
    from .models import AlternateName

    condition = _key_matches("search_name", key)
    others = AlternateName.objects.filter(condition).order_by().values("case_id")
    found = cases.model.objects.filter(condition | Q(pk__in_array=others)).order_by().values("pk")
    # The ids are gathered first, in a query of their own: beside the page's ORDER BY and LIMIT
    # the planner may walk the case-number index hoping to meet 51 matches soon, and for a rare
    # name read most of the table (2.5 s at a million).
    return cases.filter(pk__in_array=found)


def name_matches(cases: QuerySet, query: str) -> QuerySet:
    """The cases whose name, or one of whose alternate names, matches the query in any
    spelling. An empty query (after folding) matches everything."""
    key = normalise(query)
    if not key:
        return cases
    if connection.vendor != "postgresql":
        return cases.filter(pk__in=_matching(cases.model, key))
    found = _words_matching(cases, key)
    if not found.exists():
        # No key with a word near each query word: try the whole query against the whole key
        # (slower, and only asked when the quick search found no one among the caller's cases).
        found = cases.filter(pk__in=_matching(cases.model, key, whole=True))
    return found


def possible_duplicates(cases: QuerySet, *, names: list[str], limit: int = 10) -> list[Any]:
    """Cases that may be the same person as a new report with these names: every word of the
    given and father's names found in the key (SQLite), or a similar key (PostgreSQL)."""
    words = [normalise(name) for name in names if normalise(name)]
    if not words:
        return []
    if connection.vendor == "postgresql":
        key = " ".join(words)
        condition = Q(search_name__trigram_word_similar=key) | Q(search_name__contains=key)
    else:
        condition = Q()
        for word in words:
            condition &= Q(search_name__contains=word)
    return list(cases.filter(condition).select_related("office", "origin")[:limit])


# --- keyset pages of the case list --------------------------------------------------------------


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None


def _cursor_of(record: Any, field: str) -> str:
    value = getattr(record, field)
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, str(record.pk)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _parse_cursor(cursor: str, field: models.Field) -> tuple[Any, uuid.UUID] | None:
    """The (sort value, id) a cursor names; None for anything malformed (first page then)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(field, models.DateTimeField):
            value = dt.datetime.fromisoformat(value)
        elif isinstance(field, models.DateField):
            value = dt.date.fromisoformat(value)
        elif not isinstance(value, str):
            return None
        return value, uuid.UUID(pk)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def keyset_page(
    queryset: QuerySet,
    *,
    field: str,
    descending: bool,
    size: int,
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage:
    """One page of `queryset` ordered by (field, id), seeking from a cursor rather than counting
    an OFFSET: a page deep in a national list costs what the first one does. `after` gives the
    page following a cursor, `before` the one preceding it. `field` must never be NULL."""
    model_field = queryset.model._meta.get_field(field)
    backwards = bool(before) and not after
    cursor = _parse_cursor((before if backwards else after) or "", model_field)
    # Walking backwards is walking the reversed order forwards, then turning the page round.
    reverse = descending != backwards
    if cursor is not None:
        value, pk = cursor
        op = "lt" if reverse else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
        )
    order = [f"-{field}", "-pk"] if reverse else [field, "pk"]
    fetched = list(queryset.order_by(*order)[: size + 1])
    more = len(fetched) > size
    items = fetched[:size]
    if backwards:
        items.reverse()
    has_next = more if not backwards else cursor is not None
    has_previous = (cursor is not None) if not backwards else more
    return KeysetPage(
        items=items,
        next_cursor=_cursor_of(items[-1], field) if items and has_next else None,
        previous_cursor=_cursor_of(items[0], field) if items and has_previous else None,
    )
