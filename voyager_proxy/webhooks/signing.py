"""Standard Webhooks signatures: C{v1,<base64 HMAC-SHA256>} of C{id.timestamp.body} (pure)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
VERSION = "v1"
MIN_SECRET_BYTES = 24  # the specification: at least 24 bytes, at most 64


def secret_problem(text: str) -> str | None:
    """Why C{text} is not a usable C{whsec_<base64>} secret, or None."""
    if not text.startswith(SECRET_PREFIX):
        return f"must start with {SECRET_PREFIX}"
    try:
        key = base64.b64decode(text[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return f"must be {SECRET_PREFIX} followed by base64"
    if not MIN_SECRET_BYTES <= len(key) <= 64:
        return f"must decode to {MIN_SECRET_BYTES} to 64 bytes, got {len(key)}"
    return None


def secret_key(text: str) -> bytes:
    """The HMAC key of a C{whsec_<base64>} secret."""
    return base64.b64decode(text.removeprefix(SECRET_PREFIX))


def new_secret() -> str:
    """A fresh random secret in the specification's form (32 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """One signature, C{v1,<base64>}, of C{message_id.timestamp.body}."""
    signed = b".".join((message_id.encode("ascii"), str(timestamp).encode("ascii"), body))
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(keys: tuple[bytes, ...], message_id: str, timestamp: int, body: bytes) -> str:
    """The C{webhook-signature} value: one signature per key, space separated (rotation)."""
    return " ".join(sign(key, message_id, timestamp, body) for key in keys)


def verify(keys: tuple[bytes, ...], message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True if any C{v1} signature of C{header} matches any key (constant-time comparison)."""
    expected = [sign(key, message_id, timestamp, body) for key in keys]
    given = [part for part in header.split(" ") if part.startswith(VERSION + ",")]
    return any(hmac.compare_digest(mine.encode(), theirs.encode()) for mine in expected for theirs in given)
