"""The web UI in Arabic, Central Kurdish (Sorani) and Northern Kurdish (Kurmanji).

The catalogues are complete (every msgid has a translation, none fuzzy, the same placeholders),
the committed .mo files hold what the .po files say (a fresh clone needs no gettext), translated
pages carry their language and direction and show no English from the layout, and the language
switcher remembers the choice. Glossary and workflow: docs/translations.md.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from access.models import Role
from access.services import user_create

BASE_DIR = Path(settings.BASE_DIR)
TRANSLATED = ["ar", "ckb", "kmr"]
RIGHT_TO_LEFT = {"ar", "ckb"}
NPLURALS = {"ar": 6, "ckb": 2, "kmr": 2}
PASSWORD = "a-long-test-passphrase-2014"


# --- a small .po reader (the standard library has none; no dependency for this) -------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list), flags.
    Obsolete entries (#~) are left out: gettext ignores them too."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple | None = None

    def finish():
        nonlocal entry
        if entry is not None and "msgid" in entry:
            entries.append(entry)
        entry = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "line": raw}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field = ("msgctxt",)
            entry["msgctxt"] = _unquote(line[8:])
        elif line.startswith("msgid_plural "):
            field = ("msgid_plural",)
            entry["msgid_plural"] = _unquote(line[13:])
        elif line.startswith("msgid "):
            field = ("msgid",)
            entry["msgid"] = _unquote(line[6:])
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            field = ("msgstr", index)
            entry["msgstr"][index] = _unquote(line[line.index("]") + 2 :])
        elif line.startswith("msgstr "):
            field = ("msgstr", 0)
            entry["msgstr"][0] = _unquote(line[7:])
        elif line.startswith('"') and field is not None:
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += _unquote(line)
            else:
                entry[field[0]] += _unquote(line)
    finish()
    return [e for e in entries if not e.get("obsolete")]


def catalogues() -> list[tuple[str, Path]]:
    """Every catalogue in LOCALE_PATHS, as (language, path)."""
    found = []
    for locale_path in settings.LOCALE_PATHS:
        for po in sorted(Path(locale_path).glob("*/LC_MESSAGES/django.po")):
            found.append((po.parent.parent.name, po))
    return found


CATALOGUES = catalogues()
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sdr]|%[sd]|\{[A-Za-z_]*\}")


def _id(value):
    return str(value.relative_to(BASE_DIR)) if isinstance(value, Path) else value


def test_every_language_has_a_catalogue():
    languages = {language for language, _ in CATALOGUES}
    assert set(TRANSLATED) <= languages
    assert {code for code, _ in settings.LANGUAGES} == {"en", *TRANSLATED}


@pytest.mark.parametrize(("language", "po"), CATALOGUES, ids=_id)
def test_every_msgid_is_translated_with_the_same_placeholders(language, po):
    entries = read_po(po)
    header = next(e for e in entries if e["msgid"] == "")
    assert "fuzzy" not in header["flags"], f"{po}: the header is fuzzy"
    nplurals = int(re.search(r"nplurals=(\d+)", header["msgstr"][0]).group(1))
    assert nplurals == NPLURALS[language]
    problems = []
    for entry in entries:
        if entry["msgid"] == "":
            continue
        name = repr(entry["msgid"][:60])
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {name}")
        forms = entry["msgstr"]
        expected = nplurals if "msgid_plural" in entry else 1
        if sorted(forms) != list(range(expected)):
            problems.append(f"{len(forms)} forms instead of {expected}: {name}")
        wanted = set(PLACEHOLDER.findall(entry["msgid"] + entry.get("msgid_plural", "")))
        for form in forms.values():
            if not form.strip():
                problems.append(f"empty: {name}")
            elif set(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"placeholders differ: {name} -> {form!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("language", "po"), CATALOGUES, ids=_id)
def test_the_committed_mo_holds_every_entry_of_the_po(language, po):
    """compilemessages was run after the last change to the .po (a clone needs no gettext)."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run manage.py compilemessages --ignore=.venv"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    stale = []
    for entry in read_po(po):
        if entry["msgid"] == "":
            continue
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            for index, form in entry["msgstr"].items():
                if compiled.get((msgid, index)) != form:
                    stale.append(repr(entry["msgid"][:60]))
        elif compiled.get(msgid) != entry["msgstr"][0]:
            stale.append(repr(entry["msgid"][:60]))
    assert not stale, f"{mo} is older than {po.name}:\n" + "\n".join(stale)


@pytest.mark.parametrize("language", TRANSLATED)
def test_gettext_uses_the_catalogue(language):
    with translation.override(language):
        assert translation.gettext("Log in") != "Log in"
        assert translation.get_language_bidi() == (language in RIGHT_TO_LEFT)


