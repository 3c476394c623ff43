"""audit_verify finds the first entry that was changed, removed or reordered by someone who
bypassed the triggers (the table's owner), and passes an intact chain."""

import pytest

from audit import guard
from audit.services import audit_log

from .conftest import raw, run_verify, triggers_bypassed, verify_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Six fresh entries; returns their sequence numbers."""
    return [
        audit_log(action="view", subject_type="cases.case", subject_id=f"c{n}").sequence
        for n in range(6)
    ]


def test_an_intact_chain_passes(chain):
    code, out, err = run_verify()
    assert code == 0, err
    assert f"audit chain intact: {chain[-1]} entries" in out
    report = verify_json()
    assert report["intact"] and report["entries"] == chain[-1]
    assert report["first_broken_sequence"] is None


def test_a_changed_entry_is_named(chain):
    altered = chain[2]
    with triggers_bypassed():
        sql = f"UPDATE {guard.TABLE} SET changes = %s WHERE sequence = %s"
        assert raw(sql, ['{"fields": []}', altered]) == 1

    code, _, err = run_verify()
    assert code == 1
    assert f"BROKEN at entry {altered}:" in err
    assert "was changed" in err
    report = verify_json()
    assert (report["intact"], report["first_broken_sequence"]) == (False, altered)
    assert report["entries"] == altered - 1


def test_a_changed_actor_is_named_too(chain):
    with triggers_bypassed():
        raw(f"UPDATE {guard.TABLE} SET actor_username = 'nobody' WHERE sequence = %s", [chain[4]])
    assert verify_json()["first_broken_sequence"] == chain[4]


def test_a_deleted_entry_is_named(chain):
    removed = chain[3]
    with triggers_bypassed():
        assert raw(f"DELETE FROM {guard.TABLE} WHERE sequence = %s", [removed]) == 1

    code, _, err = run_verify()
    assert code == 1
    assert f"BROKEN at entry {removed}: entry {removed} is missing (next is {removed + 1})" in err
    assert verify_json()["first_broken_sequence"] == removed


def test_a_deleted_entry_renumbered_to_close_the_gap_is_named(chain):
    """Deleting one entry and renumbering the rest leaves no gap, but the next entry's link to
    its predecessor is broken."""
    removed = chain[1]
    with triggers_bypassed():
        raw(f"DELETE FROM {guard.TABLE} WHERE sequence = %s", [removed])
        for sequence in chain[2:]:
            raw(
                f"UPDATE {guard.TABLE} SET sequence = %s WHERE sequence = %s",
                [sequence - 1, sequence],
            )
    report = verify_json()
    assert report["first_broken_sequence"] == removed
    assert "does not follow" in report["problem"]


def test_two_swapped_entries_are_named_at_the_first(chain):
    first, second = chain[1], chain[4]
    with triggers_bypassed():
        # Through a spare number: sequence is unique.
        spare = 10**12
        raw(f"UPDATE {guard.TABLE} SET sequence = %s WHERE sequence = %s", [spare, first])
        raw(f"UPDATE {guard.TABLE} SET sequence = %s WHERE sequence = %s", [first, second])
        raw(f"UPDATE {guard.TABLE} SET sequence = %s WHERE sequence = %s", [second, spare])

    code, _, err = run_verify()
    assert code == 1
    assert f"BROKEN at entry {first}:" in err
    assert verify_json()["first_broken_sequence"] == first


def test_the_last_entry_deleted_and_rehashed_chain_is_only_caught_by_the_published_hash(chain):
    """What the chain alone cannot show: the newest entries removed. The last hash printed by
    audit_verify is what to keep elsewhere; after the removal it differs."""
    head_before = verify_json()["last_hash"]
    with triggers_bypassed():
        raw(f"DELETE FROM {guard.TABLE} WHERE sequence = %s", [chain[-1]])
    report = verify_json()
    assert report["intact"]
    assert report["last_hash"] != head_before
