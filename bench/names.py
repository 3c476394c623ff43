"""The name-search row of the benchmark: queries drawn from the names of cases in the database,
typed the way people search (a given name with the father's or the family name, in Arabic or
Latin script), a third of them in another spelling of the same name.

The other spellings are those cases.search.normalise folds to the same key (an alef with hamza,
a Farsi yeh, a keheh, tashkeel or a tatweel; Latin accents, capitals or a doubled letter), so
every query should find the case it was drawn from: the bench checks a few before the load.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from urllib.parse import urlencode

NAME_QUERIES = 200  # distinct queries, requested round robin under load
NAME_QUERY_SEED = 2014
VARIANT_SHARE = 3  # one query in VARIANT_SHARE is another spelling

# (pattern, replacement): each swaps letters for others that normalise() folds back.
_ARABIC_VARIANTS: tuple[tuple[str, str], ...] = (
    (r"^\u0627", "\u0623"),  # initial alef -> alef with hamza above
    (r"\u064a", "\u06cc"),  # ya -> Farsi yeh (Kurdish and Persian keyboards)
    (r"\u064a$", "\u0649"),  # final ya -> alef maqsura
    (r"\u0643", "\u06a9"),  # kaf -> keheh
    (r"\u0647$", "\u0629"),  # final heh -> teh marbuta
    (r"\u0641", "\u06a4"),  # feh -> veh (the Kurdish v)
    (r"^(.)", "\\1\u064e"),  # a fatha (tashkeel) on the first letter
    (r"^(..)", "\\1\u0640"),  # a tatweel stretching the second letter
)
_LATIN_VARIANTS: tuple[tuple[str, str], ...] = (
    (r"e", "ê"),
    (r"i", "î"),
    (r"u", "û"),
    (r"a", "â"),
    (r"([rnlsm])", r"\1\1"),  # a doubled consonant ("Hajji", "Haji")
)


@dataclass(frozen=True)
class NameQuery:
    text: str
    script: str  # "ar" or "latn"
    variant: bool  # another spelling than the one recorded
    second: str  # the name after the given name: "father" or "family"
    case_id: str  # the case the name was drawn from
    case_number: str

    @property
    def url(self) -> str:
        return "/api/v1/cases/?" + urlencode({"name": self.text})

    @property
    def own_case_url(self) -> str:
        """The query narrowed to the case it was drawn from: one result if it finds it."""
        return self.url + "&" + urlencode({"case_number": self.case_number})


def spelling_variant(name: str, rng: random.Random) -> str:
    """Another spelling of `name` with the same search key (normalise(variant) == normalise(name)),
    never the name itself."""
    arabic = any("\u0600" <= ch <= "\u06ff" for ch in name)
    words = name.split()
    index = rng.randrange(len(words))
    word = words[index]
    if arabic:
        options = [(p, r) for p, r in _ARABIC_VARIANTS if re.search(p, word)]
    else:
        word = word.lower()
        options = [(p, r) for p, r in _LATIN_VARIANTS if re.search(p, word)]
    if options:
        pattern, replacement = rng.choice(options)
        word = re.sub(pattern, replacement, word, count=1)
    if not arabic and rng.random() < 0.5:
        word = word.upper()
    if word == words[index]:  # nothing applied (a one-letter word): stretch it instead
        word = word + "\u0640" if arabic else word.swapcase()
    words[index] = word
    return " ".join(words)


def name_queries(
    people: list[dict[str, str]], *, count: int = NAME_QUERIES, seed: int = NAME_QUERY_SEED
) -> list[NameQuery]:
    """`count` queries from these cases (dicts with id, case_number and the given, father's and
    family names in both scripts): alternately Arabic and Latin, a given name with the father's
    or the family name, one in VARIANT_SHARE in another spelling. Deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    queries = []
    for position, person in enumerate(people[:count]):
        script = "ar" if position % 2 == 0 else "latn"
        second = rng.choice(("father", "family"))
        words = [person[f"given_name_{script}"], person[f"{second}_name_{script}"]]
        text = " ".join(word for word in words if word)
        if not text:
            continue
        variant = position % VARIANT_SHARE == 0
        if variant:
            text = spelling_variant(text, rng)
        queries.append(
            NameQuery(text, script, variant, second, str(person["id"]), person["case_number"])
        )
    return queries


def people_sample(queryset, count: int = NAME_QUERIES) -> list[dict[str, str]]:
    """`count` cases at random from the queryset, with the names the queries are made of."""
    fields = ["id", "case_number"] + [
        f"{part}_name_{script}"
        for part in ("given", "father", "family")
        for script in ("ar", "latn")
    ]
    return list(queryset.order_by("?").values(*fields)[:count])
