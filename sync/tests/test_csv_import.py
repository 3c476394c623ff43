"""CSV import of cases and relatives: the service, the API and the caseworkers' page.

Personas: a caseworker of Duhok (imports), a caseworker of Sinjar (the outsider whose cases do
not exist for Duhok) and an analyst (no case records at all).
"""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.urls import include, path, reverse
from rest_framework.test import APIClient

from access.models import Role
from access.services import user_create
from audit.chain import verify_chain
from audit.models import AuditEntry
from cases.models import Case, CaseEvent
from families.models import Kinship, Relative
from sync import csv_import
from sync.csv_import import ALL, CASES, RELATIVES, VALID_ROWS, VALIDATE
from sync.import_urls import web_urlpatterns

# The page is not wired into config/urls.py yet: these tests mount it where it will live.
urlpatterns = [
    path("imports/", include(web_urlpatterns)),
    path("", include("config.urls")),
]

CASE_HEADER = [
    "case_number",
    "given_name_ar",
    "father_name_ar",
    "given_name_latn",
    "family_name_latn",
    "sex",
    "birth_date",
    "age_at_abduction",
    "community",
    "origin",
    "abduction_place",
    "office",
    "abducted_on",
    "reported_on",
    "source",
    "note",
]


def case_row(number: str, **overrides: str) -> dict[str, str]:
    row = {
        "case_number": number,
        "given_name_ar": "نادية",
        "father_name_ar": "خليل",
        "given_name_latn": "Testa",
        "family_name_latn": "Example",
        "sex": "female",
        "birth_date": "1995",
        "age_at_abduction": "",
        "community": "yazidi",
        "origin": "kocho",
        "abduction_place": "sinjar",
        "office": "DHK",
        "abducted_on": "2014-08-03",
        "reported_on": "2014-09",
        "source": "family report",
        "note": "",
    }
    row.update(overrides)
    return row