def test_yazidi_is_spelled_one_way_in_each_language():
    """One spelling per language (docs/translations.md), never a variant."""
    spelling = {"ar": "إيزيدي", "ckb": "ئێزیدی", "kmr": "Êzîd"}  # kmr: Êzîdî, Êzîdiyên
    variants = {"ar": r"(?<!إ)يزيدي", "ckb": r"یەزیدی|ئیزیدی", "kmr": r"Ezidi|Yezîdî|Yazidi"}
    for language, po in CATALOGUES:
        if language not in spelling:
            continue
        for entry in read_po(po):
            for form in entry["msgstr"].values():
                if "Yazidi" in entry["msgid"]:
                    assert spelling[language] in form, form
                assert not re.search(variants[language], form), form


# --- the catalogues are current: every marked string of the code is in them --------------
# What makemessages would extract, found without GNU gettext: calls of the gettext functions
# with literal strings in Python (ast), and Django's own reading of the templates (templatize).

SKIPPED_DIRS = {".venv", "staticfiles", "var", "artifacts", "locale", "node_modules", ".git"}
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop", "_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}


def project_files(suffix: str):
    for path in sorted(BASE_DIR.rglob(f"*{suffix}")):
        parts = set(path.relative_to(BASE_DIR).parts)
        if not parts & SKIPPED_DIRS and not any(part.startswith(".") for part in parts):
            yield path


def _keys_from_call(name: str, args: list) -> tuple | None:
    strings = [a.value if isinstance(a, ast.Constant) else None for a in args]
    if name in SINGULAR and strings[:1] and isinstance(strings[0], str):
        return (None, strings[0], None)
    if name in PLURAL and len(strings) >= 2 and all(isinstance(x, str) for x in strings[:2]):
        return (None, strings[0], strings[1])
    if name in CONTEXT and len(strings) >= 2 and all(isinstance(x, str) for x in strings[:2]):
        return (strings[0], strings[1], None)
    if (
        name in CONTEXT_PLURAL
        and len(strings) >= 3
        and all(isinstance(x, str) for x in strings[:3])
    ):
        return (strings[0], strings[1], strings[2])
    return None


def marked_strings() -> dict[tuple, str]:
    """(msgctxt, msgid, msgid_plural) -> the file marking it."""
    from django.utils.translation.template import templatize

    found: dict[tuple, str] = {}
    for path in project_files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                key = _keys_from_call(name, node.args) if name else None
                if key and key[1]:
                    found.setdefault(key, str(path.relative_to(BASE_DIR)))
    for path in project_files(".html"):
        source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for call in re.finditer(r"\b(n?p?gettext)\(((?:\s*u?'(?:[^'\\]|\\.)*'\s*,?)+)", source):
            strings = [ast.literal_eval(s) for s in re.findall(r"u?'(?:[^'\\]|\\.)*'", call[2])]
            key = _keys_from_call(call[1], [ast.Constant(s) for s in strings])
            if key and key[1]:
                found.setdefault(key, str(path.relative_to(BASE_DIR)))
    return found


def test_marked_strings_are_found():
    """The check below would be worthless if it found nothing."""
    found = marked_strings()
    assert (None, "Log in", None) in found  # a template
    assert (None, "Caseworker", None) in found  # a model's choices


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_is_in_the_catalogue(language):
    """A string added to the code after the last makemessages is caught here, with gettext
    installed or not: run makemessages and translate it (docs/translations.md)."""
    po = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    catalogue = {
        (entry.get("msgctxt"), entry["msgid"], entry.get("msgid_plural")) for entry in read_po(po)
    }
    missing = [
        f"{where}: {key[1]!r}" for key, where in marked_strings().items() if key not in catalogue
    ]
    assert not missing, "\n".join(missing)


# --- locale formats -----------------------------------------------------------------------


def test_kurmanji_is_known_to_django():
    info = translation.get_language_info("kmr")
    assert info["name_local"] == "Kurmancî"
    assert info["bidi"] is False


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_numbers_read_the_same_way_in_every_language(language):
    """Latin digits, a comma between thousands and a dot before decimals, as read in Iraq
    (Django's own Arabic formats have them the other way round: config/formats/ar)."""
    with translation.override(language):
        assert formats.number_format(6417, force_grouping=True) == "6,417"
        assert formats.number_format(0.95, decimal_pos=2) == "0.95"
        # No grouping unless asked: a year or a case number is a number too.
        assert formats.localize(2014) == "2014"


