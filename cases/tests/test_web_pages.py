"""The caseworker's pages (cases.views): home, list and search, the case page, its actions, the
lost-update-protected edit, registration with possible duplicates, and relatives."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp

from access import policy
from access.models import Role
from access.second_factor import totp_device_enrol
from access.services import user_create
from audit.models import AuditEntry
from cases import views
from cases.lifecycle import EventType, Status
from cases.models import AlternateName, Case
from cases.services import case_transition, case_update_identity
from families.models import Kinship, Relative
from families.services import relative_add

PASSWORD = "a-long-test-passphrase-2014"


@pytest.fixture
def people(offices):
    return {
        name: user_create(username=name, role=role, offices=codes, password=PASSWORD)
        for name, role, codes in [
            ("caseworker-duhok", Role.CASEWORKER, ["DHK"]),
            ("caseworker-sinjar", Role.CASEWORKER, ["SNJ"]),
            ("supervisor-duhok", Role.SUPERVISOR, ["DHK"]),
            ("analyst", Role.ANALYST, []),
        ]
    }


def login(client, user):
    """Log in through the real login form, with a TOTP code where the role needs one."""
    data = {"username": user.username, "password": PASSWORD}
    if policy.roles_of(user) & {Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}:
        device = totp_device_enrol(user=user)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        data["otp_token"] = f"{code:0{device.digits}d}"
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, response.content[:500]
    return client


def last_sequence() -> int:
    return AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def entries_after(sequence: int, **filters):
    return list(AuditEntry.objects.filter(sequence__gt=sequence, **filters).order_by("sequence"))


def html(response) -> str:
    return response.content.decode()


# --- the site's address and home ------------------------------------------------------------


def test_root_sends_the_anonymous_to_login_and_the_signed_in_home(client, people):
    assert client.get("/").url == reverse("login")
    login(client, people["caseworker-duhok"])
    assert client.get("/").url == reverse("cases:home")


def test_home_lists_what_needs_action_in_my_offices(client, people, make_case, offices):
    new_report = make_case(office=offices["duhok"], given_name_latn="Newreport")
    rescued = make_case(office=offices["duhok"], given_name_latn="Rescuedone")
    case_transition(
        case=rescued,
        event_type=EventType.RESCUED,
        on=dt.date.today().isoformat(),
        actor=None,
        source="office",
    )
    make_case(office=offices["sinjar"], given_name_latn="Othersoffice")
    login(client, people["caseworker-duhok"])
    before = last_sequence()
    response = client.get(reverse("cases:home"))
    page = html(response)
    assert response.status_code == 200
    assert "Newreport" in page and "Rescuedone" in page
    assert "Othersoffice" not in page
    assert "Rescued, no aid disbursed yet" in page
    assert reverse("cases:detail", args=[new_report.pk]) in page
    # The names shown are a view of personal data: one audit entry naming the cases.
    (viewed,) = entries_after(before, action="view", subject_type="cases.case")
    assert set(viewed.changes["ids"]) == {str(new_report.pk), str(rescued.pk)}


def test_home_for_a_role_without_case_records_is_a_page_not_an_error(client, people):
    login(client, people["analyst"])
    response = client.get(reverse("cases:home"))
    assert response.status_code == 200
    assert "does not work with individual case records" in html(response)


# --- list, search, pages --------------------------------------------------------------------


def test_list_shows_only_my_offices_and_counts_them(client, people, make_case, offices):
    mine = make_case(office=offices["duhok"], given_name_latn="Mineone")
    make_case(office=offices["sinjar"], given_name_latn="Theirsone")
    login(client, people["caseworker-duhok"])
    before = last_sequence()
    response = client.get(reverse("cases:list"))
    page = html(response)
    assert response.status_code == 200
    assert "Mineone" in page and "Theirsone" not in page
    assert "1 case found" in page
    (viewed,) = entries_after(before, action="view", subject_type="cases.case")
    assert viewed.changes["ids"] == [str(mine.pk)]
    assert "captivity_notes" in viewed.changes["fields"]


@pytest.mark.parametrize(
    "query",
    [
        "احمد خيري",  # no hamza, ya for alef maqsura
        "أَحْمَد",  # with tashkeel
        "أحـــمد",  # with tatweel
        "خیری",  # Farsi yeh (Kurdish keyboards)
        "xeri",  # Latin without accents
        "XÊRÎ",  # Latin, other case
        "Kheri",  # the alternate spelling recorded for the case
    ],
)
def test_search_finds_a_person_by_any_spelling(client, people, make_case, offices, query):
    wanted = make_case(
        office=offices["duhok"],
        given_name_ar="أحمد",
        family_name_ar="خيرى",
        given_name_latn="Ehmed",
        family_name_latn="Xêrî",
    )
    AlternateName.objects.create(case=wanted, full_name="Ahmad Kheri", script="latn")
    make_case(
        office=offices["duhok"],
        given_name_ar="ليلى",
        given_name_latn="Leyla",
        family_name_latn="Qasim",
    )
    login(client, people["caseworker-duhok"])
    response = client.get(reverse("cases:list"), {"q": query})
    page = html(response)
    assert wanted.case_number in page
    assert "Leyla" not in page
    assert "1 case found" in page


def test_search_key_is_kept_current_on_every_write(make_case, offices):
    case = make_case(given_name_ar="فاطمة", given_name_latn="Fatima")
    assert case.search_name == "فاطمه fatima"
    case = case_update_identity(
        case=case, changes={"given_name_latn": "Fatîma"}, actor=None, expected_version=1
    )
    assert Case.objects.get(pk=case.pk).search_name == "فاطمه fatima"
    case = case_update_identity(
        case=case, changes={"given_name_ar": "نادية"}, actor=None, expected_version=2
    )
    assert Case.objects.get(pk=case.pk).search_name == "ناديه fatima"


def test_filters_narrow_the_list(client, people, make_case, offices, gazetteer):
    girl = make_case(age_at_abduction=12, given_name_latn="Girlcase", abducted_on="2014-08-03")
    make_case(age_at_abduction=30, given_name_latn="Womancase", abducted_on="2014-08-03")
    make_case(
        sex="male",
        age_at_abduction=12,
        given_name_latn="Boycase",
        abducted_on="2015",
        reported_on="2016",
    )
    login(client, people["caseworker-duhok"])
    page = html(client.get(reverse("cases:list"), {"sex": "female", "age_group": "10-17"}))
    assert "Girlcase" in page and "Womancase" not in page and "Boycase" not in page
    page = html(client.get(reverse("cases:list"), {"year": "2015"}))
    assert "Boycase" in page and "Girlcase" not in page
    page = html(
        client.get(reverse("cases:list"), {"origin": gazetteer["kocho"].pk, "status": "missing"})
    )
    assert girl.case_number in page and "3 cases found" in page
    page = html(client.get(reverse("cases:list"), {"status": "rescued"}))
    assert "0 cases found" in page


def _walk(client, url, params, link_rel):
    """Follow next (or previous) links from `url`, collecting the case numbers of each page.
    The links are relative to the list's address (`?...`)."""
    seen, pages = [], 0
    response = client.get(url, params)
    url = url.split("?")[0]
    while True:
        page = html(response)
        seen.extend(re.findall(r">(T-\d{5})</a>", page))
        pages += 1
        link = re.search(rf'rel="{link_rel}" href="([^"]+)"', page)
        if not link:
            return seen, pages
        response = client.get(url + link.group(1).replace("&amp;", "&"))


