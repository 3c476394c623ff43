"""The forensic pages: grave sites, exhumations, remains awaiting identification, identifications
(proposed by one person, confirmed by another) and the handover of identified remains.

Thin views: the policy says who may see and do what, the services do the writing, and the forms
carry the services' refusals back to the user by field. Sites and remains are not personal data;
an identification names a case, which is shown through the policy (fields by role, audited).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access import policy
from audit.services import audit_log
from cases.forms import add_service_errors
from cases.lifecycle import Status
from families.services import handover_record

from . import forms
from .models import GraveSite, Identification
from .services import (
    exhumation_start,
    grave_site_confirm,
    grave_site_report,
    identification_confirm,
    identification_propose,
    identification_withdraw,
    remains_record,
)

PAGE_SIZE = 50


def _require(request: HttpRequest, action: str, resource: str) -> None:
    """Deny unless the matrix allows; a refusal is in the trail like every denied access."""
    if not policy.allowed(request.user, action, resource):
        audit_log(action="denied", subject_type=f"graves.{resource}", actor=request.user)
        raise PermissionDenied


def _get(queryset, pk) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _keyset(rows: list, key: str) -> tuple[list, str | None]:
    """One more row than shown was fetched: its presence says there is a next page."""
    if len(rows) > PAGE_SIZE:
        return rows[:PAGE_SIZE], getattr(rows[PAGE_SIZE - 1], key)
    return rows, None


def _form_page(request, form, *, title: str, intro: str = "", back: str) -> HttpResponse:
    return render(
        request,
        "form_page.html",
        {"form": form, "title": title, "intro": intro, "back": back},
        status=400 if form.is_bound and form.errors else 200,
    )


def _submit(request, form, write, *, title: str, back: str, intro: str = "", done: str):
    """Validate the form, call the service, and on a refusal show the form again with the
    reason under the field it concerns (nothing typed is lost)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = write(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(result if isinstance(result, str) else back)
    return _form_page(request, form, title=title, intro=intro, back=back)


# --- Sites ------------------------------------------------------------------------------------


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, "grave_site")
    form = forms.SiteFilterForm(request.GET or None)
    sites = policy.grave_sites_visible_to(request.user).select_related("place")
    if form.is_valid():
        if form.cleaned_data["q"]:
            text = form.cleaned_data["q"]
            sites = sites.filter(Q(code__icontains=text) | Q(name__icontains=text))
        if form.cleaned_data["status"]:
            sites = sites.filter(status=form.cleaned_data["status"])
    total = sites.count()
    after = request.GET.get("after", "")
    page = sites.filter(code__gt=after) if after else sites
    rows, next_after = _keyset(list(page.order_by("code")[: PAGE_SIZE + 1]), "code")
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "graves/site_list.html",
        {
            "form": form,
            "sites": rows,
            "total": total,
            "next_after": next_after,
            "query": query.urlencode(),
            "may_report": policy.allowed(request.user, policy.CREATE, "grave_site"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_report(request: HttpRequest) -> HttpResponse:
    _require(request, policy.CREATE, "grave_site")
    form = forms.SiteReportForm(request.POST or None)

    def write(data):
        site = form.save(commit=False)
        site = grave_site_report(
            site=site,
            reported_on=data["reported_on"],
            source=data["source"],
            estimated_victims=data.get("estimated_victims"),
        )
        return site.get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Report a grave site"),
        back="graves:site-list",
        done=_("The site is recorded as suspected."),
    )


@login_required
def site_detail(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.VIEW, "grave_site")
    site = _get(policy.grave_sites_visible_to(request.user).select_related("place"), pk)
    exhumations = policy.exhumations_visible_to(request.user).filter(site=site)
    remains = (
        policy.remains_visible_to(request.user)
        .filter(site=site)
        .annotate(
            live_identifications=Count(
                "identifications", filter=~Q(identifications__status="withdrawn")
            )
        )
    )
    may_change = policy.allowed(request.user, policy.CHANGE, "grave_site")
    return render(
        request,
        "graves/site_detail.html",
        {
            "site": site,
            "reports": site.reports.order_by("reported_on"),
            "exhumations": exhumations.annotate(remains_count=Count("remains")),
            "remains": remains.order_by("code")[:500],
            "may_confirm": may_change and site.status == GraveSite.Status.SUSPECTED,
            "may_exhume": policy.allowed(request.user, policy.CREATE, "exhumation")
            and site.status != GraveSite.Status.SUSPECTED,
            "may_record_remains": policy.allowed(request.user, policy.CREATE, "remains"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_confirm(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.CHANGE, "grave_site")
    site = _get(policy.grave_sites_visible_to(request.user), pk)
    form = forms.SiteConfirmForm(request.POST or None)
    return _submit(
        request,
        form,
        lambda data: grave_site_confirm(
            site=site, on=data["on"], source=data["source"]
        ).get_absolute_url(),
        title=_("Confirm site %(code)s") % {"code": site.code},
        back=site.get_absolute_url(),
        done=_("The site is confirmed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def exhumation_new(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.CREATE, "exhumation")
    site = _get(policy.grave_sites_visible_to(request.user), pk)
    form = forms.ExhumationStartForm(request.POST or None)

    def write(data):
        exhumation_start(site=site, started_on=data["started_on"], team=data["team"])
        return site.get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Start an exhumation at %(code)s") % {"code": site.code},
        intro=_("Starting the first exhumation marks the site as opened."),
        back=site.get_absolute_url(),
        done=_("The exhumation is recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def remains_new(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.CREATE, "remains")
    exhumation = _get(policy.exhumations_visible_to(request.user).select_related("site"), pk)
    form = forms.RemainsForm(request.POST or None)

    def write(data):
        remains = form.save(commit=False)
        return remains_record(remains=remains, exhumation=exhumation).get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Record remains from %(site)s") % {"site": exhumation.site.code},
        back=exhumation.site.get_absolute_url(),
        done=_("The remains are recorded."),
    )


# --- Remains and identifications --------------------------------------------------------------


@login_required
def remains_worklist(request: HttpRequest) -> HttpResponse:
    """Remains awaiting identification: none proposed or confirmed for them."""
    _require(request, policy.VIEW, "remains")
    form = forms.RemainsFilterForm(request.GET or None)
    remains = (
        policy.remains_visible_to(request.user)
        .exclude(identifications__status__in=["proposed", "confirmed"])
        .select_related("site")
    )
    if form.is_valid():
        if form.cleaned_data["site"]:
            remains = remains.filter(site__code=form.cleaned_data["site"])
        if form.cleaned_data["sample_status"]:
            remains = remains.filter(sample_status=form.cleaned_data["sample_status"])
    total = remains.count()
    after = request.GET.get("after", "")
    page = remains.filter(code__gt=after) if after else remains
    rows, next_after = _keyset(list(page.order_by("code")[: PAGE_SIZE + 1]), "code")
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "graves/remains_list.html",
        {
            "form": form,
            "remains": rows,
            "total": total,
            "next_after": next_after,
            "query": query.urlencode(),
        },
    )


def _case_summary(user, case) -> dict[str, Any] | None:
    """The case an identification names, as this user may see it (a view, audited), or None
    when the case is not among theirs."""
    if not policy.cases_visible_to(user).filter(pk=case.pk).exists():
        return None
    return policy.case_as_dict(user, case)


@login_required
def remains_detail(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.VIEW, "remains")
    remains = _get(policy.remains_visible_to(request.user).select_related("site"), pk)
    identifications = policy.identifications_visible_to(request.user).filter(remains=remains)
    live = identifications.exclude(status=Identification.Status.WITHDRAWN).exists()
    return render(
        request,
        "graves/remains_detail.html",
        {
            "remains": remains,
            "identifications": identifications.select_related("case").order_by("created_at"),
            "may_propose": not live
            and policy.allowed(request.user, policy.CREATE, "identification"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_new(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.CREATE, "identification")
    remains = _get(policy.remains_visible_to(request.user), pk)
    form = forms.IdentificationProposeForm(request.POST or None)

    def write(data):
        case = policy.cases_visible_to(request.user).filter(case_number=data["case_number"]).first()
        if case is None:
            raise ValidationError({"case_number": _("No case with this number.")})
        identification = identification_propose(
            remains=remains,
            case=case,
            method=data["method"],
            identified_on=data["identified_on"],
            match_statistic=data.get("match_statistic"),
            actor=request.user,
        )
        return identification.get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Propose an identification of %(code)s") % {"code": remains.code},
        intro=_("Another member of the forensic team confirms it before the case changes."),
        back=remains.get_absolute_url(),
        done=_("The identification is proposed and awaits confirmation by a second person."),
    )


@login_required
def identification_detail(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.VIEW, "identification")
    identification = _get(
        policy.identifications_visible_to(request.user).select_related(
            "remains", "remains__site", "case", "proposed_by", "confirmed_by"
        ),
        pk,
    )
    user, case = request.user, identification.case
    is_proposed = identification.status == Identification.Status.PROPOSED
    may_decide = policy.allowed(user, policy.APPROVE, "identification")
    # Through the policy: forensic does not see handovers (the family's affair).
    handover = policy.handovers_visible_to(user).filter(case=case).first()
    return render(
        request,
        "graves/identification_detail.html",
        {
            "identification": identification,
            "case": _case_summary(user, case),
            "case_status_label": case.get_status_display(),
            "handover": handover,
            "may_confirm": may_decide
            and is_proposed
            and identification.proposed_by_id != getattr(user, "pk", None),
            "own_proposal": is_proposed and identification.proposed_by_id == user.pk,
            "may_withdraw": may_decide
            and identification.status != Identification.Status.WITHDRAWN
            and case.status != Status.REMAINS_RETURNED,
            "may_hand_over": handover is None
            and identification.status == Identification.Status.CONFIRMED
            and case.status == Status.REMAINS_IDENTIFIED
            and policy.allowed(user, policy.CREATE, "handover")
            and case.office_id in policy.offices_writable_by(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_confirm_view(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.APPROVE, "identification")
    identification = _get(policy.identifications_visible_to(request.user), pk)
    form = forms.IdentificationConfirmForm(request.POST or None, initial={"on": dt.date.today()})

    def write(data):
        identification_confirm(
            identification=identification, actor=request.user, on=data["on"], source=data["source"]
        )
        return identification.get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Confirm the identification"),
        intro=_("Confirming records the identification on the case's timeline."),
        back=identification.get_absolute_url(),
        done=_("The identification is confirmed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def identification_withdraw_view(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.APPROVE, "identification")
    identification = _get(policy.identifications_visible_to(request.user), pk)
    form = forms.IdentificationWithdrawForm(request.POST or None)

    def write(data):
        identification_withdraw(
            identification=identification,
            actor=request.user,
            on=data["on"],
            source=data["source"],
            reason=data["reason"],
        )
        return identification.get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Withdraw the identification"),
        back=identification.get_absolute_url(),
        done=_("The identification is withdrawn."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def handover_new(request: HttpRequest, pk) -> HttpResponse:
    """Remains returned to the family: recorded by the caseworkers of the case's office."""
    _require(request, policy.CREATE, "handover")
    identification = _get(
        policy.identifications_visible_to(request.user).select_related("case"), pk
    )
    case = identification.case
    if case.office_id not in policy.offices_writable_by(request.user):
        raise Http404
    relatives = policy.relatives_visible_to(request.user).filter(kinships__case=case)
    form = forms.HandoverForm(request.POST or None, relatives=relatives)

    def write(data):
        handover_record(
            case=case,
            identification=identification,
            handed_over_on=data["handed_over_on"],
            actor=request.user,
            source=data["source"],
            receiving_relative=data.get("receiving_relative"),
            burial_note=data.get("burial_note", ""),
            ceremony=data.get("ceremony", ""),
        )
        return identification.get_absolute_url()

    return _submit(
        request,
        form,
        write,
        title=_("Record the return of the remains to the family"),
        back=identification.get_absolute_url(),
        done=_("The handover is recorded; the case is closed as remains returned."),
    )
