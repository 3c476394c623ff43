"""Batch-sync adapters for the forensic and aid records: how a partner's full record becomes
calls to the same services the web UI and the API use.

A partner sends the whole record every time (its current copy). On the first push the record is
created through the service that records it; on a later push each field is compared with ours:
fields that mark a step move the record through the matching service (a site confirmed, an
identification confirmed or withdrawn, a payment paid or reversed), plain fields are edited
through an audited update, and fields fixed at creation (a site's code, remains' recovery date,
the case an identification names) are refused by name if they differ: a lab that got one of
those wrong withdraws the record and sends a new one, so the trail shows the correction.

Who may push what is the policy's matrix (`create`/`change` on the resource); existing records
are looked up among those the user may see, so a record outside its scope is "no such record".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from rest_framework import serializers

from access import policy
from aid.models import Disbursement
from families.models import ReferenceSample
from graves.models import GraveSite, Identification, Remains

from .serializers import StrictSerializer


def _require(user: Any, action: str, resource: str) -> None:
    if not policy.allowed(user, action, resource):
        raise DjangoValidationError(
            _("Your role may not %(action)s %(resource)s records.")
            % {"action": action, "resource": resource.replace("_", " ")}
        )


def _validated(serializer_class: type[serializers.Serializer], fields: dict[str, Any]) -> dict:
    data = serializer_class(data=fields)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _one_of(queryset: models.QuerySet, pk: Any, field_name: str) -> Any:
    """The record `pk` among those the user may see, or a field error naming `field_name`."""
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise DjangoValidationError({field_name: _("No such record.")})
    return found


def _existing(queryset: models.QuerySet, record_id: Any) -> Any:
    found = queryset.filter(pk=record_id).first()
    if found is None:
        # It left the user's scope since it was pushed: as for any record it may not see.
        raise DjangoValidationError(_("No such record."))
    return found


def _stored(record: models.Model, name: str) -> Any:
    field = record._meta.get_field(name)
    return getattr(record, field.attname)


def _as_stored(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _fixed(record: models.Model, values: dict[str, Any], names: tuple[str, ...]) -> None:
    """Refuse, by name, a change to fields that are fixed once recorded."""
    errors = {
        name: _("This cannot change once recorded; withdraw the record and send a new one.")
        for name in names
        if name in values and _as_stored(values[name]) != _stored(record, name)
    }
    if errors:
        raise DjangoValidationError(errors)


def _edits(record: models.Model, values: dict[str, Any], names: frozenset[str]) -> dict:
    return {
        name: values[name]
        for name in names
        if name in values and _as_stored(values[name]) != _stored(record, name)
    }


# --- Grave sites ------------------------------------------------------------------------------


class GraveSiteInput(StrictSerializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    place = serializers.UUIDField(help_text="The nearest place in the gazetteer.")
    latitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=8, decimal_places=5, required=False, allow_null=True
    )
    reported_on = serializers.DateField()
    source = serializers.CharField(max_length=300)
    estimated_victims = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    confirmed_on = serializers.DateField(required=False, allow_null=True)


def grave_site_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from graves.services import (
        GRAVE_SITE_EDITABLE,
        grave_site_confirm,
        grave_site_report,
        grave_site_update,
    )

    values = _validated(GraveSiteInput, fields)
    values["place"] = _one_of(policy.places_visible_to(user), values["place"], "place")
    confirmed_on = values.pop("confirmed_on", None)
    if record_id is None:
        _require(user, policy.CREATE, "grave_site")
        site = GraveSite(
            **{k: v for k, v in values.items() if k in GRAVE_SITE_EDITABLE | {"code", "place"}}
        )
        site = grave_site_report(
            site=site,
            reported_on=values["reported_on"],
            source=values["source"],
            estimated_victims=values.get("estimated_victims"),
        )
        created = True
    else:
        _require(user, policy.CHANGE, "grave_site")
        site = _existing(policy.grave_sites_visible_to(user), record_id)
        _fixed(site, values, ("code", "place", "reported_on"))
        if confirmed_on is not None and site.confirmed_on not in (None, confirmed_on):
            raise DjangoValidationError(
                {"confirmed_on": _("The site was confirmed on another day.")}
            )
        edits = _edits(site, values, GRAVE_SITE_EDITABLE)
        if edits:
            site = grave_site_update(site=site, changes=edits, actor=user)
        created = False
    if confirmed_on is not None and site.confirmed_on is None:
        grave_site_confirm(site=site, on=confirmed_on, source=values["source"])
    return site.pk, created


# --- Exhumations ------------------------------------------------------------------------------


class ExhumationInput(StrictSerializer):
    site = serializers.UUIDField()
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True)
    team = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)


def exhumation_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from graves.services import EXHUMATION_EDITABLE, exhumation_start, exhumation_update

    values = _validated(ExhumationInput, fields)
    values["site"] = _one_of(policy.grave_sites_visible_to(user), values["site"], "site")
    if record_id is None:
        _require(user, policy.CREATE, "exhumation")
        exhumation = exhumation_start(
            site=values["site"], started_on=values["started_on"], team=values["team"]
        )
        created = True
    else:
        _require(user, policy.CHANGE, "exhumation")
        exhumation = _existing(policy.exhumations_visible_to(user), record_id)
        _fixed(exhumation, values, ("site", "started_on"))
        created = False
    edits = _edits(exhumation, values, EXHUMATION_EDITABLE)
    if edits:
        exhumation_update(exhumation=exhumation, changes=edits, actor=user)
    return exhumation.pk, created


# --- Remains ----------------------------------------------------------------------------------


class RemainsInput(StrictSerializer):
    code = serializers.CharField(max_length=32)
    exhumation = serializers.UUIDField()
    recovered_on = serializers.DateField()
    sex_estimate = serializers.ChoiceField(choices=Remains.Sex.choices, required=False)
    age_min = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
    age_max = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
    sample_status = serializers.ChoiceField(choices=Remains.SampleStatus.choices, required=False)


def remains_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from graves.services import REMAINS_EDITABLE, remains_record, remains_update

    values = _validated(RemainsInput, fields)
    values["exhumation"] = _one_of(
        policy.exhumations_visible_to(user), values["exhumation"], "exhumation"
    )
    if record_id is None:
        _require(user, policy.CREATE, "remains")
        remains = Remains(
            code=values["code"],
            recovered_on=values["recovered_on"],
            **{k: v for k, v in values.items() if k in REMAINS_EDITABLE},
        )
        return remains_record(remains=remains, exhumation=values["exhumation"]).pk, True
    _require(user, policy.CHANGE, "remains")
    remains = _existing(policy.remains_visible_to(user), record_id)
    _fixed(remains, values, ("code", "exhumation", "recovered_on"))
    edits = _edits(remains, values, REMAINS_EDITABLE)
    if edits:
        remains_update(remains=remains, changes=edits, actor=user)
    return remains.pk, False


# --- Identifications --------------------------------------------------------------------------


class IdentificationInput(StrictSerializer):
    remains = serializers.UUIDField()
    case = serializers.UUIDField()
    method = serializers.ChoiceField(choices=Identification.Method.choices)
    identified_on = serializers.DateField()
    match_statistic = serializers.DecimalField(
        max_digits=30, decimal_places=6, required=False, allow_null=True
    )
    status = serializers.ChoiceField(choices=Identification.Status.choices, required=False)
    # For the steps: who confirmed it is always the account that pushes the confirmation.
    confirmed_on = serializers.DateField(required=False, allow_null=True)
    withdrawn_on = serializers.DateField(required=False, allow_null=True)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)


def identification_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from graves.services import (
        identification_confirm,
        identification_propose,
        identification_withdraw,
    )

    values = _validated(IdentificationInput, fields)
    values["remains"] = _one_of(policy.remains_visible_to(user), values["remains"], "remains")
    values["case"] = _one_of(policy.cases_visible_to(user), values["case"], "case")
    wanted = values.get("status", Identification.Status.PROPOSED)
    if record_id is None:
        _require(user, policy.CREATE, "identification")
        identification = identification_propose(
            remains=values["remains"],
            case=values["case"],
            method=values["method"],
            identified_on=values["identified_on"],
            match_statistic=values.get("match_statistic"),
            actor=user,
        )
        created = True
    else:
        _require(user, policy.CHANGE, "identification")
        identification = _existing(policy.identifications_visible_to(user), record_id)
        _fixed(
            identification,
            values,
            ("remains", "case", "method", "identified_on", "match_statistic"),
        )
        created = False
    if wanted == identification.status:
        return identification.pk, created
    source = values.get("source") or _("batch sync")
    if wanted == Identification.Status.CONFIRMED:
        if not values.get("confirmed_on"):
            raise DjangoValidationError({"confirmed_on": _("Give the day it was confirmed.")})
        identification_confirm(
            identification=identification, actor=user, on=values["confirmed_on"], source=source
        )
    elif wanted == Identification.Status.WITHDRAWN:
        if not values.get("withdrawn_on"):
            raise DjangoValidationError({"withdrawn_on": _("Give the day it was withdrawn.")})
        identification_withdraw(
            identification=identification,
            actor=user,
            on=values["withdrawn_on"],
            source=source,
            reason=values.get("reason", ""),
        )
    else:
        raise DjangoValidationError(
            {"status": _("An identification cannot go back to being proposed.")}
        )
    return identification.pk, created


# --- Reference samples ------------------------------------------------------------------------


class ReferenceSampleInput(StrictSerializer):
    relative = serializers.UUIDField()
    collected_on = serializers.DateField()
    lab_reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ReferenceSample.Status.choices, required=False)


def reference_sample_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from families.services import (
        REFERENCE_SAMPLE_EDITABLE,
        reference_sample_record,
        reference_sample_update,
    )

    values = _validated(ReferenceSampleInput, fields)
    values["relative"] = _one_of(
        policy.relatives_sampleable_by(user), values["relative"], "relative"
    )
    if record_id is None:
        _require(user, policy.CREATE, "reference_sample")
        sample = reference_sample_record(
            relative=values["relative"],
            collected_on=values["collected_on"],
            lab_reference=values.get("lab_reference", ""),
        )
        created = True
    else:
        _require(user, policy.CHANGE, "reference_sample")
        sample = _existing(policy.reference_samples_visible_to(user), record_id)
        _fixed(sample, values, ("relative", "collected_on"))
        created = False
    edits = _edits(sample, values, REFERENCE_SAMPLE_EDITABLE)
    if edits:
        reference_sample_update(sample=sample, changes=edits, actor=user)
    return sample.pk, created


# --- Disbursements ----------------------------------------------------------------------------


class DisbursementInput(StrictSerializer):
    programme = serializers.SlugField(max_length=32, help_text="The programme's code.")
    case = serializers.UUIDField()
    period = serializers.DateField()
    approved_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    status = serializers.ChoiceField(
        choices=[
            Disbursement.Status.APPROVED,
            Disbursement.Status.PAID,
            Disbursement.Status.REVERSED,
        ],
        required=False,
    )
    paid_on = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    reversed_on = serializers.DateField(required=False, allow_null=True)


def _on(values: dict[str, Any], name: str) -> dt.date:
    if not values.get(name):
        raise DjangoValidationError({name: _("This field is required for that status.")})
    return values[name]


def disbursement_upsert(user: Any, record_id: Any, fields: dict[str, Any]) -> tuple[Any, bool]:
    from aid.services import disbursement_mark_paid, disbursement_record, disbursement_reverse

    values = _validated(DisbursementInput, fields)
    programme = policy.aid_programmes_visible_to(user).filter(code=values["programme"]).first()
    if programme is None:
        raise DjangoValidationError({"programme": _("No such programme.")})
    values["programme"] = programme
    values["case"] = _one_of(policy.cases_visible_to(user), values["case"], "case")
    if record_id is None:
        _require(user, policy.CREATE, "disbursement")
        disbursement = disbursement_record(
            programme=programme,
            case=values["case"],
            period=values["period"],
            approved_on=values["approved_on"],
            amount=values.get("amount"),
            actor=user,
        )
        created = True
    else:
        _require(user, policy.CHANGE, "disbursement")
        disbursement = _existing(policy.disbursements_visible_to(user), record_id)
        _fixed(disbursement, values, ("programme", "case", "period", "approved_on", "amount"))
        created = False
    wanted = values.get("status", disbursement.status)
    order = [Disbursement.Status.APPROVED, Disbursement.Status.PAID, Disbursement.Status.REVERSED]
    if disbursement.status in order and wanted in order:
        if order.index(wanted) < order.index(disbursement.status):
            raise DjangoValidationError({"status": _("A payment cannot go back a step.")})
        if disbursement.status == Disbursement.Status.APPROVED and wanted != "approved":
            disbursement = disbursement_mark_paid(
                disbursement=disbursement,
                on=_on(values, "paid_on"),
                reference=values.get("reference", ""),
            )
        if wanted == Disbursement.Status.REVERSED and disbursement.status != wanted:
            disbursement_reverse(disbursement=disbursement, on=_on(values, "reversed_on"))
    elif wanted != disbursement.status:
        raise DjangoValidationError({"status": _("This payment's status is changed by us.")})
    return disbursement.pk, created


ADAPTERS = {
    "grave-sites": grave_site_upsert,
    "exhumations": exhumation_upsert,
    "remains": remains_upsert,
    "identifications": identification_upsert,
    "reference-samples": reference_sample_upsert,
    "disbursements": disbursement_upsert,
}
