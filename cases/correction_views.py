"""Pages for correcting an event's date: a caseworker asks, a supervisor of the office decides
(cases.corrections holds the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from access import policy
from audit.services import audit_log

from .corrections import (
    event_correction_decide,
    event_correction_request,
    may_decide_correction,
    may_request_correction,
)
from .forms import PartialDateFormField, add_service_errors
from .models import EventCorrection


class CorrectionForm(forms.Form):
    date = PartialDateFormField(label=gettext_lazy("Corrected date"))
    source = forms.CharField(label=gettext_lazy("Source of the corrected date"), max_length=300)
    reason = forms.CharField(
        label=gettext_lazy("Why the recorded date is wrong"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=1000)


def _event_of(user: Any, case_pk: Any, event_pk: Any):
    case = policy.case_get_for(user, case_pk)  # 404, audited, for a case not visible
    event = policy.events_visible_to(user).filter(case=case, pk=event_pk).first()
    if event is None:
        raise Http404
    return case, event


@login_required
@require_http_methods(["GET", "POST"])
def event_correct(request: HttpRequest, pk: Any, event_pk: Any) -> HttpResponse:
    user = policy.web_user(request.user)
    case, event = _event_of(user, pk, event_pk)
    if not may_request_correction(user, case):
        audit_log(action="denied", subject=case, actor=request.user)
        raise PermissionDenied
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event_correction_request(event=event, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The correction awaits a supervisor's decision."))
            return redirect("cases:detail", pk=case.pk)
    return render(
        request,
        "cases/event_correct.html",
        {"case": case, "event": event, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def correction_decide(request: HttpRequest, pk: Any, correction_pk: Any) -> HttpResponse:
    user = policy.web_user(request.user)
    case = policy.case_get_for(user, pk)
    correction = EventCorrection.objects.filter(pk=correction_pk, event__case=case).first()
    if correction is None:
        raise Http404
    if not may_decide_correction(user, correction, case):
        audit_log(action="denied", subject=correction, actor=request.user)
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            event_correction_decide(
                correction=correction,
                approve=form.cleaned_data["decision"] == "approve",
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for message in getattr(error, "messages", [str(error)]):
                messages.error(request, message)
        else:
            messages.success(request, _("The decision is recorded."))
    else:
        messages.error(request, _("Choose to approve or reject."))
    return redirect("cases:detail", pk=case.pk)
