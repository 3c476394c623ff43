"""The caseworker's pages: home, the case list and search, the case page with its actions,
identity edits, registration and relatives.

Every read goes through access.policy, as the API's do: a case the user may not see is a 404
(case_get_for, which audits the refusal), fields the user may not see are never handed to a
template (the policy's redacted dicts are what templates show), and every page of personal data
is audited through the policy (case_as_dict, cases_as_dicts, relatives_as_dicts). Writes go
through the services (case_transition, case_update_identity, the API's registration path,
families.services.relative_add), whose refusals are shown on the forms.

The pages ask the policy about `policy.web_user(request.user)`: the account without the API-only
partner role.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from access import policy
from audit.services import audit_log
from cases.api.views import APPROVAL_EVENTS, case_register_for
from cases.corrections import may_decide_correction, may_request_correction
from cases.forms import (
    CaseIdentityForm,
    CaseRegisterForm,
    CaseSearchForm,
    EventForm,
    RelativeForm,
    add_service_errors,
)
from cases.lifecycle import EventType, Status, allowed_event_types
from cases.models import Case, EventCorrection, Office
from cases.search import keyset_page, name_matches, possible_duplicates
from cases.services import case_transition, case_update_identity
from families.models import Kinship
from families.services import relative_add

PAGE_SIZE = 25
HOME_SECTION_SIZE = 10
NEW_REPORT_DAYS = 30
RESCUE_FOLLOW_UP_DAYS = 180
# Events recorded from the case page. Identifications and handovers move a case only through
# their own records (graves.services, families.services.handover_record), never as a bare event.
PAGE_EVENTS = (
    EventType.CAPTIVITY_CONFIRMED,
    EventType.RESCUED,
    EventType.DEATH_REPORTED,
    EventType.INFORMATION_RECEIVED,
    EventType.CLOSED_DUPLICATE,
    EventType.REOPENED,
)
DEATH_EVENTS = frozenset(
    {EventType.DEATH_REPORTED, EventType.REMAINS_IDENTIFIED, EventType.REMAINS_RETURNED}
)
# What a case page shows of a case, in this order, when the policy lets the user see it.
SHOWN_FIELDS = (
    "case_number",
    "status",
    "given_name_ar",
    "father_name_ar",
    "grandfather_name_ar",
    "family_name_ar",
    "given_name_latn",
    "father_name_latn",
    "grandfather_name_latn",
    "family_name_latn",
    "sex",
    "birth_date",
    "birth_year",
    "age_at_abduction",
    "community",
    "origin",
    "office",
    "abducted_on",
    "abduction_place",
    "rescued_on",
    "reported_dead_on",
    "remains_identified_on",
    "remains_returned_on",
    "closed_on",
    "duplicate_of",
    "captivity_notes",
    "health_notes",
)


# --- presentation of policy-redacted records ---------------------------------------------------


def _place_label(place: Any) -> str:
    return " / ".join(name for name in (place.name_latn, place.name_ar) if name) if place else ""


def _shown_value(case: Case, name: str, shown: dict[str, Any]) -> Any:
    """A shown field for people: labels for choices, names for places. Only ever called for a
    name in `shown`, the dict the policy redacted."""
    if name in ("origin", "abduction_place"):
        return _place_label(getattr(case, name))
    if name == "office":
        return case.office.name
    if name == "duplicate_of":
        return case.duplicate_of.case_number if case.duplicate_of_id else ""
    if name in ("sex", "community", "status"):
        return getattr(case, f"get_{name}_display")()
    value = shown[name]
    return "" if value is None else str(value)


def _label(name: str) -> str:
    if name == "birth_year":
        return _("year of birth")
    return str(Case._meta.get_field(name).verbose_name)


def _identity(case: Case, shown: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        (name, _label(name), _shown_value(case, name, shown))
        for name in SHOWN_FIELDS
        if name in shown and shown[name] not in (None, "")
    ]


def _row(case: Case, shown: dict[str, Any]) -> dict[str, Any]:
    """A case in a list: what the policy lets the user see of it, ready for the template."""
    parts = ("given_name", "father_name", "grandfather_name", "family_name")
    return {
        "pk": case.pk,
        "case_number": shown.get("case_number", ""),
        "name_ar": " ".join(shown[f"{p}_ar"] for p in parts if shown.get(f"{p}_ar")),
        "name_latn": " ".join(shown[f"{p}_latn"] for p in parts if shown.get(f"{p}_latn")),
        **{
            name: _shown_value(case, name, shown)
            for name in ("status", "sex", "age_at_abduction", "office", "origin", "abducted_on")
            if name in shown
        },
    }


def _rows(user: Any, cases: list[Case]) -> list[dict[str, Any]]:
    """Cases as list rows; one audit entry for the page."""
    return [
        _row(case, shown)
        for case, shown in zip(cases, policy.cases_as_dicts(user, cases), strict=True)
    ]


def _refuse(user: Any, case: Case | None, action: str, message: str) -> PermissionDenied:
    """Refused: audited, and a 403 (the case itself is visible, so there is nothing to hide)."""
    if case is not None:
        audit_log(action="denied", subject=case, actor=user, changes={"attempted": action})
    else:
        audit_log(
            action="denied",
            subject_type="cases.case",
            actor=user,
            changes={"attempted": action},
        )
    return PermissionDenied(message)


# --- home -------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The cases of my offices that need action, and the latest events on them."""
    user = policy.web_user(request.user)
    if not policy.case_pages_allowed(user):
        # Analysts, auditors, administrators, partners: no case records here; say where to go.
        return render(request, "cases/home.html", {"case_access": False})
    cases = policy.cases_visible_to(user)
    offices = policy.office_ids_of(user)
    if offices:
        cases = cases.filter(office__in=offices)
    today = timezone.localdate()
    new_since = timezone.now() - dt.timedelta(days=NEW_REPORT_DAYS)
    rescued_since = today - dt.timedelta(days=RESCUE_FOLLOW_UP_DAYS)
    conditions = {
        "new_reports": Q(status=Status.MISSING, created_at__gte=new_since),
        "rescues": Q(status=Status.RESCUED, rescued_on__gte=rescued_since),
        "to_notify": Q(status=Status.REMAINS_IDENTIFIED),
    }
    orders = {
        "new_reports": "-created_at",
        "rescues": "-rescued_on",
        "to_notify": "-remains_identified_on",
    }
    if policy.allowed(user, policy.VIEW, "disbursement"):
        from aid.models import Disbursement

        # Simple to compute: rescued, and no disbursement recorded yet at all.
        paid = Disbursement.objects.filter(case=OuterRef("pk"))
        conditions["aid_due"] = Q(status=Status.RESCUED) & ~Q(Exists(paid))
        orders["aid_due"] = "rescued_on"
    counts = cases.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in conditions.items()}
    )
    picked = {
        name: list(
            cases.filter(condition)
            .select_related("office", "origin")
            .order_by(orders[name], "pk")[:HOME_SECTION_SIZE]
        )
        for name, condition in conditions.items()
    }
    everything = {case.pk: case for found in picked.values() for case in found}
    rows = dict(zip(everything, _rows(user, list(everything.values())), strict=True))
    titles = {
        "new_reports": _("New reports (last %(days)s days)") % {"days": NEW_REPORT_DAYS},
        "rescues": _("Rescued recently: follow up"),
        "to_notify": _("Remains identified: family to be told, handover to arrange"),
        "aid_due": _("Rescued, no aid disbursed yet"),
    }
    list_filters = {
        "new_reports": "status=missing&sort=-registered",
        "rescues": "status=rescued",
        "to_notify": "status=remains_identified",
        "aid_due": "status=rescued",
    }
    sections = [
        {
            "key": name,
            "title": titles[name],
            "count": counts[name],
            "rows": [rows[case.pk] for case in picked[name]],
            "query": list_filters[name],
        }
        for name in conditions
    ]
    activity = list(
        policy.events_visible_to(user)
        .filter(case__in=cases.values("pk"))
        .select_related("case")
        .order_by("-recorded_at")[:15]
    )
    if policy.death_offices_of(user) is not None:
        death_offices = policy.death_offices_of(user)
        activity = [
            e for e in activity if e.type not in DEATH_EVENTS or e.case.office_id in death_offices
        ]
    return render(
        request,
        "cases/home.html",
        {
            "case_access": True,
            "sections": sections,
            "activity": activity,
            "visible": policy.case_fields_any(user),
            "may_register": policy.allowed(user, policy.CREATE, "case"),
        },
    )