@pytest.mark.parametrize(
    "sort", ["case_number", "-case_number", "name", "-abducted", "-registered"]
)
def test_keyset_pages_walk_every_case_once_both_ways(client, people, make_case, monkeypatch, sort):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    numbers = [make_case(given_name_latn=f"Name{i % 3}").case_number for i in range(8)]
    login(client, people["caseworker-duhok"])
    url = reverse("cases:list")
    forward, pages = _walk(client, url, {"sort": sort}, "next")
    assert sorted(forward) == sorted(numbers) and pages == 3
    if sort.lstrip("-") == "case_number":
        assert forward == sorted(numbers, reverse=sort.startswith("-"))
    # From the last page, previous links lead back over the same cases.
    last = html(client.get(url, {"sort": sort}))
    while (link := re.search(r'rel="next" href="([^"]+)"', last)) is not None:
        last_url = url + link.group(1).replace("&amp;", "&")
        last = html(client.get(last_url))
    backward, _pages = _walk(client, last_url, {}, "prev")
    assert len(backward) == len(numbers) and sorted(backward) == sorted(numbers)
    assert "8 cases found" in last


def test_a_malformed_cursor_gives_the_first_page(client, people, make_case):
    case = make_case()
    login(client, people["caseworker-duhok"])
    response = client.get(reverse("cases:list"), {"after": "not-a-cursor!"})
    assert response.status_code == 200 and case.case_number in html(response)


