"""Batch upsert of a partner's records, keyed by the partner's own `external_id`.

Per record the answer is created, updated, unchanged or rejected (with field errors). The
partner's id is remembered with a fingerprint of the body it sent (ExternalRef): the same record
sent again is "unchanged" and writes nothing, so replaying a whole batch creates nothing new.
Writes go through the same services as every other entry point (case_register,
case_update_identity, relative_add; sync/adapters.py for graves, remains, identifications,
reference samples and disbursements), each record in its own savepoint; with `atomic` the batch is
all-or-nothing: one rejected record and nothing is applied.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DrfValidationError

from access import policy

from .adapters import ADAPTERS as FORENSIC_AND_AID_ADAPTERS
from .bulk import Parsed
from .models import ExternalRef

MAX_RECORDS = 1000
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"


@dataclass
class RecordResult:
    external_id: Any
    result: str
    id: Any = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"external_id": self.external_id, "result": self.result}
        if self.id is not None:
            body["id"] = str(self.id)
        if self.errors:
            body["errors"] = self.errors
        return body


def _errors_of(error: Exception) -> dict[str, list[str]]:
    if isinstance(error, DrfValidationError):
        detail = error.detail
        if isinstance(detail, dict):
            return {
                name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
                for name, msgs in detail.items()
            }
        return {"non_field_errors": [str(m) for m in detail]}
    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            return {
                name: [str(m) for item in errors for m in item.messages]
                for name, errors in error.error_dict.items()
            }
        return {"non_field_errors": [str(m) for m in error.messages]}
    raise error


def fingerprint(record: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


# An adapter writes one record: (user, existing record id or None, the record's fields) ->
# (record id, created?). It raises a ValidationError to reject.
Adapter = Callable[[Any, Any, dict[str, Any]], tuple[Any, bool]]


def _case_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from cases.api.views import (
        CaseIdentityInput,
        CaseRegisterInput,
        case_register_for,
        refuse_unwritable,
    )
    from cases.services import case_update_identity

    if record_id is None:
        if not policy.allowed(user, policy.CREATE, "case"):
            raise DjangoValidationError(_("Your role may not register cases."))
        data = CaseRegisterInput(data=fields)
        data.is_valid(raise_exception=True)
        if "case_number" not in data.validated_data:  # made up only for cases made over POST
            raise DjangoValidationError({"case_number": _("This field is required.")})
        return case_register_for(user=user, values=dict(data.validated_data)).pk, True
    case = policy.cases_visible_to(user).filter(pk=record_id).first()
    if case is None or not policy.allowed(user, policy.CHANGE, "case"):
        # It left the partner's scope since it was pushed: as for any record it may not see.
        raise DjangoValidationError(_("No such record."))
    registration_only = {"case_number", "office", "reported_on", "source", "note"}
    data = CaseIdentityInput(
        data={k: v for k, v in fields.items() if k not in registration_only}, partial=True
    )
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    refuse_unwritable(user, values)
    case_update_identity(case=case, changes=values, actor=user, expected_version=case.version)
    return case.pk, False


def _relative_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from families.models import Kinship, Relative
    from families.services import relative_add, relative_update

    if not policy.allowed(user, policy.CREATE, "relative"):
        raise DjangoValidationError(_("Your role may not record relatives."))
    allowed_fields = {
        "case",
        "relationship",
        "full_name_ar",
        "full_name_latn",
        "sex",
        "birth_date",
        "phone",
        "address",
    }
    unknown = sorted(set(fields) - allowed_fields)
    if unknown:
        raise DjangoValidationError({name: _("Unknown field.") for name in unknown})
    case = (
        policy.cases_visible_to(user).filter(pk=fields.get("case")).first()
        if _is_uuid(fields.get("case"))
        else None
    )
    if case is None:
        raise DjangoValidationError({"case": _("No such case.")})
    if "relationship" not in fields:
        raise DjangoValidationError({"relationship": _("This field is required.")})
    values = {k: v for k, v in fields.items() if k not in {"case", "relationship"}}
    if record_id is None:
        relative = Relative(**values)
        relative_add(case=case, relative=relative, relationship=fields["relationship"])
        return relative.pk, True
    relative = policy.relatives_visible_to(user).filter(pk=record_id).first()
    if relative is None:
        raise DjangoValidationError(_("No such record."))
    relative_update(relative=relative, changes=values)
    if not Kinship.objects.filter(case=case, relative=relative).exists():
        relative_add(case=case, relative=relative, relationship=fields["relationship"])
    return relative.pk, False


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


ADAPTERS: dict[str, Adapter] = {
    "cases": _case_upsert,
    "relatives": _relative_upsert,
    **FORENSIC_AND_AID_ADAPTERS,
}


@dataclass
class BatchResult:
    results: list[RecordResult]
    applied: bool

    def counts(self) -> dict[str, int]:
        counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, REJECTED: 0}
        for result in self.results:
            counts[result.result] += 1
        return counts


class _RollBack(Exception):
    pass


def batch_upsert(
    *, user: Any, resource: str, records: list[Any], atomic: bool = False
) -> BatchResult:
    """Apply a partner's batch. Each record a JSON object with `external_id`."""
    adapter = ADAPTERS[resource]
    results: list[RecordResult] = []
    try:
        with transaction.atomic():
            if resource == "cases":
                # Cases, the bulk of what partners push, are registered a batch at a time
                # (sync.bulk); the other resources go record by record.
                results = _cases(user, records)
            else:
                for record in records:
                    results.append(_one(user, resource, adapter, record))
            if atomic and any(r.result == REJECTED for r in results):
                raise _RollBack
    except _RollBack:
        return BatchResult(results=results, applied=False)
    return BatchResult(results=results, applied=True)


