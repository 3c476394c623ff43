"""Cases and their timelines over the API. Reads go through the resource registry (sync.resources)
like every other resource; writes go through the lifecycle services, the only writers of a case.

- POST /api/v1/cases/ registers a case (case_register).
- PATCH/PUT /api/v1/cases/{id}/ edits identity fields, and only with `If-Match: "<version>"`
  (428 without it, 412 when someone changed the case since): no lost updates.
- POST /api/v1/cases/{id}/events/ records a lifecycle event (case_transition): 201 with the event
  and the new status, or 400 naming why the transition is not allowed.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from access import policy
from audit.services import audit_log
from cases.lifecycle import RECORD_EVENTS, EventType
from cases.models import EDITABLE_FIELDS, Case, Community, Office, Sex
from cases.partial_dates import PartialDate
from cases.selectors import case_timeline
from cases.services import case_register, case_transition, case_update_identity
from gazetteer.models import Place
from sync.api import (
    filter_parameters,
    page_parameters,
    page_schema,
    resource_detail,
    resource_list,
)
from sync.idempotency import idempotent
from sync.resources import RESOURCES
from sync.serializers import StrictSerializer

CASES = RESOURCES["cases"]

# Steps a supervisor signs off (issue 3): closing a case as a duplicate (merging it into its
# original) and undoing that.
APPROVAL_EVENTS = frozenset({EventType.CLOSED_DUPLICATE, EventType.REOPENED})


def django_errors(error: DjangoValidationError) -> Any:
    """A Django ValidationError as DRF's field-error body."""
    if hasattr(error, "error_dict"):
        return {
            name: [str(message) for item in errors for message in item.messages]
            for name, errors in error.error_dict.items()
        }
    return {"non_field_errors": [str(message) for message in error.messages]}


class PartialDateField(serializers.CharField):
    """ "2014", "2014-08" or "2014-08-03"."""

    def to_internal_value(self, data: Any) -> PartialDate:
        text = super().to_internal_value(data)
        try:
            return PartialDate.parse(text)
        except ValueError as error:
            raise serializers.ValidationError(
                _("A date as YYYY, YYYY-MM or YYYY-MM-DD.")
            ) from error


class CaseIdentityInput(StrictSerializer):
    given_name_ar = serializers.CharField(max_length=100, required=False, allow_blank=True)
    father_name_ar = serializers.CharField(max_length=100, required=False, allow_blank=True)
    grandfather_name_ar = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name_ar = serializers.CharField(max_length=100, required=False, allow_blank=True)
    given_name_latn = serializers.CharField(max_length=100, required=False, allow_blank=True)
    father_name_latn = serializers.CharField(max_length=100, required=False, allow_blank=True)
    grandfather_name_latn = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name_latn = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = PartialDateField(required=False, allow_null=True)
    age_at_abduction = serializers.IntegerField(
        min_value=0, max_value=120, required=False, allow_null=True
    )
    community = serializers.ChoiceField(choices=Community.choices, required=False)
    origin = serializers.PrimaryKeyRelatedField(queryset=Place.objects.all())
    abduction_place = serializers.PrimaryKeyRelatedField(
        queryset=Place.objects.all(), required=False, allow_null=True
    )
    abducted_on = PartialDateField()
    captivity_notes = serializers.CharField(required=False, allow_blank=True)
    health_notes = serializers.CharField(required=False, allow_blank=True)


class CaseRegisterInput(CaseIdentityInput):
    case_number = serializers.CharField(max_length=32, required=False)
    office = serializers.SlugRelatedField(slug_field="code", queryset=Office.objects.all())
    reported_on = PartialDateField()
    source = serializers.CharField(max_length=300)
    note = serializers.CharField(required=False, allow_blank=True)


class EventInput(StrictSerializer):
    type = serializers.ChoiceField(choices=EventType.choices)
    date = PartialDateField()
    source = serializers.CharField(max_length=300)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    duplicate_of = serializers.UUIDField(required=False, allow_null=True)


def _new_case_number(office: Office) -> str:
    return f"{office.code}-{secrets.token_hex(4).upper()}"


def _with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


_ETAG = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')


