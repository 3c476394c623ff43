"""Batch sync of cases done once per batch rather than once per record (issue 7).

The answers are those of the per-record path (sync.batch._one with _case_upsert), record by
record: the same serializer, the same checks in the same order, the same messages. What changes
is the cost: the partner's ids are looked up in one query, places and offices in one query
each, the new cases are registered together by cases.services.case_register_many (one INSERT
for the cases, one for their events, one for the audit entries), and their ExternalRefs go in
with one INSERT.

Updates, and any record whose `external_id` comes again within the batch, still take the
per-record path, so that each sees what the records before it wrote; new records waiting to be
registered are written first when that matters (a second copy of one of them).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DrfValidationError

from access import policy
from cases.models import Case, Office
from gazetteer.models import Place

from .models import ExternalRef

RESOURCE = "cases"


@dataclass
class Parsed:
    """A record that has an external id: its fields and their fingerprint."""

    external_id: str
    fields: dict[str, Any]
    digest: str


class _KnownPlace(serializers.PrimaryKeyRelatedField):
    """The place among those the batch read at once; anything else (a missing place, a value
    that is no id) goes through the field's own look-up, for its own error message."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                known = self.context["places"].get(uuid.UUID(data))
            except ValueError:
                known = None
            if known is not None:
                return known
        return super().to_internal_value(data)


class _KnownOffice(serializers.SlugRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        known = self.context["offices"].get(data) if isinstance(data, str) else None
        return known if known is not None else super().to_internal_value(data)


def _place_ids(records: list[Parsed]) -> set[uuid.UUID]:
    ids = set()
    for record in records:
        for name in ("origin", "abduction_place"):
            value = record.fields.get(name)
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # not an id: the serializer says so
                    ids.add(uuid.UUID(value))
    return ids


class _Registrar:
    """What every new record of the batch shares: the serializer, the places and offices it
    names, the user's writable offices."""

    def __init__(self, user: Any, records: list[Parsed]) -> None:
        from cases.api.views import CaseRegisterInput

        self.user = user
        self.may_create = policy.allowed(user, policy.CREATE, "case")
        codes = {r.fields["office"] for r in records if isinstance(r.fields.get("office"), str)}
        context = {
            "places": Place.objects.in_bulk(_place_ids(records)),
            "offices": {office.code: office for office in Office.objects.filter(code__in=codes)},
        }
        # One serializer for the batch (run_validation per record), its related fields swapped
        # in place so that the fields keep their order, and so the errors theirs.
        self.serializer = CaseRegisterInput(context=context)
        fields = self.serializer.fields
        for name in ("origin", "abduction_place"):
            old = fields[name]
            fields[name] = _KnownPlace(
                queryset=old.queryset, required=old.required, allow_null=old.allow_null
            )
        old = fields["office"]
        fields["office"] = _KnownOffice(slug_field=old.slug_field, queryset=old.queryset)
        self.writable_offices: frozenset[Any] | None = None

    def register(self, records: list[Parsed]) -> list[tuple[Any, dict[str, list[str]] | None]]:
        """(case id, None) for each record registered, (None, field errors) for each refused."""
        from cases.api.views import django_errors, refuse_unwritable
        from cases.services import NewRegistration, case_register_many

        from .batch import _errors_of

        answers: list[tuple[Any, dict[str, list[str]] | None]] = []
        registrations: list[NewRegistration] = []
        waiting: list[int] = []  # positions in answers of the registrations
        for record in records:
            try:
                registrations.append(self._registration(record, refuse_unwritable))
            except (DjangoValidationError, DrfValidationError) as error:
                answers.append((None, _errors_of(error)))
                continue
            waiting.append(len(answers))
            answers.append((None, None))
        outcome = case_register_many(registrations=registrations, actor=self.user)
        refs = []
        for position, result in zip(waiting, outcome, strict=True):
            if isinstance(result, DjangoValidationError):
                answers[position] = (None, _errors_of(DrfValidationError(django_errors(result))))
                continue
            answers[position] = (result.pk, None)
            record = records[position]
            refs.append(
                ExternalRef(
                    partner=self.user,
                    resource=RESOURCE,
                    external_id=record.external_id,
                    record_id=result.pk,
                    body_sha256=record.digest,
                )
            )
        ExternalRef.objects.bulk_create(refs)
        return answers

    def _registration(self, record: Parsed, refuse_unwritable: Any) -> Any:
        """_case_upsert's and case_register_for's checks for a new case, in their order."""
        from cases.services import NewRegistration

        if not self.may_create:
            raise DjangoValidationError(_("Your role may not register cases."))
        # Raises what is_valid(raise_exception=True) raises: the same errors, by field.
        values = dict(self.serializer.run_validation(record.fields))
        if "case_number" not in values:  # made up only for cases made over POST
            raise DjangoValidationError({"case_number": _("This field is required.")})
        refuse_unwritable(self.user, values)
        office = values.pop("office")
        if self.writable_offices is None:
            self.writable_offices = policy.offices_writable_by(self.user)
        if office.pk not in self.writable_offices:
            raise DrfValidationError({"office": [_("Not one of your offices.")]})
        reported_on, source = values.pop("reported_on"), values.pop("source")
        note = values.pop("note", "")
        return NewRegistration(
            case=Case(office=office, **values), reported_on=reported_on, source=source, note=note
        )


def cases_upsert(*, user: Any, items: list[Any], one: Any) -> list[Any]:
    """The answers for a batch of cases, in order. `items` holds, per record, either its
    answer already (a record refused before its fields are read) or its Parsed form; `one`
    answers a record by the per-record path (sync.batch._one)."""
    from .batch import CREATED, REJECTED, UNCHANGED, RecordResult

    parsed = [item for item in items if isinstance(item, Parsed)]
    refs = {
        ref.external_id: ref
        for ref in ExternalRef.objects.select_for_update().filter(
            partner=user, resource=RESOURCE, external_id__in={p.external_id for p in parsed}
        )
    }
    registrar: _Registrar | None = None
    results: list[Any] = list(items)
    waiting: list[int] = []  # positions of new records not registered yet
    seen: set[str] = set()

    def register_waiting() -> None:
        nonlocal registrar
        if not waiting:
            return
        if registrar is None:
            registrar = _Registrar(user, [items[p] for p in range(len(items)) if p in new])
        answers = registrar.register([items[position] for position in waiting])
        for position, (case_id, errors) in zip(waiting, answers, strict=True):
            external_id = items[position].external_id
            results[position] = (
                RecordResult(external_id, REJECTED, errors=errors)
                if errors is not None
                else RecordResult(external_id, CREATED, id=case_id)
            )
        waiting.clear()

    new = {
        position
        for position, item in enumerate(items)
        if isinstance(item, Parsed) and item.external_id not in refs
    }
    for position, item in enumerate(items):
        if not isinstance(item, Parsed):
            continue
        if item.external_id in seen:
            # A second copy within the batch: it must see what the first one wrote.
            register_waiting()
            results[position] = one(item)
        elif item.external_id in refs:
            ref = refs[item.external_id]
            if ref.body_sha256 == item.digest:
                results[position] = RecordResult(item.external_id, UNCHANGED, id=ref.record_id)
            else:
                results[position] = one(item)
        else:
            waiting.append(position)
        seen.add(item.external_id)
    register_waiting()
    return results
