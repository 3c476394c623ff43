"""How a delivery is signed, and how a receiver checks it (docs/webhooks.md shows the same in a
few lines for partners).

The signed message is the timestamp, a dot, and the exact body bytes:

    X-Tracker-Timestamp: 1718000000
    X-Tracker-Signature: sha256=hex(HMAC-SHA256(secret, b"1718000000." + body))

The timestamp is inside the MAC so that a captured request cannot be replayed later with a
fresh timestamp; a receiver refuses timestamps older than a few minutes and remembers the
X-Tracker-Delivery ids it has already processed (a retry carries the same delivery id, a new
timestamp and a new signature).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Tracker-Signature"
TIMESTAMP_HEADER = "X-Tracker-Timestamp"
DELIVERY_HEADER = "X-Tracker-Delivery"
EVENT_HEADER = "X-Tracker-Event"
SCHEME = "sha256"
# What a receiver should tolerate between our clock and its own.
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    """The X-Tracker-Signature value for this body sent at this time."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signature_verify(
    *,
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: a well-formed, recent timestamp and a matching MAC (compared in
    constant time)."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent_at) > tolerance:
        return False
    expected = signature_compute(secret=secret, timestamp=sent_at, body=body)
    return hmac.compare_digest(expected.encode("ascii"), str(signature).encode("ascii", "replace"))
