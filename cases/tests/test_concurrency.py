"""Two caseworkers record the same rescue at the same moment: exactly one succeeds."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cases.lifecycle import EventType, Status
from cases.models import Case, CaseEvent
from cases.services import case_transition


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rescues_of_one_case_record_one_event(make_case):
    case = make_case()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record() -> None:
        try:
            barrier.wait(timeout=10)
            case_transition(
                case=Case.objects.get(pk=case.pk),
                event_type=EventType.RESCUED,
                on="2016-05-01",
                actor=None,
                source="caseworker",
            )
            outcomes.append("recorded")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["recorded", "refused"]
    assert CaseEvent.objects.filter(case=case, type=EventType.RESCUED).count() == 1
    case.refresh_from_db()
    assert (case.status, case.version) == (Status.RESCUED, 2)