def to_csv(header: list[str], rows: list[dict[str, str]], *, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


RELATIVE_HEADER = [
    "case_number",
    "full_name_ar",
    "full_name_latn",
    "sex",
    "relationship",
    "phone",
    "address",
    "consent",
    "consent_recorded_on",
    "consent_dna_matching",
    "consent_share_with_partners",
]


def relative_row(number: str, **overrides: str) -> dict[str, str]:
    row = {
        "case_number": number,
        "full_name_ar": "أم تجربة",
        "full_name_latn": "Mother Example",
        "sex": "female",
        "relationship": "mother",
        "phone": "+964 750 000 0000",
        "address": "Camp, tent 12",
        "consent": "given",
        "consent_recorded_on": "2016-01-01",
        "consent_dna_matching": "yes",
        "consent_share_with_partners": "no",
    }
    row.update(overrides)
    return row


@pytest.fixture
def caseworker(offices, gazetteer):
    return user_create(username="caseworker-duhok", role=Role.CASEWORKER, offices=["DHK"])


@pytest.fixture
def caseworker_sinjar(offices):
    return user_create(username="caseworker-sinjar", role=Role.CASEWORKER, offices=["SNJ"])


@pytest.fixture
def analyst(offices):
    return user_create(username="analyst", role=Role.ANALYST)


def run(data: bytes, user, *, kind: str = CASES, mode: str = ALL):
    return csv_import.csv_import(kind=kind, data=data, user=user, mode=mode)


def errors_of(result) -> list[tuple[int | None, str]]:
    return [(error.line, error.field) for error in result.errors]


def import_entries() -> list[AuditEntry]:
    # Filtered in Python: the trail's JSON is stored as json, not jsonb, on PostgreSQL.
    entries = AuditEntry.objects.filter(action="create", subject_id="").order_by("sequence")
    return [entry for entry in entries if "sha256" in entry.changes]


# --- the service: cases ------------------------------------------------------------------------


def test_a_valid_file_imports_every_row_through_the_case_service(caseworker, gazetteer):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2", age_at_abduction="30")])

    result = run(data, caseworker)

    assert (result.rows, result.created, result.errors, result.applied) == (2, 2, [], True)
    case = Case.objects.get(case_number="IMP-1")
    assert case.office.code == "DHK" and case.origin == gazetteer["kocho"]
    assert case.abduction_place == gazetteer["sinjar"]
    assert case.age_at_abduction == 19  # derived by case_register from the birth year
    assert Case.objects.get(case_number="IMP-2").age_at_abduction == 30
    event = CaseEvent.objects.get(case=case)
    assert (event.type, str(event.date), event.recorded_by) == (
        "reported_missing",
        "2014-09",
        caseworker,
    )
    # Each case audited by the service, and one entry for the import: counts and checksum only.
    assert AuditEntry.objects.filter(subject_id=str(case.pk), action="create").exists()
    (entry,) = import_entries()
    assert entry.subject_type == "cases.case" and entry.actor_id == caseworker.pk
    assert entry.changes["sha256"] == hashlib.sha256(data).hexdigest()
    assert (entry.changes["created"], entry.changes["mode"]) == (2, "all")
    assert "Testa" not in str(entry.changes) and "IMP-1" not in str(entry.changes)


def test_one_bad_row_imports_nothing_and_names_line_and_field(caseworker):
    data = to_csv(
        CASE_HEADER,
        [case_row("IMP-1"), case_row("IMP-2", sex="woman"), case_row("IMP-3")],
    )

    result = run(data, caseworker)

    assert not result.applied and result.created == 0
    assert errors_of(result) == [(3, "sex")]
    assert "female" in result.errors[0].message  # says what is accepted
    assert "woman" not in result.errors[0].message  # never echoes the value
    assert not Case.objects.filter(case_number__startswith="IMP-").exists()
    assert not import_entries()


def test_valid_rows_mode_imports_the_others_and_reports_the_bad(caseworker):
    data = to_csv(
        CASE_HEADER,
        [case_row("IMP-1"), case_row("IMP-2", abducted_on="2014-13"), case_row("IMP-3")],
    )

    result = run(data, caseworker, mode=VALID_ROWS)

    assert (result.created, result.applied) == (2, True)
    assert errors_of(result) == [(3, "abducted_on")]
    assert set(Case.objects.values_list("case_number", flat=True)) == {"IMP-1", "IMP-3"}
    assert import_entries()[0].changes["rejected_rows"] == 1


def test_validate_writes_nothing_at_all(caseworker):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2", origin="atlantis")])
    audit_before = AuditEntry.objects.count()

    result = run(data, caseworker, mode=VALIDATE)

    assert (result.rows, result.created, result.applied) == (2, 0, False)
    assert errors_of(result) == [(3, "origin")]
    assert Case.objects.count() == 0 and AuditEntry.objects.count() == audit_before


def test_a_row_reports_all_its_faults(caseworker):
    data = to_csv(
        CASE_HEADER,
        [case_row("", sex="", origin="atlantis", age_at_abduction="-3", reported_on="2099")],
    )

    result = run(data, caseworker, mode=VALIDATE)

    assert set(errors_of(result)) == {
        (2, "case_number"),
        (2, "sex"),
        (2, "age_at_abduction"),
        (2, "origin"),
        (2, "reported_on"),
    }


def test_dates_follow_the_lifecycle_rules(caseworker):
    data = to_csv(
        CASE_HEADER,
        [
            case_row("IMP-1", reported_on="2014-07"),  # before the abduction
            case_row("IMP-2", birth_date="2015"),  # born after it
        ],
    )

    result = run(data, caseworker, mode=VALIDATE)

    assert errors_of(result) == [(2, "reported_on"), (3, "birth_date")]
    assert "before the abduction" in result.errors[0].message


def test_unknown_column_is_a_file_error_naming_it(caseworker):
    data = to_csv([*CASE_HEADER, "favourite_colour"], [case_row("IMP-1")])

    result = run(data, caseworker)

    assert result.file_error and not result.applied
    assert errors_of(result) == [(1, "favourite_colour")]
    assert "Unknown column" in result.errors[0].message


def test_missing_required_column_is_a_file_error_naming_it(caseworker):
    header = [name for name in CASE_HEADER if name != "office"]
    rows = [{k: v for k, v in case_row("IMP-1").items() if k != "office"}]

    result = run(to_csv(header, rows), caseworker)

    assert result.file_error and errors_of(result) == [(1, "office")]
    assert "missing" in result.errors[0].message


def test_a_file_without_its_header_is_refused_without_repeating_the_data(caseworker):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2")]).split(b"\r\n", 1)[1]

    result = run(data, caseworker)

    assert result.file_error and errors_of(result) == [(1, "")]
    assert "Testa" not in result.errors[0].message and "header" in result.errors[0].message


def test_a_column_without_a_name_is_a_header_error(caseworker):
    text = to_csv(CASE_HEADER, [case_row("IMP-1")]).decode().replace("\r\n", ",\r\n")

    result = run(text.encode(), caseworker)

    assert result.file_error and errors_of(result) == [(1, "")]
    assert "no name" in result.errors[0].message


def test_optional_columns_may_be_left_out(caseworker):
    header = ["case_number", "sex", "origin", "office", "abducted_on", "reported_on", "source"]
    rows = [{name: case_row("IMP-1")[name] for name in header}]

    result = run(to_csv(header, rows), caseworker)

    assert result.created == 1
    assert Case.objects.get().community == "yazidi"


def test_a_file_not_in_utf8_is_refused_with_the_line(caseworker):
    # Line 3 saved by a spreadsheet in Windows-1256 (Arabic), the rest in UTF-8.
    row = to_csv(CASE_HEADER, [case_row("IMP-2")]).decode().split("\r\n")[1] + "\r\n"
    data = to_csv(CASE_HEADER, [case_row("IMP-1")]) + row.encode("cp1256")

    result = run(data, caseworker)

    assert result.file_error and result.created == 0
    assert errors_of(result) == [(None, "")]
    assert "not UTF-8" in result.errors[0].message and "line 3" in result.errors[0].message
    assert Case.objects.count() == 0


def test_utf16_is_refused_and_a_utf8_bom_is_tolerated(caseworker):
    utf16 = to_csv(CASE_HEADER, [case_row("IMP-1")]).decode().encode("utf-16")
    assert "UTF-16" in run(utf16, caseworker).errors[0].message

    result = run(to_csv(CASE_HEADER, [case_row("IMP-1")], bom=True), caseworker)

    assert (result.created, result.errors) == (1, [])


def test_duplicate_case_numbers_in_the_file_and_in_the_database(caseworker, make_case):
    make_case(case_number="OLD-1")
    data = to_csv(
        CASE_HEADER, [case_row("IMP-1"), case_row("OLD-1"), case_row("IMP-1"), case_row("IMP-2")]
    )

    result = run(data, caseworker, mode=VALID_ROWS)

    assert errors_of(result) == [(3, "case_number"), (4, "case_number")]
    assert "already registered" in result.errors[0].message
    assert "line 2" in result.errors[1].message
    assert result.created == 2


def test_office_must_be_one_of_the_users(caseworker):
    data = to_csv(CASE_HEADER, [case_row("IMP-1", office="SNJ"), case_row("IMP-2", office="XX")])

    result = run(data, caseworker, mode=VALIDATE)

    assert errors_of(result) == [(2, "office"), (3, "office")]
    assert "not one of your offices" in result.errors[0].message


def test_rows_of_the_wrong_width_and_bad_quoting(caseworker):
    text = to_csv(CASE_HEADER, [case_row("IMP-1")]).decode() + "IMP-2,only,three\r\n"

    result = run(text.encode(), caseworker, mode=VALIDATE)
    assert errors_of(result) == [(3, "")]

    broken = to_csv(CASE_HEADER, [case_row("IMP-1")]).decode() + '"IMP-2"x,a\r\n'
    result = run(broken.encode(), caseworker, mode=VALIDATE)
    assert result.file_error and result.errors[0].line == 3


def test_quotes_commas_newlines_and_arabic_round_trip_exactly(caseworker):
    given_ar = 'نادية "أم سامي"، بنت خليل'
    family_latn = 'Al-"Test", Example'
    note = 'Line one, with "quotes"\nLine two: ئێزدی\r\nLine three'
    data = to_csv(
        CASE_HEADER,
        [
            case_row("IMP-1", given_name_ar=given_ar, family_name_latn=family_latn, note=note),
            case_row("IMP-2", sex="?"),
        ],
    )

    result = run(data, caseworker, mode=VALID_ROWS)

    # The note of line 2 spans three physical lines: the next record starts on line 5.
    assert errors_of(result) == [(5, "sex")]
    case = Case.objects.get(case_number="IMP-1")
    assert (case.given_name_ar, case.family_name_latn) == (given_ar, family_latn)
    assert CaseEvent.objects.get(case=case).note == note


def test_reimporting_the_same_file_finds_only_duplicates(caseworker):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2")])
    assert run(data, caseworker).created == 2
    cases, events = Case.objects.count(), CaseEvent.objects.count()

    again = run(data, caseworker)

    assert (again.created, again.applied) == (0, False)
    assert errors_of(again) == [(2, "case_number"), (3, "case_number")]
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)
    assert len(import_entries()) == 1


