import pytest

from webhooks.backoff import retry_delay, retry_schedule

HOUR = 3600.0


def test_the_delay_doubles_from_the_base():
    assert [retry_delay(n, base=30, cap=6 * HOUR) for n in range(1, 8)] == [
        30.0,
        60.0,
        120.0,
        240.0,
        480.0,
        960.0,
        1920.0,
    ]


def test_the_default_schedule_gives_a_receiver_about_an_hour():
    delays = retry_schedule(8, base=30, cap=6 * HOUR)
    assert len(delays) == 7  # eight attempts, seven waits
    assert sum(delays) == 3810.0  # 63.5 minutes from the first attempt to the last


def test_the_delay_is_capped_and_never_overflows():
    assert retry_delay(10, base=30, cap=600) == 600.0
    assert retry_delay(10_000, base=30, cap=6 * HOUR) == 6 * HOUR


def test_a_zero_base_retries_at_once():
    assert retry_schedule(4, base=0, cap=HOUR) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_are_numbered_from_one(attempt):
    with pytest.raises(ValueError):
        retry_delay(attempt, base=30, cap=HOUR)
