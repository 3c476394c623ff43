"""The reports area: the list of reports, each report as of a day (form, chart, table), the
figures reconciliation, and the drill-down from a figure to the cases it counts.

Who may see what is the access policy's: reports for roles with `report: view`; a list of cases
(the worklist, a drill-down) only for roles that may see cases, limited to those
`policy.cases_visible_to` gives them, and written to the audit trail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access import policy
from audit.services import audit_log

from .charts import chart_svg
from .forms import FiguresFilterForm, ReportParametersForm
from .models import FiguresRun, PublishedFigure
from .registry import may_view_reports, report_get_for, reports_available_to
from .selectors import (
    CONFLICT,
    EXPLAINED,
    MATCH,
    MISMATCH,
    NOT_PUBLISHED,
    NOT_TRACKED,
    figure_cases_visible_to,
    figure_drillable,
    figure_get,
    figures_reconcile,
)

DRILL_PAGE_SIZE = 100
# What a drill-down shows of each case (then only what the user's role may see on it).
DRILL_FIELDS = [
    "case_number",
    "sex",
    "age_at_abduction",
    "status",
    "office",
    "origin",
    "rescued_on",
    "remains_returned_on",
]


def _require_reports(request: HttpRequest, subject_type: str = "reports.report") -> None:
    if not may_view_reports(request.user):
        audit_log(action="denied", subject_type=subject_type, actor=request.user)
        raise PermissionDenied


def status_labels() -> dict[str, str]:
    return {
        MATCH: _("match"),
        MISMATCH: _("mismatch"),
        CONFLICT: _("conflict"),
        NOT_PUBLISHED: _("not published"),
        NOT_TRACKED: _("not tracked"),
    }


def may_drill_down(user) -> bool:
    return policy.allowed(user, policy.VIEW, "case")


@require_GET
@login_required
def report_index(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    sections: dict[str, list] = {}
    for report in reports_available_to(request.user):
        sections.setdefault(str(report.section), []).append(report)
    return render(request, "reports/index.html", {"sections": sections})


@require_GET
@login_required
def report_detail(request: HttpRequest, key: str) -> HttpResponse:
    _require_reports(request)
    report = report_get_for(request.user, key)
    form = ReportParametersForm(report, request.GET)
    table = chart = None
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        params = {p.name: data[p.name] for p in report.parameters}
        table = report.compute_shown(request.user, data["as_of"], **params)
        chart = chart_svg(table, report.chart, chart_id=f"chart-{report.key}")
    else:
        status = 400
    rows, total = [], None
    if table is not None:
        numeric = [column.kind != "dimension" for column in table.columns]
        rows = [list(zip(row, numeric, strict=True)) for row in table.rows]
        total = rows.pop() if table.has_total_row and rows else None
    return render(
        request,
        "reports/report.html",
        {
            "report": report,
            "form": form,
            "table": table,
            "rows": rows,
            "total": total,
            "chart": chart,
            "query": form.query() if table is not None else "",
        },
        status=status,
    )


@require_GET
@login_required
def figures(request: HttpRequest) -> HttpResponse:
    _require_reports(request, "reports.publishedfigure")
    form = FiguresFilterForm(request.GET or None)
    as_of = form.cleaned_data.get("as_of") if form.is_bound and form.is_valid() else None
    results = figures_reconcile(as_of=as_of)
    drill = may_drill_down(request.user)
    labels = status_labels()
    relations = dict(PublishedFigure.Relation.choices)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return render(
        request,
        "reports/figures.html",
        {
            "form": form,
            "results": [
                {
                    "result": result,
                    "drill": drill and figure_drillable(result.key) and result.computed is not None,
                    "status": labels.get(result.status, result.status),
                    "relation": relations.get(result.relation, result.relation),
                }
                for result in results
            ],
            "counts": [(s, labels.get(s, s), n) for s, n in sorted(counts.items())],
            "unexplained": sum(n for status, n in counts.items() if status not in EXPLAINED),
            "nightly": FiguresRun.objects.order_by("-run_on").first(),
        },
    )


@require_GET
@login_required
def figure_cases(request: HttpRequest, ref: str) -> HttpResponse:
    """The cases a ledger figure counts, among those the user may see; one page at a time (by
    case number), each page written to the audit trail with the ids and fields shown."""
    _require_reports(request, "reports.publishedfigure")
    if not may_drill_down(request.user):
        audit_log(action="denied", subject_type="cases.case", actor=request.user)
        raise PermissionDenied
    figure = figure_get(ref)
    visible = figure_cases_visible_to(user=request.user, figure=figure)
    after = request.GET.get("after", "")
    page_cases = list(
        visible.filter(case_number__gt=after)
        .select_related("office", "origin")
        .order_by("case_number")[: DRILL_PAGE_SIZE + 1]
    )
    more = len(page_cases) > DRILL_PAGE_SIZE
    page_cases = page_cases[:DRILL_PAGE_SIZE]
    status_labels = dict(page_cases[0]._meta.get_field("status").choices) if page_cases else {}
    rows, shown = [], set()
    for case in page_cases:
        may_see = policy.case_fields_for(request.user, case)
        values = {
            "case_number": case.case_number,
            "sex": case.get_sex_display(),
            "age_at_abduction": case.age_at_abduction,
            "status": status_labels.get(case.status, case.status),
            "office": case.office.name,
            "origin": case.origin.name_latn,
            "rescued_on": case.rescued_on,
            "remains_returned_on": case.remains_returned_on,
        }
        shown |= {name for name in DRILL_FIELDS if name in may_see}
        rows.append((case, [values[f] if f in may_see else None for f in DRILL_FIELDS]))
    if page_cases:
        audit_log(
            action="view",
            subject_type="cases.case",
            actor=request.user,
            changes={
                "ids": [str(case.pk) for case in page_cases],
                "fields": sorted(shown),
                "figure": figure.ref,
            },
        )
    labels = {
        "case_number": _("Case"),
        "sex": _("Sex"),
        "age_at_abduction": _("Age when abducted"),
        "status": _("Status now"),
        "office": _("Office"),
        "origin": _("Place of origin"),
        "rescued_on": _("Rescued on"),
        "remains_returned_on": _("Remains returned on"),
    }
    return render(
        request,
        "reports/figure_cases.html",
        {
            "figure": figure,
            "visible_count": visible.count(),
            "columns": [labels[f] for f in DRILL_FIELDS],
            "rows": rows,
            "next_after": page_cases[-1].case_number if more else None,
        },
    )