def refuse_unwritable(user: Any, values: dict[str, Any]) -> None:
    """Fields the user may not write are refused by name (partners never write sensitive ones)."""
    refused = sorted(set(values) & set(EDITABLE_FIELDS) - policy.case_fields_writable(user))
    if refused:
        raise ValidationError(
            {name: [_("Your role may not write this field.")] for name in refused}
        )


def case_register_for(*, user: Any, values: dict[str, Any]) -> Case:
    """Register a case from validated CaseRegisterInput values, for the endpoint and batch sync:
    the user's writable fields and offices are checked here, the rest by case_register."""
    refuse_unwritable(user, values)
    office = values.pop("office")
    if office.pk not in policy.offices_writable_by(user):
        raise ValidationError({"office": [_("Not one of your offices.")]})
    reported_on, source = values.pop("reported_on"), values.pop("source")
    note = values.pop("note", "")
    values.setdefault("case_number", _new_case_number(office))
    try:
        return case_register(
            case=Case(office=office, **values),
            reported_on=reported_on,
            actor=user,
            source=source,
            note=note,
        )
    except DjangoValidationError as error:
        raise ValidationError(django_errors(error)) from error


def if_match_version(request: Any) -> int | None:
    """The version an If-Match header names, None without one; 400 when it names none."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _ETAG.match(header)
    if match is None:
        raise ValidationError({"If-Match": [_('A version as given by the ETag, e.g. "3".')]})
    return int(match.group(1))


class CaseListApi(APIView):
    """GET: the cases the caller may see (keyset pages, filters). POST: register a case."""

    filterset_class = CASES.filterset

    def get_queryset(self):
        return Case.objects.none()

    @extend_schema(
        operation_id="cases_list",
        summary="List cases",
        description=CASES.description,
        parameters=page_parameters() + filter_parameters(CASES),
        responses={200: page_schema(CASES), 400: OpenApiTypes.OBJECT, 403: None},
        tags=["cases"],
    )
    def get(self, request):
        return resource_list(request, CASES, self)

    @extend_schema(
        operation_id="cases_create",
        summary="Register a case",
        request=CaseRegisterInput,
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, "header")],
        tags=["cases"],
    )
    @idempotent
    def post(self, request):
        user = request.user
        if not policy.allowed(user, policy.CREATE, "case"):
            audit_log(action="denied", subject_type="cases.case", actor=user)
            raise PermissionDenied(_("Your role may not register cases."))
        data = CaseRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_register_for(user=user, values=dict(data.validated_data))
        response = Response(
            CASES.as_seen_by(user, case),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-case-detail", args=[case.pk])},
        )
        return _with_etag(response, case.version)


class CaseDetailApi(APIView):
    """GET a case with its version as the ETag; PATCH/PUT its identity with If-Match."""

    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case, with its version as the ETag",
        responses={200: OpenApiTypes.OBJECT, 404: None},
        tags=["cases"],
    )
    def get(self, request, pk):
        return resource_detail(request, CASES, pk)

    @extend_schema(
        operation_id="cases_partial_update",
        summary="Edit identity fields (If-Match required)",
        request=CaseIdentityInput(partial=True),
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, "header", required=True)],
        responses={200: OpenApiTypes.OBJECT, 400: None, 404: None, 412: None, 428: None},
        tags=["cases"],
    )
    def patch(self, request, pk):
        return self._update(request, pk, partial=True)

    @extend_schema(
        operation_id="cases_update",
        summary="Replace identity fields (If-Match required)",
        request=CaseIdentityInput,
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, "header", required=True)],
        responses={200: OpenApiTypes.OBJECT, 400: None, 404: None, 412: None, 428: None},
        tags=["cases"],
    )
    def put(self, request, pk):
        return self._update(request, pk, partial=False)

    def _update(self, request, pk, *, partial: bool) -> Response:
        user = request.user
        case = policy.case_get_for(user, pk)
        if not policy.allowed(user, policy.CHANGE, "case"):
            audit_log(action="denied", subject=case, actor=user)
            raise PermissionDenied(_("Your role may not edit cases."))
        expected = if_match_version(request)
        if expected is None:
            return Response(
                {"detail": _('Send If-Match with the version you edited (the ETag, e.g. "3").')},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        if expected != case.version:
            return self._stale(user, case)
        data = CaseIdentityInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        visible = policy.case_fields_for(user, case)
        hidden = sorted(set(data.validated_data) - visible)
        if hidden:  # a field the user may not see is one they may not write either
            raise ValidationError({name: [_("Unknown field.")] for name in hidden})
        changes = dict(data.validated_data)
        if not partial:
            # A replacement: what is left out goes back to the field's default (a PUT without
            # `community` is not a blank community, which the model refuses, but the default).
            # Only the fields the user may see: a PUT never clears what it could not send.
            for name in EDITABLE_FIELDS:
                if name not in changes and name in visible:
                    model_field = Case._meta.get_field(name)
                    if model_field.has_default():
                        changes[name] = model_field.get_default()
                    else:
                        changes[name] = None if model_field.null else ""
        try:
            case = case_update_identity(
                case=case, changes=changes, actor=user, expected_version=expected
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "stale":
                return self._stale(user, Case.objects.get(pk=case.pk))
            raise ValidationError(django_errors(error)) from error
        return _with_etag(Response(CASES.as_seen_by(user, case)), case.version)

    @staticmethod
    def _stale(user: Any, case: Case) -> Response:
        # The newer values come with the refusal, so the client can show them and merge.
        response = Response(
            {
                "detail": _("This case was changed by someone else since you read it."),
                "current": CASES.as_seen_by(user, case),
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
        return _with_etag(response, case.version)


class CaseEventListApi(APIView):
    """GET the case's timeline; POST records a lifecycle event."""

    @extend_schema(
        operation_id="cases_events_list",
        summary="The case's timeline",
        responses={200: OpenApiTypes.OBJECT},
        tags=["cases"],
    )
    def get(self, request, pk):
        user = request.user
        case = policy.case_get_for(user, pk)
        if not policy.allowed(user, policy.VIEW, "event"):
            audit_log(action="denied", subject=case, actor=user)
            raise PermissionDenied(_("Your role may not read case timelines."))
        events = RESOURCES["events"]
        results = [events.as_seen_by(user, event) for event in case_timeline(case=case)]
        audit_log(
            action="view",
            subject=case,
            actor=user,
            changes={"timeline": len(results), "fields": sorted(policy.event_fields_for(user))},
        )
        return Response({"results": results})

    @extend_schema(
        operation_id="cases_events_create",
        summary="Record a lifecycle event",
        request=EventInput,
        parameters=[
            OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, "header"),
            OpenApiParameter("If-Match", OpenApiTypes.STR, "header"),
        ],
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: None, 412: None},
        tags=["cases"],
    )
    @idempotent
    def post(self, request, pk):
        user = request.user
        case = policy.case_get_for(user, pk)
        if not policy.allowed(user, policy.TRANSITION, "case"):
            audit_log(action="denied", subject=case, actor=user)
            raise PermissionDenied(_("Your role may not record lifecycle events."))
        data = EventInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["type"] in RECORD_EVENTS:
            raise ValidationError(
                {
                    "type": [
                        _(
                            "This step is recorded with its record: an identification is "
                            "confirmed or withdrawn with the identification (web pages or "
                            "/api/v1/sync/identifications/), remains are returned with a "
                            "handover."
                        )
                    ]
                }
            )
        if values["type"] in APPROVAL_EVENTS and not policy.allowed(user, policy.APPROVE, "case"):
            audit_log(action="denied", subject=case, actor=user, changes={"type": values["type"]})
            raise PermissionDenied(_("Closing or reopening a case needs a supervisor."))
        expected = if_match_version(request)
        duplicate_of = None
        if values.get("duplicate_of"):
            duplicate_of = policy.cases_visible_to(user).filter(pk=values["duplicate_of"]).first()
            if duplicate_of is None:
                raise ValidationError({"duplicate_of": [_("No such case.")]})
        try:
            event = case_transition(
                case=case,
                event_type=values["type"],
                on=values["date"],
                actor=user,
                source=values["source"],
                note=values["note"],
                duplicate_of=duplicate_of,
                expected_version=expected,
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "stale":
                return CaseDetailApi._stale(user, Case.objects.get(pk=case.pk))
            raise ValidationError(django_errors(error)) from error
        body = {
            "event": RESOURCES["events"].as_seen_by(user, event),
            "status": case.status,
            "version": case.version,
        }
        return _with_etag(Response(body, status=status.HTTP_201_CREATED), case.version)