def _list_queries(client, size_of_page: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:list"), {"q": "testa"})
    assert response.status_code == 200
    assert len(re.findall(r">(T-\d{5})</a>", html(response))) == size_of_page
    return len(queries)


def test_the_list_issues_as_many_queries_for_a_long_page_as_for_a_short_one(
    client, people, make_case, monkeypatch
):
    for _ in range(12):
        make_case()
    login(client, people["caseworker-duhok"])
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    short = _list_queries(client, 2)
    monkeypatch.setattr(views, "PAGE_SIZE", 12)
    long = _list_queries(client, 12)
    assert short == long


def test_htmx_search_answers_with_the_results_only(client, people, make_case):
    case = make_case()
    login(client, people["caseworker-duhok"])
    response = client.get(
        reverse("cases:list"), {"q": "testa"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-results"
    )
    page = html(response)
    assert case.case_number in page
    assert "<html" not in page and 'id="case-results"' in page


# --- the case page ----------------------------------------------------------------------------


@pytest.fixture
def duhok_case(make_case, offices):
    case = make_case(
        office=offices["duhok"],
        captivity_notes="held in Raqqa",
        health_notes="needs care",
        birth_date="1990-03-04",
        age_at_abduction=None,
    )
    relative_add(
        case=case,
        relationship=Kinship.Relationship.MOTHER,
        relative=Relative(
            full_name_latn="Mother Testa",
            sex="female",
            phone="+964 750 000 0000",
            address="Khanke camp",
            consent="given",
            consent_recorded_on=dt.date(2016, 1, 1),
            consent_dna_matching=True,
        ),
    )
    return case


def test_case_page_shows_the_case_and_audits_the_view(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    before = last_sequence()
    response = client.get(reverse("cases:detail", args=[duhok_case.pk]))
    page = html(response)
    assert response.status_code == 200
    for value in ("held in Raqqa", "needs care", "1990-03-04", "+964 750 000 0000", "Khanke camp"):
        assert value in page
    assert "Reported missing" in page  # the timeline
    assert "Record: Rescued" in page  # an action allowed now
    assert "Closed as a duplicate" not in page  # a supervisor's step
    views_of_case = entries_after(before, action="view", subject_id=str(duhok_case.pk))
    assert any("captivity_notes" in entry.changes.get("fields", []) for entry in views_of_case)
    assert entries_after(before, action="view", subject_type="families.relative")


def test_supervisor_sees_approval_steps_and_the_access_history(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    client.get(reverse("cases:detail", args=[duhok_case.pk]))
    client.logout()
    login(client, people["supervisor-duhok"])
    page = html(client.get(reverse("cases:detail", args=[duhok_case.pk])))
    assert "Record: Closed as a duplicate" in page
    assert "Who has seen or changed this record" in page
    assert "caseworker-duhok" in page  # who looked at it


def test_caseworker_gets_no_access_history(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    page = html(client.get(reverse("cases:detail", args=[duhok_case.pk])))
    assert "Who has seen or changed this record" not in page


def test_recording_a_rescue_puts_it_on_the_timeline(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:event-create", args=[duhok_case.pk, EventType.RESCUED])
    response = client.post(
        url,
        {
            "rescued-type": "rescued",
            "rescued-version": 1,
            "rescued-date": "2016-02",
            "rescued-source": "Duhok office",
        },
    )
    assert response.status_code == 302
    duhok_case.refresh_from_db()
    assert duhok_case.status == Status.RESCUED
    page = html(client.get(response.url))
    assert "Recorded: Rescued." in page
    assert "Duhok office" in page


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2014-13", "Give a date as YYYY, YYYY-MM or YYYY-MM-DD."),
        ("2013", "before the abduction"),
        ((dt.date.today() + dt.timedelta(days=40)).isoformat(), "is in the future"),
    ],
)
def test_a_refused_event_shows_why_and_keeps_what_was_typed(
    client, people, duhok_case, date, message
):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:event-create", args=[duhok_case.pk, EventType.RESCUED])
    response = client.post(
        url,
        {
            "rescued-type": "rescued",
            "rescued-version": 1,
            "rescued-date": date,
            "rescued-source": "a careful source",
            "rescued-note": "typed with care",
        },
    )
    page = html(response)
    assert response.status_code == 400
    assert message in page
    assert 'value="a careful source"' in page and "typed with care" in page
    assert "Nothing was recorded" in page
    duhok_case.refresh_from_db()
    assert duhok_case.status == Status.MISSING


def test_an_event_on_a_stale_page_is_refused(client, people, duhok_case):
    case_transition(
        case=duhok_case, event_type=EventType.CAPTIVITY_CONFIRMED, on="2015", actor=None, source="x"
    )
    login(client, people["caseworker-duhok"])
    url = reverse("cases:event-create", args=[duhok_case.pk, EventType.INFORMATION_RECEIVED])
    response = client.post(
        url,
        {
            "information_received-type": "information_received",
            "information_received-version": 1,
            "information_received-date": "2016",
            "information_received-source": "phone call",
        },
    )
    assert response.status_code == 400
    assert "changed by someone else" in html(response)
    assert duhok_case.events.count() == 2


def test_a_caseworker_may_not_close_a_case_and_the_refusal_is_audited(
    client, people, duhok_case, make_case
):
    original = make_case()
    login(client, people["caseworker-duhok"])
    before = last_sequence()
    url = reverse("cases:event-create", args=[duhok_case.pk, EventType.CLOSED_DUPLICATE])
    response = client.post(
        url,
        {
            "closed_duplicate-type": "closed_duplicate",
            "closed_duplicate-version": 1,
            "closed_duplicate-date": "2016",
            "closed_duplicate-source": "review",
            "closed_duplicate-duplicate_of": original.case_number,
        },
    )
    assert response.status_code == 403
    assert entries_after(before, action="denied", subject_id=str(duhok_case.pk))
    duhok_case.refresh_from_db()
    assert duhok_case.status == Status.MISSING


def test_a_supervisor_closes_a_duplicate(client, people, duhok_case, make_case):
    original = make_case()
    login(client, people["supervisor-duhok"])
    url = reverse("cases:event-create", args=[duhok_case.pk, EventType.CLOSED_DUPLICATE])
    data = {
        "closed_duplicate-type": "closed_duplicate",
        "closed_duplicate-version": 1,
        "closed_duplicate-date": "2016",
        "closed_duplicate-source": "review",
        "closed_duplicate-duplicate_of": "NO-SUCH",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "No such case." in html(response)
    response = client.post(url, {**data, "closed_duplicate-duplicate_of": original.case_number})
    assert response.status_code == 302
    duhok_case.refresh_from_db()
    assert duhok_case.status == Status.CLOSED_DUPLICATE
    assert duhok_case.duplicate_of_id == original.pk


def test_identification_events_are_not_recorded_as_bare_events(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:event-create", args=[duhok_case.pk, EventType.REMAINS_IDENTIFIED])
    assert client.post(url, {}).status_code == 404


def test_the_case_page_issues_as_many_queries_with_many_relatives_and_events(
    client, people, make_case
):
    def queries_for(case) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
        return len(queries)

    def with_family(size: int):
        case = make_case()
        for i in range(size):
            relative_add(
                case=case,
                relationship="sibling",
                relative=Relative(full_name_latn=f"Sibling {i}", sex="male"),
            )
            case_transition(
                case=case,
                event_type=EventType.INFORMATION_RECEIVED,
                on=f"{2015 + i}",
                actor=None,
                source="x",
            )
        return case

    login(client, people["supervisor-duhok"])
    small, large = with_family(1), with_family(6)
    queries_for(small)  # warm the per-request caches alike
    assert queries_for(small) == queries_for(large)


# --- identity edits -----------------------------------------------------------------------------


def _edit_data(case, **changes):
    data = {
        "version": case.version,
        "given_name_latn": case.given_name_latn,
        "given_name_ar": case.given_name_ar,
        "sex": case.sex,
        "community": case.community,
        "origin": case.origin_id,
        "abducted_on": str(case.abducted_on),
        "age_at_abduction": case.age_at_abduction or "",
        "birth_date": str(case.birth_date or ""),
        "captivity_notes": case.captivity_notes,
        "health_notes": case.health_notes,
    }
    data.update(changes)
    return data


def test_an_identity_edit_is_saved(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:edit", args=[duhok_case.pk])
    assert 'name="version" value="1"' in html(client.get(url))
    response = client.post(url, _edit_data(duhok_case, given_name_latn="Testa Renamed"))
    assert response.status_code == 302
    duhok_case.refresh_from_db()
    assert duhok_case.given_name_latn == "Testa Renamed" and duhok_case.version == 2


def test_a_stale_edit_is_refused_showing_the_newer_values(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:edit", args=[duhok_case.pk])
    stale = _edit_data(duhok_case, given_name_latn="Mine")
    # Someone else saves first.
    case_update_identity(
        case=duhok_case,
        changes={"given_name_latn": "Theirs"},
        actor=people["caseworker-duhok"],
        expected_version=1,
    )
    response = client.post(url, stale)
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this case" in page
    assert "Theirs" in page  # the newer values shown
    assert 'value="Mine"' in page  # what the user typed, kept
    assert 'name="version" value="2"' in page  # saving again now is deliberate
    duhok_case.refresh_from_db()
    assert duhok_case.given_name_latn == "Theirs" and duhok_case.version == 2


def test_a_bad_edit_names_the_field(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:edit", args=[duhok_case.pk])
    response = client.post(url, _edit_data(duhok_case, abducted_on="August"))
    assert response.status_code == 400
    assert "Give a date as YYYY, YYYY-MM or YYYY-MM-DD." in html(response)
    response = client.post(url, _edit_data(duhok_case, birth_date="2020", age_at_abduction=""))
    assert response.status_code == 400
    assert "The birth date is after the abduction." in html(response)


# --- registration -----------------------------------------------------------------------------


def _register_data(offices, gazetteer, **changes):
    data = {
        "given_name_ar": "نادية",
        "given_name_latn": "Nadia",
        "father_name_latn": "Murad",
        "sex": "female",
        "community": "yazidi",
        "origin": gazetteer["kocho"].pk,
        "abducted_on": "2014-08-15",
        "office": offices["duhok"].pk,
        "reported_on": "2014-09",
        "source": "her brother",
    }
    data.update(changes)
    return data


def test_registration_shows_possible_duplicates_first(
    client, people, make_case, offices, gazetteer
):
    existing = make_case(given_name_ar="ناديه", given_name_latn="Nadiya", father_name_latn="Murad")
    login(client, people["caseworker-duhok"])
    url = reverse("cases:create")
    response = client.post(url, _register_data(offices, gazetteer))
    page = html(response)
    assert "Possible duplicates" in page and existing.case_number in page
    assert Case.objects.count() == 1
    assert 'name="confirmed" value="True"' in page or 'name="confirmed" value="on"' in page
    response = client.post(url, {**_register_data(offices, gazetteer), "confirmed": "on"})
    assert response.status_code == 302
    created = Case.objects.exclude(pk=existing.pk).get()
    assert created.given_name_latn == "Nadia" and created.status == Status.MISSING
    assert created.events.get().recorded_by == people["caseworker-duhok"]


def test_registration_without_duplicates_goes_straight_through(client, people, offices, gazetteer):
    login(client, people["caseworker-duhok"])
    response = client.post(reverse("cases:create"), _register_data(offices, gazetteer))
    assert response.status_code == 302
    assert Case.objects.get().search_name == "ناديه nadia murad"


def test_registration_refuses_another_office_and_bad_dates(client, people, offices, gazetteer):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:create")
    response = client.post(url, _register_data(offices, gazetteer, office=offices["sinjar"].pk))
    assert response.status_code == 400 and Case.objects.count() == 0
    response = client.post(url, _register_data(offices, gazetteer, reported_on="2013"))
    assert response.status_code == 400
    assert "before the abduction" in html(response)
    assert Case.objects.count() == 0


# --- relatives --------------------------------------------------------------------------------


def test_a_relative_is_added_with_consent(client, people, duhok_case):
    login(client, people["caseworker-duhok"])
    url = reverse("cases:relative-create", args=[duhok_case.pk])
    data = {
        "full_name_latn": "Brother Testa",
        "relationship": "sibling",
        "sex": "male",
        "phone": "0750",
        "consent": "given",
        "consent_dna_matching": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Say when the consent was recorded." in html(response)
    response = client.post(url, {**data, "consent_recorded_on": "2017-05-01"})
    assert response.status_code == 302
    kinship = Kinship.objects.get(case=duhok_case, relationship="sibling")
    assert kinship.relative.consent_dna_matching is True
    assert "Brother Testa" in html(client.get(reverse("cases:detail", args=[duhok_case.pk])))


def test_near_spellings_are_found_by_trigram_similarity_on_postgresql(make_case):
    """PostgreSQL finds a near spelling (pg_trgm); SQLite's fallback only finds the same key."""
    from cases.search import name_matches

    wanted = make_case(given_name_latn="Khalida", family_name_latn="Hasan")
    found = list(name_matches(Case.objects.all(), "Khaleda Hasan"))
    if connection.vendor == "postgresql":
        assert found == [wanted]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'cases_case_search_name_trgm'"
            )
            (definition,) = cursor.fetchone()
        assert "gin_trgm_ops" in definition
    else:
        assert found == []
    assert list(name_matches(Case.objects.all(), "khalida")) == [wanted]


def test_bulk_loaded_cases_get_their_search_key(gazetteer, offices):
    from cases.services import NewCaseHistory, NewEvent, case_histories_bulk_create

    case = Case(
        case_number="BULK-1",
        given_name_ar="إيمان",
        given_name_latn="Îman",
        sex="female",
        origin=gazetteer["kocho"],
        office=offices["duhok"],
        abducted_on="2014",
    )
    history = NewCaseHistory(
        case=case, events=[NewEvent(type="reported_missing", on="2015", source="x")]
    )
    case_histories_bulk_create(histories=[history])
    assert Case.objects.get(case_number="BULK-1").search_name == "ايمان iman"


def test_a_partner_role_adds_nothing_to_the_case_pages(client, people, make_case, offices):
    """Partners are API only: a caseworker who also holds the partner role sees on the pages
    exactly what the caseworker role gives, not the cases of the partner's agreement."""
    from django.contrib.auth.models import Group

    from access.models import PartnerAgreement

    user = people["caseworker-duhok"]
    user.groups.add(Group.objects.get(name=Role.PARTNER))
    PartnerAgreement.objects.create(
        name="both", partner=user, valid_from="2020-01-01", fields=["given_name_latn"]
    ).offices.set([offices["sinjar"]])
    theirs = make_case(office=offices["sinjar"])
    relative_add(
        case=theirs,
        relationship="mother",
        relative=Relative(
            full_name_latn="M",
            sex="female",
            consent="given",
            consent_recorded_on=dt.date(2016, 1, 1),
            consent_share_with_partners=True,
        ),
    )
    mine = make_case(office=offices["duhok"])
    assert policy.cases_visible_to(user).filter(pk=theirs.pk).exists()  # over the API
    login(client, user)
    assert client.get(reverse("cases:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("cases:detail", args=[theirs.pk])).status_code == 404
    assert theirs.case_number not in html(client.get(reverse("cases:list")))
