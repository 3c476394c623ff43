"""Correcting an event's date (issue 3: a sensitive step a supervisor approves): asked by one
person, decided by a supervisor of the case's office who did not ask; the event itself is never
edited; an approval adds an "event corrected" event and moves the milestone the figures use."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from access.models import Role
from audit.models import AuditEntry
from cases.corrections import event_correction_decide, event_correction_request
from cases.lifecycle import EventType
from cases.models import Case, CaseEvent, EventCorrection
from cases.services import case_transition


@pytest.fixture
def people(web_user):
    return {
        "caseworker": web_user("cw-duhok", Role.CASEWORKER, "DHK"),
        "supervisor": web_user("sup-duhok", Role.SUPERVISOR, "DHK"),
        "other_supervisor": web_user("sup-sinjar", Role.SUPERVISOR, "SNJ"),
    }


@pytest.fixture
def rescued_case(make_case):
    case = make_case(case_number="K-1")
    case_transition(
        case=case, event_type=EventType.RESCUED, on="2016-03", actor=None, source="first report"
    )
    return case


def rescue_event(case):
    return CaseEvent.objects.get(case=case, type=EventType.RESCUED)


@pytest.mark.django_db
def test_an_approved_correction_moves_the_milestone_and_keeps_the_event(people, rescued_case):
    event = rescue_event(rescued_case)
    assert rescued_case.rescued_on == dt.date(2016, 3, 31)
    version = Case.objects.get(pk=rescued_case.pk).version
    correction = event_correction_request(
        event=event,
        date="2016-02-14",
        source="the family's statement",
        reason="the month was misheard",
        actor=people["caseworker"],
    )
    # Nothing changes until a supervisor decides.
    assert Case.objects.get(pk=rescued_case.pk).rescued_on == dt.date(2016, 3, 31)

    event_correction_decide(correction=correction, approve=True, actor=people["supervisor"])
    case = Case.objects.get(pk=rescued_case.pk)
    assert case.rescued_on == dt.date(2016, 2, 14)
    assert case.version == version + 1
    event.refresh_from_db()
    assert str(event.date) == "2016-03"  # evidence is never edited
    correction.refresh_from_db()
    added = correction.correcting_event
    assert added.type == EventType.EVENT_CORRECTED
    assert added.sequence == event.sequence + 1
    assert (added.from_status, added.to_status) == (case.status, case.status)
    assert "misheard" in added.note
    transition = AuditEntry.objects.filter(
        action="transition", subject_id=str(case.pk), actor_username="sup-duhok"
    ).get()
    assert transition.changes["rescued_on"] == ["2016-03-31", "2016-02-14"]
    assert AuditEntry.objects.filter(
        action="create", subject_type="cases.eventcorrection", actor_username="cw-duhok"
    ).exists()


@pytest.mark.django_db
def test_who_may_decide(people, rescued_case):
    event = rescue_event(rescued_case)
    own = event_correction_request(
        event=event, date="2016-02", source="s", reason="r", actor=people["supervisor"]
    )
    with pytest.raises(ValidationError, match="someone other than who asked"):
        event_correction_decide(correction=own, approve=True, actor=people["supervisor"])
    with pytest.raises(ValidationError, match="supervisor of the case's office"):
        event_correction_decide(correction=own, approve=True, actor=people["other_supervisor"])
    with pytest.raises(ValidationError, match="supervisor of the case's office"):
        event_correction_decide(correction=own, approve=True, actor=people["caseworker"])
    own.refresh_from_db()
    assert own.status == EventCorrection.Status.PENDING
    assert Case.objects.get(pk=rescued_case.pk).rescued_on == dt.date(2016, 3, 31)


@pytest.mark.django_db
def test_a_rejection_changes_nothing_but_the_request(people, rescued_case):
    correction = event_correction_request(
        event=rescue_event(rescued_case),
        date="2016-02",
        source="s",
        reason="r",
        actor=people["caseworker"],
    )
    event_correction_decide(
        correction=correction, approve=False, actor=people["supervisor"], note="no evidence"
    )
    correction.refresh_from_db()
    assert correction.status == "rejected" and correction.correcting_event is None
    assert Case.objects.get(pk=rescued_case.pk).rescued_on == dt.date(2016, 3, 31)
    assert not CaseEvent.objects.filter(type=EventType.EVENT_CORRECTED).exists()
    with pytest.raises(ValidationError, match="already decided"):
        event_correction_decide(correction=correction, approve=True, actor=people["supervisor"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "date,reason,message",
    [
        ("2016-03", "r", "already recorded"),
        ("2099-01-01", "r", "in the future"),
        ("2010", "r", "before the abduction"),
        ("2016-13", "r", "month 13"),
        ("2016-02", " ", "Say why"),
    ],
)
def test_bad_requests_are_refused_by_field(people, rescued_case, date, reason, message):
    with pytest.raises(ValidationError, match=message):
        event_correction_request(
            event=rescue_event(rescued_case),
            date=date,
            source="s",
            reason=reason,
            actor=people["caseworker"],
        )
    assert not EventCorrection.objects.exists()


@pytest.mark.django_db
def test_one_pending_request_per_event_and_other_offices_may_not_ask(
    people, rescued_case, web_user
):
    event = rescue_event(rescued_case)
    event_correction_request(
        event=event, date="2016-02", source="s", reason="r", actor=people["caseworker"]
    )
    with pytest.raises(ValidationError, match="already awaits"):
        event_correction_request(
            event=event, date="2016-01", source="s", reason="r", actor=people["supervisor"]
        )
    outsider = web_user("cw-sinjar", Role.CASEWORKER, "SNJ")
    with pytest.raises(ValidationError, match="may not correct"):
        event_correction_request(
            event=event, date="2016-01", source="s", reason="r", actor=outsider
        )


@pytest.mark.django_db
def test_the_pages_ask_and_a_supervisor_decides(client, web_login, people, rescued_case):
    event = rescue_event(rescued_case)
    web_login(people["caseworker"])
    page = client.get(f"/cases/{rescued_case.pk}/").content.decode()
    assert f"/cases/{rescued_case.pk}/events/{event.pk}/correct/" in page
    bad = client.post(
        f"/cases/{rescued_case.pk}/events/{event.pk}/correct/",
        {"date": "2099-01-01", "source": "family", "reason": "misheard"},
    )
    assert bad.status_code == 400 and "in the future" in bad.content.decode()
    assert 'value="family"' in bad.content.decode()
    asked = client.post(
        f"/cases/{rescued_case.pk}/events/{event.pk}/correct/",
        {"date": "2016-02-14", "source": "family", "reason": "misheard"},
    )
    assert asked.status_code == 302
    correction = EventCorrection.objects.get()
    page = client.get(f"/cases/{rescued_case.pk}/").content.decode()
    assert "Corrections awaiting a supervisor" in page
    assert f"/corrections/{correction.pk}/decide/" not in page  # not the caseworker's call
    refused = client.post(
        f"/cases/{rescued_case.pk}/corrections/{correction.pk}/decide/", {"decision": "approve"}
    )
    assert refused.status_code == 403

    client.logout()
    web_login(people["supervisor"])
    page = client.get(f"/cases/{rescued_case.pk}/").content.decode()
    assert f"/corrections/{correction.pk}/decide/" in page
    client.post(
        f"/cases/{rescued_case.pk}/corrections/{correction.pk}/decide/", {"decision": "approve"}
    )
    assert Case.objects.get(pk=rescued_case.pk).rescued_on == dt.date(2016, 2, 14)
    assert "Event corrected" in client.get(f"/cases/{rescued_case.pk}/").content.decode()
