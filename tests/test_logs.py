"""Application logs carry record ids, never names or contact details."""

import logging

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from cases.lifecycle import EventType
from cases.services import case_transition
from families.models import Relative
from families.services import relative_add


@pytest.mark.django_db
def test_a_case_journey_logs_no_names_or_contact_details(make_case, caplog):
    caplog.set_level(logging.DEBUG)
    case = make_case(
        given_name_latn="Zarivanda",
        given_name_ar="زاريڤاندا",
        captivity_notes="held in a house in Raqqa",
    )
    relative_add(
        case=case,
        relative=Relative(full_name_latn="Kejalina", sex="female", phone="+964 750 555 9876"),
        relationship="mother",
    )
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2016-05-01", actor=None, source="s"
    )
    authenticate(
        request=RequestFactory().post("/accounts/login/"),
        username="Zarivanda",
        password="wrong-password-123",
    )
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    for secret in ("Zarivanda", "زاريڤاندا", "Raqqa", "Kejalina", "9876"):
        assert secret not in logged
