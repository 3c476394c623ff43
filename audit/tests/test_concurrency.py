"""Writers appending at the same moment on PostgreSQL: the chain stays one line, gapless and
verifiable (the advisory lock serialises appends; without it two writers would read the same
last entry and one would fail on the unique sequence, or the chain would fork)."""

import threading

import pytest
from django.db import connection

from audit.chain import verify_chain
from audit.models import AuditEntry
from audit.services import audit_log
from cases.lifecycle import EventType
from cases.models import Case
from cases.services import case_transition

THREADS = 4
PER_THREAD = 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_gapless_verifying_chain(make_case):
    cases = [make_case() for _ in range(THREADS)]
    start = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def write(case_pk) -> None:
        try:
            barrier.wait(timeout=10)
            for number in range(PER_THREAD):
                audit_log(
                    action="view", subject_type="cases.case", subject_id=f"{case_pk}-{number}"
                )
            # And through a service, whose entry shares the transaction with its row lock.
            case_transition(
                case=Case.objects.get(pk=case_pk),
                event_type=EventType.RESCUED,
                on="2016-05-01",
                actor=None,
                source="caseworker",
            )
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=write, args=(case.pk,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    written = list(
        AuditEntry.objects.filter(sequence__gt=start)
        .order_by("sequence")
        .values_list("sequence", "prev_hash", "hash")
    )
    assert len(written) == THREADS * (PER_THREAD + 1)
    assert [row[0] for row in written] == list(range(start + 1, start + 1 + len(written)))
    for (_, _, previous), (_, prev_hash, _) in zip(written, written[1:], strict=False):
        assert prev_hash == previous
    report = verify_chain()
    assert report.intact, report.problem
