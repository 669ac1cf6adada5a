"""Tokens exchanged for an API key: what they carry, and every way one is refused."""

from __future__ import annotations

import jwt
import pytest

from voyager_proxy.auth import ApiKey, KeyRing, parse_keys
from voyager_proxy.keys import KeyRefused
from voyager_proxy.push.auth import Refused
from voyager_proxy.push.handshake import Gate, Grant, authorise
from voyager_proxy.tokens import ISSUER, LIFETIME, TokenIssuer, bearer, is_ours

SECRET = "jwt-secret-shared-with-laravel-0123456789"
NOW = 1_800_000_000.0
RENTER = ApiKey("renter", "control", b"renter-key-0123456789", frozenset({"Abort", "RemoteCameraShot"}))
ISSUER_OF_TESTS = TokenIssuer(SECRET)


def claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    return decoded


def test_a_token_carries_the_key_role_and_methods_for_an_hour_in_whole_seconds() -> None:
    """iss, sub, scope, methods, and numeric iat and exp an hour apart; read back as the key's rights."""
    token, expires = ISSUER_OF_TESTS.issue(RENTER, NOW + 0.7)
    assert expires == int(NOW) + LIFETIME == claims(token)["exp"]
    assert claims(token) == {
        "iss": ISSUER,
        "sub": "renter",
        "scope": "control",
        "methods": ["Abort", "RemoteCameraShot"],
        "iat": int(NOW),
        "exp": expires,
    }
    assert ISSUER_OF_TESTS.read(token, NOW + LIFETIME - 1) == ApiKey(
        "token:renter", "control", b"", frozenset({"Abort", "RemoteCameraShot"})
    )
    unlimited, _ = ISSUER_OF_TESTS.issue(ApiKey("viewer", "read", b"x" * 16), NOW)
    assert ISSUER_OF_TESTS.read(unlimited, NOW) == ApiKey("token:viewer", "read", b"", None)


def forged(**changes: object) -> str:
    base: dict[str, object] = {"iss": ISSUER, "sub": "x", "scope": "read", "methods": None, "iat": int(NOW)}
    base["exp"] = int(NOW) + 60
    base.update(changes)
    return jwt.encode({k: v for k, v in base.items() if v is not ...}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (forged(iat=int(NOW) - 60, exp=int(NOW)), "the token has expired"),
        (forged(iat=int(NOW) - 10, exp=int(NOW) + LIFETIME), "at most an hour apart"),
        (forged(exp=str(int(NOW) + 60)), "whole seconds"),
        (forged(iat=...), "iat"),
        (forged(iss="laravel"), "Invalid issuer"),
        (forged(scope="admin"), "scope read or control"),
        (forged(methods="Abort"), "list of methods"),
        (jwt.encode({"iss": ISSUER, "sub": "x"}, "another-secret-of-at-least-32-bytes!"), "Signature"),
        ("not-a-token", "not valid"),
    ],
)
def test_a_bad_or_late_token_is_refused_with_401(token: str, message: str) -> None:
    """Expired, too long-lived, non-numeric times, missing claims, another issuer or secret: 401 saying why."""
    refused = ISSUER_OF_TESTS.read(token, NOW)
    assert isinstance(refused, KeyRefused) and refused.status == 401
    assert message in refused.message


def test_without_a_configured_secret_each_process_draws_its_own() -> None:
    """An empty websocket.jwt_secret gives a random secret: a token of one daemon is refused by another."""
    first, second = TokenIssuer.with_secret(""), TokenIssuer.with_secret("")
    token, _ = first.issue(RENTER, NOW)
    assert first.read(token, NOW) != second.read(token, NOW)
    assert isinstance(second.read(token, NOW), KeyRefused)
    assert TokenIssuer.with_secret(SECRET).secret == SECRET
    assert SECRET not in repr(TokenIssuer(SECRET))


def test_bearer_header_and_issuer_peek() -> None:
    """Only `Bearer <token>` names a token; is_ours tells this daemon's tokens from Laravel's ones."""
    assert bearer("Bearer abc") == "abc" and bearer("bearer  abc ") == "abc"
    assert bearer(None) is None and bearer("Basic abc") is None and bearer("Bearer ") is None
    token, _ = ISSUER_OF_TESTS.issue(RENTER, NOW)
    assert is_ours(token) and not is_ours(jwt.encode({"sub": "42"}, SECRET)) and not is_ours("junk")


def test_the_websocket_accepts_our_tokens_even_without_laravel_secret() -> None:
    """?token= from POST /api/tokens opens /ws as that key (joining no room); expired, it is refused with 401."""
    issued = TokenIssuer.with_secret("")
    keys = KeyRing(parse_keys(["renter:control:renter-key-0123456789:Abort"]))
    gate = Gate(keys, None, ("*",), 86400.0, issued)
    token, _ = issued.issue(keys.find("renter-key-0123456789") or RENTER, NOW)
    granted = authorise(gate, None, {"token": [token]}, {}, NOW)
    assert granted == Grant(ApiKey("token:renter", "control", b"", frozenset({"Abort"})), frozenset())
    expired = authorise(gate, None, {"token": [token]}, {}, NOW + LIFETIME)
    assert isinstance(expired, Refused) and (expired.status, expired.reason) == (401, "the token has expired")
    laravel = jwt.encode({"sub": "42", "scope": "read", "iat": int(NOW), "exp": int(NOW) + 60}, SECRET)
    refused = authorise(gate, None, {"token": [laravel]}, {}, NOW)
    assert isinstance(refused, Refused) and (refused.status, refused.reason) == (
        403,
        "tokens are not accepted (websocket.jwt_secret is not set)",
    )
