import hashlib
import hmac

from webhooks.signing import signature_compute, signature_verify

SECRET = "s3cret-for-tests"
BODY = b'{"case":{"id":"x"},"event":{"type":"rescued"}}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature_compute(secret=SECRET, timestamp=1700000000, body=BODY) == f"sha256={expected}"


def test_a_receiver_accepts_a_fresh_signed_body():
    signature = signature_compute(secret=SECRET, timestamp=1700000000, body=BODY)
    assert signature_verify(
        secret=SECRET, timestamp="1700000000", body=BODY, signature=signature, now=1700000010
    )


def test_a_receiver_refuses_tampering_replay_and_the_wrong_key():
    signature = signature_compute(secret=SECRET, timestamp=1700000000, body=BODY)
    common = {"timestamp": "1700000000", "signature": signature, "now": 1700000010}
    assert not signature_verify(secret=SECRET, body=BODY + b" ", **common)
    assert not signature_verify(secret="another", body=BODY, **common)
    # The same request an hour later: the timestamp is inside the MAC, so it cannot be renewed.
    assert not signature_verify(
        secret=SECRET, timestamp="1700000000", body=BODY, signature=signature, now=1700003600
    )
    assert not signature_verify(
        secret=SECRET, timestamp="1700003600", body=BODY, signature=signature, now=1700003600
    )
    assert not signature_verify(
        secret=SECRET, timestamp="soon", body=BODY, signature=signature, now=1700000010
    )
