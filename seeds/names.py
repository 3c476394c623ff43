"""Invented names. Every name is built from syllables that are not a name in themselves, so no
seeded record can be mistaken for a real person; each syllable has an Arabic-script form, so the
two scripts of a record agree, and Latin variants give the alternate spellings search must find.
"""

import random

# (Latin, Arabic script)
SYLLABLES: list[tuple[str, str]] = [
    ("ba", "با"),
    ("da", "دا"),
    ("ri", "ري"),
    ("zan", "زان"),
    ("ki", "كي"),
    ("lo", "لو"),
    ("mi", "مي"),
    ("na", "نا"),
    ("sha", "شا"),
    ("ve", "ڤي"),
    ("ro", "رو"),
    ("di", "دي"),
    ("ya", "يا"),
    ("ge", "گي"),
    ("ho", "هو"),
    ("se", "سي"),
    ("ta", "تا"),
    ("vin", "ڤين"),
    ("dar", "دار"),
    ("zi", "زي"),
    ("ne", "ني"),
    ("mar", "مار"),
    ("lin", "لين"),
    ("kar", "كار"),
    ("hez", "هيز"),
    ("bir", "بير"),
    ("jo", "جو"),
    ("sar", "سار"),
    ("tel", "تيل"),
    ("qa", "قا"),
]
FEMININE_ENDINGS: list[tuple[str, str]] = [("ya", "يا"), ("ne", "ني"), ("lin", "لين"), ("va", "ڤا")]
FAMILY_SUFFIX: tuple[str, str] = ("ani", "اني")

# Latin spellings families and other registries use for the same sounds.
LATIN_VARIANTS: list[tuple[str, str]] = [
    ("sh", "ş"),
    ("v", "w"),
    ("k", "q"),
    ("i", "ee"),
    ("o", "u"),
    ("j", "dj"),
    ("e", "a"),
]


def _compose(
    rng: random.Random, parts: int, ending: tuple[str, str] | None = None
) -> tuple[str, str]:
    chosen = [rng.choice(SYLLABLES) for _ in range(parts)]
    if ending:
        chosen.append(ending)
    latin = "".join(s[0] for s in chosen)
    return latin.capitalize(), "".join(s[1] for s in chosen)


def given_name(rng: random.Random, sex: str) -> tuple[str, str]:
    if sex == "female":
        return _compose(rng, rng.choice((1, 2)), rng.choice(FEMININE_ENDINGS))
    return _compose(rng, rng.choice((2, 3)))


def family_name(rng: random.Random) -> tuple[str, str]:
    return _compose(rng, 2, FAMILY_SUFFIX)


def latin_variant(rng: random.Random, name: str) -> str | None:
    applicable = [(a, b) for a, b in LATIN_VARIANTS if a in name.lower()]
    if not applicable:
        return None
    a, b = rng.choice(applicable)
    return name.lower().replace(a, b, 1).title()