# --- list and search --------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Search by any spelling of the name, filter, sort; keyset pages with the count."""
    user = policy.web_user(request.user)
    if not policy.case_pages_allowed(user):
        # As the API's list: a role without case access is refused, and that is audited.
        raise _refuse(user, None, "list", _("Your role has no access to case records."))
    form = CaseSearchForm(request.GET or None, visible_fields=policy.case_fields_any(user))
    cases = policy.cases_visible_to(user)
    if form.is_bound and form.is_valid():
        cases = name_matches(form.filter(cases), form.cleaned_data.get("q", ""))
    elif form.is_bound:
        cases = cases.none()
    sort = form.sort_key()
    field, descending, _reveals = CaseSearchForm.SORTS[sort]
    page = keyset_page(
        cases.select_related("office", "origin"),
        field=field,
        descending=descending,
        size=PAGE_SIZE,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    context = {
        "form": form,
        "rows": _rows(user, page.items),
        "count": cases.count(),
        "page": page,
        "query": query.urlencode(),
        "visible": policy.case_fields_any(user),
        "may_register": policy.allowed(user, policy.CREATE, "case"),
    }
    if request.htmx and request.htmx.target == "case-results":
        return render(request, "cases/_results.html", context)
    return render(request, "cases/list.html", context)


# --- the case page ----------------------------------------------------------------------------


def _event_forms(user: Any, case: Case) -> dict[str, EventForm]:
    """The actions allowed now: the lifecycle's next steps that the user's role may take."""
    if not policy.allowed(user, policy.TRANSITION, "case"):
        return {}
    may_approve = policy.allowed(user, policy.APPROVE, "case")
    return {
        event_type: EventForm(event_type=event_type, initial={"version": case.version})
        for event_type in allowed_event_types(case.status)
        if event_type in PAGE_EVENTS and (may_approve or event_type not in APPROVAL_EVENTS)
    }


def _case_page(
    request: HttpRequest,
    user: Any,
    case: Case,
    *,
    bound_event_form: EventForm | None = None,
    relative_form: RelativeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the case page: everything the user may see of the case, each part through its
    own policy selector, audited."""
    shown = policy.case_as_dict(user, case)  # audits the view, with the fields shown
    context: dict[str, Any] = {
        "case": case,
        "identity": _identity(case, shown),
        "status_label": case.get_status_display() if "status" in shown else "",
        "may_edit": policy.allowed(user, policy.CHANGE, "case")
        and bool(policy.case_fields_writable(user) & set(shown)),
    }
    if policy.allowed(user, policy.VIEW, "event"):
        event_fields = policy.event_fields_for(user)
        events = list(
            policy.events_visible_to(user)
            .filter(case=case)
            .select_related("recorded_by")
            .order_by("sequence")
        )
        if not policy.may_hear_of_death(user, case):
            events = [event for event in events if event.type not in DEATH_EVENTS]
        audit_log(
            action="view",
            subject=case,
            actor=user,
            changes={"timeline": len(events), "fields": sorted(event_fields)},
        )
        context.update(events=events, event_fields=event_fields)
        context["may_correct"] = may_request_correction(user, case)
        context["pending_corrections"] = [
            (correction, may_decide_correction(user, correction, case))
            for correction in EventCorrection.objects.filter(
                event__case=case, status=EventCorrection.Status.PENDING
            ).select_related("event", "requested_by")
        ]
    if policy.allowed(user, policy.VIEW, "relative"):
        kinships = list(
            Kinship.objects.filter(
                case=case, relative__in=policy.relatives_visible_to(user).values("pk")
            )
            .select_related("relative")
            .order_by("relative__full_name_latn", "pk")
        )
        relatives = policy.relatives_as_dicts(user, [k.relative for k in kinships])
        context["relatives"] = [
            {"relationship": k.get_relationship_display(), **shown_relative}
            for k, shown_relative in zip(kinships, relatives, strict=True)
        ]
        context["may_add_relative"] = policy.allowed(user, policy.CREATE, "relative")
        context["relative_form"] = relative_form or RelativeForm()
    if policy.allowed(user, policy.VIEW, "reference_sample"):
        sample_fields = policy.reference_sample_fields_for(user)
        samples = list(
            policy.reference_samples_visible_to(user)
            .filter(relative__kinships__case=case)
            .distinct()
            .order_by("collected_on", "pk")
        )
        usable = {
            s.relative_id for s in samples if s.status in ("collected", "sent_to_lab", "profiled")
        }
        context.update(
            samples=samples,
            sample_fields=sample_fields,
            dna_coverage={"usable": len(usable), "relatives": len(context.get("relatives", []))},
        )
    if policy.allowed(user, policy.VIEW, "identification"):
        context["identifications"] = list(
            policy.identifications_visible_to(user)
            .filter(case=case)
            .select_related("remains")
            .order_by("identified_on", "pk")
        )
    if policy.allowed(user, policy.VIEW, "handover"):
        context["handovers"] = list(policy.handovers_visible_to(user).filter(case=case))
    if policy.allowed(user, policy.VIEW, "disbursement"):
        context["disbursements"] = list(
            policy.disbursements_visible_to(user)
            .filter(case=case)
            .select_related("programme")
            .order_by("period", "pk")
        )
    # Empty for those not allowed to see it; never empty for those who are (this very view is
    # in it), so the section shows exactly when the policy allows it.
    context["access_history"] = list(
        policy.case_access_history_for(user, case).order_by("-sequence")[:50]
    )

    forms = _event_forms(user, case)
    if bound_event_form is not None:
        forms[bound_event_form.event_type] = bound_event_form
    context["event_forms"] = list(forms.values())
    context["open_form"] = bound_event_form.event_type if bound_event_form else None
    return render(request, "cases/detail.html", context, status=status)


@login_required
def case_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user = policy.web_user(request.user)
    case = policy.case_get_for(user, pk)  # 404 (audited) for a case the user may not see
    return _case_page(request, user, case)


@login_required
@require_POST
def case_event_create(request: HttpRequest, pk: Any, event_type: str) -> HttpResponse:
    """Record one lifecycle event through case_transition; a refusal re-renders the page with
    the form as submitted and the reason beside the field at fault."""
    user = policy.web_user(request.user)
    case = policy.case_get_for(user, pk)
    if event_type not in PAGE_EVENTS:
        raise Http404(_("No such action."))
    if not policy.allowed(user, policy.TRANSITION, "case"):
        raise _refuse(user, case, event_type, _("Your role may not record lifecycle events."))
    if event_type in APPROVAL_EVENTS and not policy.allowed(user, policy.APPROVE, "case"):
        raise _refuse(user, case, event_type, _("Closing or reopening a case needs a supervisor."))
    form = EventForm(request.POST, event_type=event_type)
    if form.is_valid():
        values = form.cleaned_data
        duplicate_of = None
        if values.get("duplicate_of"):
            duplicate_of = (
                policy.cases_visible_to(user)
                .filter(case_number=values["duplicate_of"].strip())
                .first()
            )
            if duplicate_of is None:
                form.add_error("duplicate_of", _("No such case."))
        if form.is_valid():
            try:
                case_transition(
                    case=case,
                    event_type=event_type,
                    on=values["date"],
                    actor=request.user,
                    source=values["source"],
                    note=values["note"],
                    duplicate_of=duplicate_of,
                    expected_version=values["version"],
                )
            except DjangoValidationError as error:
                if getattr(error, "code", None) == "stale":
                    case = Case.objects.get(pk=case.pk)
                    messages.error(
                        request,
                        _(
                            "This case was changed by someone else since you opened it. "
                            "Nothing was recorded: check the case as it is now and submit again."
                        ),
                    )
                    data = request.POST.copy()
                    data[form.add_prefix("version")] = str(case.version)
                    form = EventForm(data, event_type=event_type)
                    form.is_valid()
                else:
                    add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Recorded: %(event)s.") % {"event": EventType(event_type).label}
                )
                return redirect(reverse("cases:detail", args=[case.pk]) + "#timeline")
    messages.error(request, _("Nothing was recorded. See what is wrong below."))
    return _case_page(request, user, case, bound_event_form=form, status=400)


# --- identity edits ---------------------------------------------------------------------------


def _editable_fields(user: Any, case: Case) -> frozenset[str]:
    """Fields the user may both see on this case and write (a field one may not see is one one
    may not write either, as in the API)."""
    return policy.case_fields_for(user, case) & policy.case_fields_writable(user)


@login_required
def case_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    """Edit the identity with lost-update protection: the form carries the version it was
    opened at, and a stale submit is refused with the newer values shown, nothing overwritten."""
    user = policy.web_user(request.user)
    case = policy.case_get_for(user, pk)
    if not policy.allowed(user, policy.CHANGE, "case"):
        raise _refuse(user, case, "change", _("Your role may not edit cases."))
    fields = _editable_fields(user, case)
    newer: list[tuple[str, str, Any]] | None = None
    if request.method == "POST":
        form = CaseIdentityForm(request.POST, fields=fields)
        if form.is_valid():
            try:
                case_update_identity(
                    case=case,
                    changes=form.changes(),
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except DjangoValidationError as error:
                if getattr(error, "code", None) != "stale":
                    add_service_errors(form, error)
                else:
                    case = Case.objects.select_related("office", "origin").get(pk=case.pk)
                    newer = _identity(case, policy.case_as_dict(user, case))
                    messages.error(
                        request,
                        _(
                            "Someone else changed this case since you opened it. Nothing was "
                            "saved. The case as it is now is shown below; save again to replace "
                            "it with your values."
                        ),
                    )
                    # Their values stay in the form; saving again now is a deliberate overwrite
                    # of the version they have just been shown.
                    data = request.POST.copy()
                    data["version"] = str(case.version)
                    form = CaseIdentityForm(data, fields=fields)
                    form.is_valid()
            else:
                messages.success(request, _("The case was saved."))
                return redirect("cases:detail", pk=case.pk)
        status = 409 if newer is not None else 400
    else:
        shown = policy.case_as_dict(user, case)  # the form shows personal data: audited
        form = CaseIdentityForm(
            initial={**{name: shown.get(name) for name in fields}, "version": case.version},
            fields=fields,
        )
        status = 200
    return render(
        request,
        "cases/edit.html",
        {"case": case, "form": form, "newer": newer},
        status=status,
    )


# --- registration -----------------------------------------------------------------------------


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    """Register a case through the API's registration path; possible duplicates (similar names
    in the same office) are shown first and the user confirms."""
    user = policy.web_user(request.user)
    if not policy.allowed(user, policy.CREATE, "case"):
        raise _refuse(user, None, "create", _("Your role may not register cases."))
    writable = policy.case_fields_writable(user)
    offices = Office.objects.filter(pk__in=policy.offices_writable_by(user)).order_by("name")
    duplicates: list[dict[str, Any]] = []
    form = CaseRegisterForm(request.POST or None, fields=writable, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data.get("confirmed"):
            in_office = policy.cases_visible_to(user).filter(office=data["office"])
            found: dict[Any, Case] = {}
            for script in ("ar", "latn"):
                names = [data.get(f"given_name_{script}"), data.get(f"father_name_{script}")]
                for candidate in possible_duplicates(in_office, names=[n for n in names if n]):
                    found.setdefault(candidate.pk, candidate)
            if found:
                duplicates = _rows(user, list(found.values()))
                posted = request.POST.copy()
                posted["confirmed"] = "on"
                form = CaseRegisterForm(posted, fields=writable, offices=offices)
                form.is_valid()
        if not duplicates:
            try:
                case = case_register_for(user=request.user, values=form.values())
            except ApiValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Case %(number)s registered.") % {"number": case.case_number}
                )
                return redirect("cases:detail", pk=case.pk)
    return render(
        request,
        "cases/create.html",
        {"form": form, "duplicates": duplicates, "visible": policy.case_fields_any(user)},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- relatives --------------------------------------------------------------------------------


@login_required
def relative_create(request: HttpRequest, pk: Any) -> HttpResponse:
    """Record a relative of the case, with the consent they gave (families.services)."""
    user = policy.web_user(request.user)
    case = policy.case_get_for(user, pk)
    if not policy.allowed(user, policy.CREATE, "relative"):
        raise _refuse(user, case, "relative_add", _("Your role may not record relatives."))
    form = RelativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            relative_add(
                case=case,
                relative=form.relative(),
                relationship=form.cleaned_data["relationship"],
            )
        except DjangoValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The relative was recorded."))
            return redirect(reverse("cases:detail", args=[case.pk]) + "#relatives")
    return render(
        request,
        "cases/relative_form.html",
        {"case": case, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


def root(request: HttpRequest) -> HttpResponse:
    """The site's address: the home page for a signed-in user, the login page otherwise."""
    if request.user.is_authenticated:
        return redirect("cases:home")
    return redirect("login")
