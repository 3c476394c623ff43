"""The retry schedule, as a pure function so that it can be read and tested on its own."""

from __future__ import annotations


def retry_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, 3...) before the next one.

    Exponential: base, 2 x base, 4 x base..., never more than `cap`. With the defaults (30 s,
    8 attempts) the retries come 30 s, 1, 2, 4, 8, 16 and 32 minutes apart: a receiver may be
    down for about an hour before a delivery becomes a dead letter.

    No random jitter: deliveries fail together when a receiver is down, but they come from one
    worker queue in order anyway, and a deterministic schedule is what the delivery log and the
    receiver's operators can reason about.
    """
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    if base < 0 or cap < 0:
        raise ValueError("delays are not negative")
    # min() before the power would overflow: 2**1000 is fine for ints, not for floats.
    exponent = min(attempt - 1, 62)
    return float(min(base * (2**exponent), cap))


def retry_schedule(max_attempts: int, *, base: float, cap: float) -> list[float]:
    """The delays between all the attempts of a delivery (one fewer than the attempts)."""
    return [retry_delay(n, base=base, cap=cap) for n in range(1, max_attempts)]