def test_limits_on_size_and_rows(caseworker, monkeypatch):
    with pytest.raises(csv_import.ImportTooLarge):
        run(b"x" * (csv_import.MAX_BYTES + 1), caseworker)
    monkeypatch.setattr(csv_import, "MAX_ROWS", 2)
    data = to_csv(CASE_HEADER, [case_row(f"IMP-{n}") for n in range(3)])
    with pytest.raises(csv_import.ImportTooLarge, match="more than 2 rows"):
        run(data, caseworker)
    assert Case.objects.count() == 0


def test_empty_files_are_refused(caseworker):
    assert run(b"", caseworker).file_error
    assert run(to_csv(CASE_HEADER, []), caseworker).file_error


def test_the_service_refuses_a_role_without_the_right(analyst):
    with pytest.raises(PermissionDenied):
        run(to_csv(CASE_HEADER, [case_row("IMP-1")]), analyst)


# --- write-time failures -----------------------------------------------------------------------


def _failing_on(number: str, monkeypatch):
    """case_register that writes the case, then fails at the database for one number: what a
    constraint or a concurrent insert does after the checks passed."""
    real = csv_import.case_register

    def register(*, case, **kwargs):
        registered = real(case=case, **kwargs)
        if case.case_number == number:
            raise IntegrityError("duplicate key value (case_number)=(secret)")
        return registered

    monkeypatch.setattr(csv_import, "case_register", register)