def test_kurmanji_dates_have_kurmanji_month_names():
    import datetime as dt

    with translation.override("kmr"):
        assert formats.date_format(dt.date(2014, 8, 3)) == "3 Tebax 2014"
        assert formats.date_format(dt.date(2014, 8, 3), "SHORT_DATE_FORMAT") == "03/08/2014"
        assert translation.gettext("This field is required.") == "Ev qad pêwîst e."


# --- pages --------------------------------------------------------------------------------

# English words of the layout and the pages tested; none may be left on a translated page.
ENGLISH = [
    *("Missing-persons tracker", "Skip to the content", "Log in", "Log out", "Language"),
    *("Username", "Password", "Authenticator", "Home", "Cases", "Graves", "Reports", "Account"),
    *("Search", "Filters", "Status", "Clear", "Sort by", "Any status", "Age", "Origin", "Name"),
    *("Abducted", "Previous page", "Next page", "case found", "cases found", "Female", "Male"),
    *("Rescued", "Reported missing", "Register"),
]


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # The switcher names every language in its own script: "English" is meant to be there.
    html = re.sub(r'<button[^>]*lang="en"[^>]*>.*?</button>', " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    # Attributes people read too: labels for screen readers and placeholders.
    text += " ".join(re.findall(r'(?:aria-label|placeholder|title)="([^"]*)"', html))
    return re.sub(r"\s+", " ", text)


def english_left(html: str) -> list[str]:
    text = visible_text(html)
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)


@pytest.fixture
def caseworker(offices):
    return user_create(
        username="caseworker-duhok", role=Role.CASEWORKER, offices=["DHK"], password=PASSWORD
    )


def in_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_the_english_words_are_found_on_the_english_pages(client, db):
    """The check below would be worthless if it found nothing on an English page."""
    html = in_language(client, "en").get(reverse("login")).content.decode()
    assert {"Log in", "Username", "Password", "Language"} <= set(english_left(html))


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_login_page_is_translated(client, db, language):
    response = in_language(client, language).get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    assert html_tag(html) == f'<html lang="{language}" dir="{direction}">'
    assert english_left(html) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_case_list_is_translated(client, caseworker, make_case, language):
    make_case(given_name_latn="Nadia", given_name_ar="نادية")
    make_case(sex="male", given_name_latn="Khidir", given_name_ar="خضر")
    in_language(client, language)
    response = client.post(reverse("login"), {"username": "caseworker-duhok", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("cases:list"))
    html = response.content.decode()
    assert response.status_code == 200
    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    assert html_tag(html) == f'<html lang="{language}" dir="{direction}">'
    assert "نادية" in html  # the records themselves are shown as they were written
    assert english_left(html) == []


def test_the_switcher_is_on_every_page_with_each_language_in_its_own_script(client, db):
    html = client.get(reverse("login")).content.decode()
    form = re.search(r'<form class="language-switcher".*?</form>', html, flags=re.S).group(0)
    assert f'action="{reverse("set_language")}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    for code, name in settings.LANGUAGES:
        direction = "rtl" if code in RIGHT_TO_LEFT else "ltr"
        assert (
            f'<button type="submit" name="language" value="{code}" lang="{code}" dir="{direction}"'
        ) in form
        assert f">{name}</button>" in form
    assert 'value="en" lang="en" dir="ltr" aria-current="true"' in form


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_switcher_names_are_not_translated(client, db, language):
    """Each language keeps its own name whatever the page's language (get_available_languages
    would translate them: English would read الإنجليزيّة on an Arabic page)."""
    html = in_language(client, language).get(reverse("login")).content.decode()
    for code, name in settings.LANGUAGES:
        assert name == translation.get_language_info(code)["name_local"]
        assert re.search(rf'value="{code}"[^>]*>{re.escape(name)}</button>', html)


@pytest.mark.parametrize("language", TRANSLATED)
def test_switching_language_sets_the_cookie_and_the_next_page_follows(client, db, language):
    login_url = reverse("login")
    response = client.post(reverse("set_language"), {"language": language, "next": login_url})
    assert response.status_code == 302
    assert response["Location"] == login_url
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == language
    assert int(cookie["max-age"]) == settings.LANGUAGE_COOKIE_AGE  # remembered, not per session
    html = client.get(login_url).content.decode()
    assert f'lang="{language}"' in html_tag(html)
    assert f'value="{language}" lang="{language}"' in html
    assert re.search(rf'value="{language}"[^>]*aria-current="true"', html)


def test_the_choice_outlives_the_session(client, caseworker):
    client.post(reverse("set_language"), {"language": "ckb", "next": "/"})
    client.post(reverse("login"), {"username": "caseworker-duhok", "password": PASSWORD})
    client.post(reverse("logout"))
    html = client.get(reverse("login")).content.decode()
    assert html_tag(html) == '<html lang="ckb" dir="rtl">'
