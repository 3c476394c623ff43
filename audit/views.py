"""The audit trail page for auditors and supervisors."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from access import policy

from .forms import AuditFilterForm
from .models import ChainCheck
from .services import audit_log

PAGE_SIZE = 50


@login_required
def audit_list(request):
    if not policy.allowed(request.user, "view", "audit"):
        audit_log(action="denied", subject_type="audit.auditentry", actor=request.user)
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    entries = policy.audit_entries_visible_to(request.user)
    if form.is_bound and form.is_valid():
        entries = form.apply(entries)
        if form.cleaned_data.get("before"):
            entries = entries.filter(sequence__lt=form.cleaned_data["before"])
    elif form.is_bound:
        entries = entries.none()
    # Keyset page: newest first, one more than shown to know whether older entries exist.
    page = list(entries.order_by("-sequence")[: PAGE_SIZE + 1])
    older = page[PAGE_SIZE - 1].sequence if len(page) > PAGE_SIZE else None
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/entry_list.html",
        {
            "form": form,
            "entries": page[:PAGE_SIZE],
            "older": older,
            "query": query.urlencode(),
            "chain_check": ChainCheck.objects.order_by("-checked_on").first(),
        },
    )