def test_a_write_time_failure_leaves_nothing_half_applied(caseworker, monkeypatch):
    _failing_on("IMP-2", monkeypatch)
    audit_before = AuditEntry.objects.count()
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2"), case_row("IMP-3")])

    result = run(data, caseworker)

    assert (result.created, result.applied) == (0, False)
    assert errors_of(result) == [(3, "")]
    assert "secret" not in result.errors[0].message
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_a_write_time_failure_in_valid_rows_mode_undoes_only_that_row(caseworker, monkeypatch):
    _failing_on("IMP-2", monkeypatch)
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2"), case_row("IMP-3")])

    result = run(data, caseworker, mode=VALID_ROWS)

    assert (result.created, result.applied) == (2, True)
    assert errors_of(result) == [(3, "")]
    assert set(Case.objects.values_list("case_number", flat=True)) == {"IMP-1", "IMP-3"}
    assert CaseEvent.objects.count() == 2
    # The undone row's entries went with it: the trail's chain is whole.
    assert verify_chain().intact


def test_a_case_registered_meanwhile_is_a_row_error_at_write_time(
    caseworker, monkeypatch, make_case
):
    """Someone registers IMP-2 between the checks and the writes: the service refuses it."""
    real = csv_import.case_register

    def register(*, case, **kwargs):
        if case.case_number == "IMP-1":
            make_case(case_number="IMP-2")
        return real(case=case, **kwargs)

    monkeypatch.setattr(csv_import, "case_register", register)
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2")])

    result = run(data, caseworker)

    assert errors_of(result) == [(3, "case_number")]
    assert not result.applied
    assert not Case.objects.filter(case_number="IMP-1").exists()


