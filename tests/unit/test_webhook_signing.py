"""Standard Webhooks signatures: the specification's vectors, rotation, secrets."""

from __future__ import annotations

import pytest

from voyager_proxy.webhooks.signing import new_secret, secret_key, secret_problem, sign, signature_header, verify

# The vector of the specification's reference libraries (standard-webhooks, libraries/*/tests).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
WRONG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="  # the libraries' invalid signature: last byte changed


def test_signature_of_the_specification_vector() -> None:
    """Signing the reference libraries' message gives their expected signature."""
    assert sign(secret_key(SECRET), MESSAGE_ID, TIMESTAMP, PAYLOAD) == SIGNATURE


def test_vector_verifies_and_a_changed_signature_does_not() -> None:
    """The vector's signature verifies; the libraries' altered one, another body or timestamp do not."""
    key = (secret_key(SECRET),)
    assert verify(key, MESSAGE_ID, TIMESTAMP, PAYLOAD, SIGNATURE)
    assert not verify(key, MESSAGE_ID, TIMESTAMP, PAYLOAD, WRONG)
    assert not verify(key, MESSAGE_ID, TIMESTAMP, b'{"test": 2432232315}', SIGNATURE)
    assert not verify(key, MESSAGE_ID, TIMESTAMP + 1, PAYLOAD, SIGNATURE)


def test_multi_signature_header_verifies_if_one_matches() -> None:
    """As in the libraries' multi-signature test: unknown versions and wrong v1 entries are skipped."""
    header = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            SIGNATURE,
        ]
    )
    assert verify((secret_key(SECRET),), MESSAGE_ID, TIMESTAMP, PAYLOAD, header)


def test_rotation_signs_with_every_secret_and_either_verifies() -> None:
    """With a previous secret, the header carries two signatures; a receiver knowing either one verifies."""
    old, new = new_secret(), new_secret()
    keys = (secret_key(new), secret_key(old))
    header = signature_header(keys, MESSAGE_ID, TIMESTAMP, PAYLOAD)
    assert len(header.split(" ")) == 2
    assert verify((secret_key(old),), MESSAGE_ID, TIMESTAMP, PAYLOAD, header)
    assert verify((secret_key(new),), MESSAGE_ID, TIMESTAMP, PAYLOAD, header)
    assert not verify((secret_key(new_secret()),), MESSAGE_ID, TIMESTAMP, PAYLOAD, header)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (SECRET, None),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"),
        ("whsec_not base64!", "must be whsec_ followed by base64"),
        ("whsec_c2hvcnQ=", "must decode to 24 to 64 bytes, got 5"),
    ],
)
def test_secret_problems(text: str, problem: str | None) -> None:
    """A secret must be whsec_ and base64 of 24 to 64 bytes."""
    assert secret_problem(text) == problem


def test_new_secrets_are_valid_and_distinct() -> None:
    """new_secret() makes a usable secret, a different one each time."""
    first, second = new_secret(), new_secret()
    assert secret_problem(first) is None and first != second
