"""The aid pages: programmes, the eligible cases that have no payment for a month yet, and
recording, paying and reversing a disbursement.

Aid officers see a case's identity and status only (the policy's fields for their role), and
only the rescued cases of their offices; caseworkers and supervisors may look, not pay.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from access import policy
from audit.services import audit_log
from cases.forms import add_service_errors
from graves.forms import DateInput

from .models import AidProgramme, Disbursement
from .services import disbursement_mark_paid, disbursement_record, disbursement_reverse

PAGE_SIZE = 50


def _require(request: HttpRequest, action: str) -> None:
    if not policy.allowed(request.user, action, "disbursement"):
        audit_log(action="denied", subject_type="aid.disbursement", actor=request.user)
        raise PermissionDenied


def _month(text: str | None) -> dt.date:
    """ "2024-03" -> 2024-03-01; anything else -> this month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return dt.date.today().replace(day=1)


class PeriodForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Month"),
        widget=forms.TextInput(attrs={"type": "month"}),
        required=False,
    )


class DisburseForm(forms.Form):
    case = forms.UUIDField(widget=forms.HiddenInput)
    period = forms.DateField(widget=forms.HiddenInput)
    approved_on = forms.DateField(label=gettext_lazy("Approved on"), widget=DateInput)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Leave empty for the programme's standard amount."),
    )


class PaidForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Paid on"), widget=DateInput)
    reference = forms.CharField(
        label=gettext_lazy("Payment reference"), max_length=64, required=False
    )


class ReverseForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Reversed on"), widget=DateInput)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW)
    month = dt.date.today().replace(day=1)
    programmes = policy.aid_programmes_visible_to(request.user).annotate(
        paid_this_month=Count(
            "disbursements",
            filter=Q(
                disbursements__period=month,
                disbursements__case__in=policy.cases_visible_to(request.user).values("pk"),
            ),
        )
    )
    return render(request, "aid/home.html", {"programmes": programmes, "month": month})


def _unpaid(user, programme: AidProgramme, period: dt.date):
    """Cases eligible for the programme in `period` that have no live payment for it: for a
    monthly programme none for that month, for a one-time one none at all."""
    payments = Disbursement.objects.filter(programme=programme, case=OuterRef("pk")).exclude(
        status__in=[Disbursement.Status.FAILED, Disbursement.Status.REVERSED]
    )
    if programme.frequency == AidProgramme.Frequency.MONTHLY:
        payments = Disbursement.objects.filter(
            programme=programme, case=OuterRef("pk"), period=period
        )
    month_end = (period + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return (
        policy.cases_visible_to(user)
        .filter(status=programme.eligible_status)
        .filter(Q(rescued_on__isnull=True) | Q(rescued_on__lte=month_end))
        .exclude(Exists(payments))
    )


@login_required
def programme_detail(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.VIEW)
    user = request.user
    programme = policy.aid_programmes_visible_to(user).filter(pk=pk).first()
    if programme is None:
        raise Http404
    period = _month(request.GET.get("period"))
    unpaid = _unpaid(user, programme, period)
    unpaid_total = unpaid.count()
    after = request.GET.get("after", "")
    page = list(
        (unpaid.filter(case_number__gt=after) if after else unpaid).order_by("case_number")[
            : PAGE_SIZE + 1
        ]
    )
    next_after = page[PAGE_SIZE - 1].case_number if len(page) > PAGE_SIZE else None
    payments = list(
        policy.disbursements_visible_to(user)
        .filter(programme=programme, period=period)
        .select_related("case")
        .order_by("case__case_number")[:500]
    )
    # One audited view for the identities on the page, as for every list of cases.
    shown = policy.cases_as_dicts(user, page[:PAGE_SIZE] + [p.case for p in payments])
    identity = {row["id"]: row for row in shown}
    may_pay = policy.allowed(user, policy.CREATE, "disbursement")
    return render(
        request,
        "aid/programme_detail.html",
        {
            "programme": programme,
            "period": period,
            "period_form": PeriodForm(initial={"period": period.strftime("%Y-%m")}),
            "unpaid": [
                (case, identity[case.pk], DisburseForm(initial={"case": case.pk, "period": period}))
                for case in page[:PAGE_SIZE]
            ],
            "unpaid_total": unpaid_total,
            "next_after": next_after,
            "payments": [(payment, identity[payment.case_id]) for payment in payments],
            "may_pay": may_pay,
            "today": dt.date.today(),
        },
    )


@login_required
@require_POST
def disburse(request: HttpRequest, pk) -> HttpResponse:
    _require(request, policy.CREATE)
    programme = policy.aid_programmes_visible_to(request.user).filter(pk=pk).first()
    if programme is None:
        raise Http404
    form = DisburseForm(request.POST)
    back = reverse("aid:programme", args=[programme.pk])
    if form.is_valid():
        case = policy.cases_visible_to(request.user).filter(pk=form.cleaned_data["case"]).first()
        if case is None:
            raise Http404
        period = form.cleaned_data["period"]
        try:
            disbursement_record(
                programme=programme,
                case=case,
                period=period,
                approved_on=form.cleaned_data["approved_on"],
                amount=form.cleaned_data.get("amount"),
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Payment to %(case)s approved.") % {"case": case.case_number}
            )
            return redirect(f"{back}?period={period:%Y-%m}")
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("Approve a payment"), "back": back},
        status=400,
    )


def _disbursement_step(request, pk, form_class, write, *, title: str, done: str):
    _require(request, policy.CHANGE)
    disbursement = policy.disbursements_visible_to(request.user).filter(pk=pk).first()
    if disbursement is None:
        raise Http404
    back = reverse("aid:programme", args=[disbursement.programme_id])
    back = f"{back}?period={disbursement.period:%Y-%m}"
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            write(disbursement, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(back)
    return render(
        request,
        "form_page.html",
        {"form": form, "title": title, "back": back},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mark_paid(request: HttpRequest, pk) -> HttpResponse:
    return _disbursement_step(
        request,
        pk,
        PaidForm,
        lambda d, data: disbursement_mark_paid(
            disbursement=d, on=data["on"], reference=data.get("reference", "")
        ),
        title=_("Record the payment"),
        done=_("The payment is recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def reverse_payment(request: HttpRequest, pk) -> HttpResponse:
    return _disbursement_step(
        request,
        pk,
        ReverseForm,
        lambda d, data: disbursement_reverse(disbursement=d, on=data["on"]),
        title=_("Reverse the payment"),
        done=_("The payment is reversed."),
    )