# --- the service: relatives --------------------------------------------------------------------


def test_relatives_are_added_to_visible_cases_with_their_consent(caseworker, make_case):
    case = make_case(case_number="DHK-1")
    data = to_csv(
        RELATIVE_HEADER,
        [
            relative_row("DHK-1"),
            relative_row(
                "DHK-1",
                full_name_latn='Brother "Sami"',
                full_name_ar="",
                sex="male",
                relationship="sibling",
                consent="",
                consent_recorded_on="",
                consent_dna_matching="",
                phone="",
            ),
        ],
    )

    result = run(data, caseworker, kind=RELATIVES)

    assert (result.created, result.errors) == (2, [])
    mother = Relative.objects.get(kinships__case=case, kinships__relationship="mother")
    assert (mother.consent, str(mother.consent_recorded_on), mother.consent_dna_matching) == (
        "given",
        "2016-01-01",
        True,
    )
    assert mother.phone == "+964 750 000 0000"
    brother = Relative.objects.get(full_name_latn='Brother "Sami"')
    assert brother.consent == "not_asked" and not brother.consent_dna_matching
    (entry,) = import_entries()
    assert entry.subject_type == "families.relative"
    assert "+964" not in str(entry.changes)


def test_relative_of_another_offices_case_is_no_such_case(caseworker, make_case, offices):
    make_case(case_number="SNJ-1", office=offices["sinjar"])
    data = to_csv(RELATIVE_HEADER, [relative_row("SNJ-1"), relative_row("NOWHERE-1")])

    result = run(data, caseworker, kind=RELATIVES, mode=VALIDATE)

    assert errors_of(result) == [(2, "case_number"), (3, "case_number")]
    # The same words whether the case is elsewhere or nowhere: the file cannot probe.
    assert result.errors[0].message == result.errors[1].message == "No such case."


def test_relative_rows_are_checked_field_by_field_without_echoing(caseworker, make_case):
    make_case(case_number="DHK-1")
    data = to_csv(
        RELATIVE_HEADER,
        [
            relative_row("DHK-1", phone="call 0750-SECRET", relationship="neighbour"),
            relative_row("DHK-1", consent="refused", consent_share_with_partners="yes"),
            relative_row("DHK-1", consent="given", consent_recorded_on=""),
            relative_row("DHK-1", full_name_ar="", full_name_latn=""),
            relative_row("DHK-1", consent_dna_matching="maybe"),
        ],
    )

    result = run(data, caseworker, kind=RELATIVES, mode=VALIDATE)

    assert errors_of(result) == [
        (2, "phone"),
        (2, "relationship"),
        (3, "consent_dna_matching"),
        (3, "consent_share_with_partners"),
        (4, "consent_recorded_on"),
        (5, "full_name_latn"),
        (6, "consent_dna_matching"),
    ]
    assert not any("SECRET" in e.message or "neighbour" in e.message for e in result.errors)


def test_reimporting_relatives_finds_only_duplicates(caseworker, make_case):
    make_case(case_number="DHK-1")
    data = to_csv(RELATIVE_HEADER, [relative_row("DHK-1"), relative_row("DHK-1")])
    first = run(data, caseworker, kind=RELATIVES)
    assert errors_of(first) == [(3, "full_name_latn")]  # the same relative twice in the file

    data = to_csv(RELATIVE_HEADER, [relative_row("DHK-1")])
    assert run(data, caseworker, kind=RELATIVES).created == 1
    again = run(data, caseworker, kind=RELATIVES)

    assert errors_of(again) == [(2, "full_name_latn")] and again.created == 0
    assert Kinship.objects.count() == 1


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def api(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


def post_file(client, url: str, data: bytes, mode: str | None = None):
    query = f"?mode={mode}" if mode else ""
    upload = io.BytesIO(data)
    upload.name = "import.csv"
    return client.post(url + query, {"file": upload}, format="multipart")


def test_api_imports_a_multipart_file(api):
    data = to_csv(CASE_HEADER, [case_row("IMP-1")])

    response = post_file(api, reverse("api-import-cases"), data)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "mode": "all",
        "rows": 1,
        "created": 1,
        "errors": [],
        "applied": True,
    }


