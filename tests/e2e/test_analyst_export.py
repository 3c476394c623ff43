"""The analyst's journey in a real browser (issue 5, "Done when"): the reports and the figures
reconciliation, then a de-identified XLSX export of a report watched through its progress bar to
the download, opened with openpyxl: right-to-left when asked for in Arabic, and no count from 1
to 9 in any cell.

Celery runs eagerly in tests (no broker), so the job is done before its page first loads. In
English the test holds the task back as a busy worker would, sees the job queued at 0, runs the
task itself and watches the page's htmx polling bring the bar to 100; in Arabic the job is done at
once, and the bar must stand at its maximum all the same."""

import openpyxl
import pytest
from django.utils import translation
from playwright.sync_api import expect

from access.models import Role
from audit.models import AuditEntry
from cases.lifecycle import EventType
from cases.services import case_transition
from exports.models import ExportJob
from exports.tasks import export_run as export_run_task

pytestmark = pytest.mark.django_db(transaction=True)

SUPPRESSED = "x"


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def cases_by_age(make_case):
    """18-29: 10 missing; 30-44: 10 rescued; 10-14: 2 missing, a small row that the export
    must suppress (with a second row, so that it cannot be worked out from the total)."""
    for n in range(10):
        make_case(case_number=f"A-{n:02d}", age_at_abduction=22)
        rescued = make_case(case_number=f"B-{n:02d}", age_at_abduction=35, sex="male")
        case_transition(
            case=rescued, event_type=EventType.RESCUED, on="2016-03-01", actor=None, source="t"
        )
    for n in range(2):
        make_case(case_number=f"C-{n:02d}", age_at_abduction=12)


def _(text: str, language: str) -> str:
    """A string of the UI as the server shows it in `language` (the same catalogues)."""
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_analyst_exports_a_suppressed_xlsx_through_the_progress_bar(
    journey, person, cases_by_age, language, tmp_path, monkeypatch
):
    person("analyst", Role.ANALYST)
    page = journey.page
    journey.login("analyst")

    if language == "en":
        # The reports first: the index, a report as of a chosen day, the reconciliation.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
        journey.shot("reports")
        page.get_by_role("link", name="By age group when abducted").click()
        page.get_by_label("As of").fill("2016-12-31")
        page.get_by_role("button", name="Show").click()
        table = page.get_by_role("table").first
        expect(table).to_contain_text("18-29")
        expect(table).to_contain_text("30-44")
        journey.shot("report-as-of")
        page.get_by_role("link", name="All reports").click()
        page.get_by_role("link", name="Figures reconciliation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Figures reconciliation")
        journey.shot("figures")
    else:
        journey.use_language("ar")

    journey.goto("/exports/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("link", name=_("New export", language)).click()
    page.get_by_label(_("What to export", language)).select_option(
        label=_("By age group when abducted", language)
    )
    page.get_by_label(_("Format", language), exact=True).select_option("xlsx")
    journey.shot("export-request")
    queued: list[str] = []
    if language == "en":
        # Hold the job back, as a busy worker would, to watch the page poll its progress.
        monkeypatch.setattr(export_run_task, "delay", queued.append)
    page.get_by_role("button", name=_("Export", language), exact=True).click()

    progress = page.locator("#export-progress")
    bar = progress.get_by_role("progressbar", name=_("Progress", language))
    expect(bar).to_have_attribute("max", "100")
    if queued:
        expect(progress.get_by_text(_("Queued", language), exact=True)).to_be_visible()
        expect(bar).to_have_attribute("value", "0")
        journey.shot("export-queued")
        export_run_task(queued.pop())  # the worker runs it; the page learns by polling
    expect(bar).to_have_attribute("value", "100")
    expect(progress.get_by_text(_("Done", language), exact=True)).to_be_visible()
    journey.shot("export-done")

    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.deidentified
    with page.expect_download() as download_info:
        progress.get_by_role("link", name=_("Download", language)).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    sheet = book.worksheets[0]
    assert bool(sheet.sheet_view.rightToLeft) is (language == "ar")
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    labels = [row[0] for row in rows[1:]]
    assert "18-29" in labels and "30-44" in labels
    numbers = [v for row in rows[1:] for v in row if isinstance(v, int | float)]
    assert numbers, rows  # not everything suppressed: the 30-44 row and the total stay
    assert not [v for v in numbers if 1 <= v <= 9], rows
    assert SUPPRESSED in {v for row in rows for v in row}, rows
    # The small row is there, its numbers suppressed.
    small = next(row for row in rows if row[0] == "10-14")
    assert set(small[1:]) == {SUPPRESSED}
    assert AuditEntry.objects.filter(action="download", actor_username="analyst").exists()