def _cases(user: Any, records: list[Any]) -> list[RecordResult]:
    from .bulk import cases_upsert

    return cases_upsert(
        user=user,
        items=[_parsed(record) for record in records],
        one=lambda parsed: _apply(user, "cases", _case_upsert, parsed),
    )


def _parsed(record: Any) -> RecordResult | Parsed:
    """The record's external id, fields and fingerprint, or its answer when it has no usable
    external id."""
    if not isinstance(record, dict):
        return RecordResult(None, REJECTED, errors={"non_field_errors": [_("Not an object.")]})
    external_id = record.get("external_id")
    if not isinstance(external_id, str | int) or not str(external_id).strip():
        return RecordResult(
            external_id, REJECTED, errors={"external_id": [_("This field is required.")]}
        )
    external_id = str(external_id)
    if len(external_id) > 200:
        return RecordResult(
            external_id, REJECTED, errors={"external_id": [_("At most 200 characters.")]}
        )
    fields = {k: v for k, v in record.items() if k != "external_id"}
    return Parsed(external_id=external_id, fields=fields, digest=fingerprint(fields))


def _one(user: Any, resource: str, adapter: Adapter, record: Any) -> RecordResult:
    parsed = _parsed(record)
    if isinstance(parsed, RecordResult):
        return parsed
    return _apply(user, resource, adapter, parsed)


def _apply(user: Any, resource: str, adapter: Adapter, parsed: Parsed) -> RecordResult:
    external_id, fields, digest = parsed.external_id, parsed.fields, parsed.digest
    ref = (
        ExternalRef.objects.select_for_update()
        .filter(partner=user, resource=resource, external_id=external_id)
        .first()
    )
    if ref is not None and ref.body_sha256 == digest:
        return RecordResult(external_id, UNCHANGED, id=ref.record_id)
    try:
        with transaction.atomic():
            record_id, created = adapter(user, ref.record_id if ref else None, fields)
            if ref is None:
                ExternalRef.objects.create(
                    partner=user,
                    resource=resource,
                    external_id=external_id,
                    record_id=record_id,
                    body_sha256=digest,
                )
            else:
                ref.body_sha256, ref.updated_at = digest, timezone.now()
                ref.save(update_fields=["body_sha256", "updated_at"])
    except (DjangoValidationError, DrfValidationError) as error:
        return RecordResult(external_id, REJECTED, errors=_errors_of(error))
    return RecordResult(external_id, CREATED if created else UPDATED, id=record_id)