def test_api_accepts_a_text_csv_body(api):
    data = to_csv(CASE_HEADER, [case_row("IMP-1")], bom=True)

    response = api.post(
        reverse("api-import-cases") + "?mode=validate", data, content_type="text/csv"
    )

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 0 and Case.objects.count() == 0


def test_api_answers_400_with_the_errors_when_nothing_was_applied(api):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2", office="SNJ")])

    response = post_file(api, reverse("api-import-cases"), data)

    assert response.status_code == 400
    body = response.json()
    assert body["applied"] is False and body["created"] == 0
    assert body["errors"] == [
        {"line": 3, "field": "office", "message": "This is not one of your offices."}
    ]

    response = post_file(api, reverse("api-import-cases"), data, mode="valid_rows")
    assert response.status_code == 200 and response.json()["created"] == 1


def test_api_validate_with_errors_is_200_but_an_unreadable_file_is_400(api):
    bad_row = to_csv(CASE_HEADER, [case_row("IMP-1", sex="x")])
    assert post_file(api, reverse("api-import-cases"), bad_row, "validate").status_code == 200
    bad_header = to_csv(["case_number"], [{"case_number": "x"}])
    assert post_file(api, reverse("api-import-cases"), bad_header, "validate").status_code == 400


def test_api_refuses_an_unknown_mode_and_a_missing_file(api):
    response = post_file(api, reverse("api-import-cases"), b"", mode="sometimes")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "mode"
    response = api.post(reverse("api-import-cases"), {}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"


def test_api_refuses_an_oversized_file_with_413(api):
    header = to_csv(CASE_HEADER, []).decode()
    big = (header + "x" * (csv_import.MAX_BYTES + 10)).encode()

    response = post_file(api, reverse("api-import-cases"), big)
    assert response.status_code == 413
    assert response.json()["applied"] is False and "MB" in response.json()["errors"][0]["message"]

    response = api.post(reverse("api-import-cases"), big, content_type="text/csv")
    assert response.status_code == 413

    # Announced as larger than the cap allows: refused before the body is read.
    bigger = big + b"x" * (200 * 1024)
    response = api.post(reverse("api-import-cases"), bigger, content_type="text/csv")
    assert response.status_code == 413 and response.json()["errors"][0]["line"] is None
    assert Case.objects.count() == 0


def test_api_refuses_too_many_rows_with_413(api, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_ROWS", 1)
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2")])
    assert post_file(api, reverse("api-import-cases"), data).status_code == 413


def test_api_refuses_an_analyst_and_audits_it(analyst):
    client = APIClient()
    client.force_authenticate(analyst)
    data = to_csv(CASE_HEADER, [case_row("IMP-1")])

    for name in ("api-import-cases", "api-import-relatives"):
        response = post_file(client, reverse(name), data)
        assert response.status_code == 403

    denied = AuditEntry.objects.filter(action="denied", actor_id=analyst.pk)
    assert set(denied.values_list("subject_type", flat=True)) == {
        "cases.case",
        "families.relative",
    }
    assert Case.objects.count() == 0


def test_api_needs_authentication():
    response = APIClient().post(reverse("api-import-cases"), b"x", content_type="text/csv")
    assert response.status_code in (401, 403)


def test_api_imports_relatives_for_visible_cases_only(api, make_case, offices):
    make_case(case_number="DHK-1")
    make_case(case_number="SNJ-1", office=offices["sinjar"])
    data = to_csv(RELATIVE_HEADER, [relative_row("DHK-1"), relative_row("SNJ-1")])

    response = post_file(api, reverse("api-import-relatives"), data, mode="valid_rows")

    assert response.status_code == 200
    assert response.json()["errors"] == [
        {"line": 3, "field": "case_number", "message": "No such case."}
    ]
    assert Kinship.objects.get().case.case_number == "DHK-1"


@pytest.mark.parametrize("kind", [CASES, RELATIVES])
def test_templates_are_the_documented_header_and_an_example(api, caseworker, kind):
    response = api.get(reverse(f"api-import-template-{kind}"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert header == [column.name for column in csv_import.COLUMNS[kind]]
    assert example[0] == "EXAMPLE-0001"
    # The template itself passes the header check; its example row is refused, not imported.
    result = run(response.content, caseworker, kind=kind, mode=VALIDATE)
    assert not result.file_error and result.errors


def test_the_schema_documents_the_import_endpoints(api):
    response = api.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for kind in (CASES, RELATIVES):
        operation = paths[f"/api/v1/imports/{kind}/"]["post"]
        assert {"multipart/form-data", "text/csv"} <= set(operation["requestBody"]["content"])
        assert {"200", "400", "403", "413"} <= set(operation["responses"])
        assert f"/api/v1/imports/templates/{kind}.csv" in paths


# --- the page ----------------------------------------------------------------------------------


@pytest.fixture
def page(client, caseworker):
    client.force_login(caseworker)
    return client


def upload(client, data: bytes, **fields: str):
    upload = io.BytesIO(data)
    upload.name = "import.csv"
    return client.post(
        reverse("csv-import"), {"kind": CASES, "mode": ALL, "file": upload, **fields}
    )


@pytest.mark.urls(__name__)
def test_page_shows_row_errors_then_imports_the_valid_rows(page):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2", sex="x"), case_row("IMP-3")])

    response = upload(page, data)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert "Nothing was imported." in content and "<code>sex</code>" in content
    assert "<td>3</td>" in content
    assert Case.objects.count() == 0
    follow_up = response.context["next"]
    assert follow_up["mode"] == VALID_ROWS and follow_up["count"] == 2

    response = page.post(
        reverse("csv-import"),
        {key: follow_up[key] for key in ("kind", "mode", "carried", "sha256")},
    )

    assert response.status_code == 200
    assert "Imported 2 cases." in response.content.decode()
    assert set(Case.objects.values_list("case_number", flat=True)) == {"IMP-1", "IMP-3"}


@pytest.mark.urls(__name__)
def test_page_refuses_a_carried_file_that_is_not_the_one_checked(page):
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2", sex="x")])
    follow_up = upload(page, data).context["next"]
    other = to_csv(CASE_HEADER, [case_row("IMP-9"), case_row("IMP-8", sex="x")])
    from sync.import_views import carry

    response = page.post(
        reverse("csv-import"),
        {**follow_up, "carried": carry(other)},
    )

    assert response.status_code == 400
    assert "not the file you checked" in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.urls(__name__)
def test_page_imports_a_clean_file_and_says_so(page):
    response = upload(page, to_csv(CASE_HEADER, [case_row("IMP-1")]), mode=ALL)

    assert response.status_code == 302
    assert "Imported 1 case." in page.get(response["Location"]).content.decode()


@pytest.mark.urls(__name__)
def test_page_refuses_an_oversized_file(page):
    response = upload(page, b"x" * (csv_import.MAX_BYTES + 10))
    assert response.status_code == 413
    assert "MB" in response.content.decode()


@pytest.mark.urls(__name__)
def test_page_is_refused_to_an_analyst(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("csv-import")).status_code == 403
    assert AuditEntry.objects.filter(action="denied", actor_id=analyst.pk).exists()


@pytest.mark.urls(__name__)
def test_page_needs_login(client, db):
    response = client.get(reverse("csv-import"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.urls(__name__)
def test_page_asks_for_the_file_again_when_it_is_too_large_to_carry(page, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 + 10  # leaves 10 characters to carry
    data = to_csv(CASE_HEADER, [case_row("IMP-1"), case_row("IMP-2", sex="x")])

    follow_up = upload(page, data).context["next"]

    assert follow_up["carried"] is None and follow_up["mode"] == VALID_ROWS
    other = to_csv(CASE_HEADER, [case_row("IMP-7"), case_row("IMP-8", sex="x")])
    fields = {"mode": VALID_ROWS, "sha256": follow_up["sha256"]}
    assert upload(page, other, **fields).status_code == 400  # not the file checked
    assert upload(page, data, **fields).status_code == 200
    assert list(Case.objects.values_list("case_number", flat=True)) == ["IMP-1"]
