"""
Short-lived tokens exchanged for an API key (pure): POST /api/tokens issues
them, REST accepts them as C{Authorization: Bearer}, the WebSocket as
C{?token=}. A browser keeps the token in memory, never the key.

They are HS256 JWTs in the format the WebSocket already reads (sub, exp,
scope) plus C{iss}, C{iat} and the key's method list, signed with
C{websocket.jwt_secret} or, when none is set, a secret drawn per process.
"""

from __future__ import annotations

import secrets

import attrs
import jwt

from .auth import ROLES, ApiKey
from .keys import KeyRefused
from .numbers import whole_number

ISSUER = "voyager-proxy"
LIFETIME = 3600  # seconds: at most an hour


@attrs.frozen
class TokenIssuer:
    """Issues and reads this daemon's tokens; C{secret} never leaves the process."""

    secret: str = attrs.field(repr=False)
    lifetime: int = LIFETIME

    @classmethod
    def with_secret(cls, configured: str) -> TokenIssuer:
        """Sign with C{configured} (websocket.jwt_secret), or with a random secret when it is empty."""
        return cls(configured or secrets.token_urlsafe(32))

    def issue(self, key: ApiKey, now: float) -> tuple[str, int]:
        """A token for C{key} and when it expires (epoch seconds)."""
        issued_at = int(now)
        expires = issued_at + self.lifetime
        claims = {
            "iss": ISSUER,
            "sub": key.name,
            "scope": key.role,
            "methods": None if key.methods is None else sorted(key.methods),
            "iat": issued_at,
            "exp": expires,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256"), expires

    def read(self, token: str, now: float) -> ApiKey | KeyRefused:
        """The key a token of ours stands for, or why it is refused (401)."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["iss", "sub", "iat", "exp", "scope"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError as problem:
            return KeyRefused(401, f"the token is not valid: {problem}")
        issued_at, expires, methods = claims["iat"], claims["exp"], claims.get("methods")
        if (
            whole_number(issued_at) is None
            or whole_number(expires) is None
            or not 0 < expires - issued_at <= self.lifetime
        ):
            return KeyRefused(401, "the token's iat and exp must be whole seconds at most an hour apart")
        if now >= expires:
            return KeyRefused(401, "the token has expired")
        if claims["scope"] not in ROLES or not (methods is None or isinstance(methods, list)):
            return KeyRefused(401, "the token needs scope read or control and a list of methods")
        allowed = None if methods is None else frozenset(str(method) for method in methods)
        return ApiKey(f"token:{claims['sub']}", claims["scope"], b"", allowed)


def is_ours(token: str) -> bool:
    """Whether C{token} says this daemon issued it (unverified: only to choose how to verify it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return False
    return isinstance(claims, dict) and claims.get("iss") == ISSUER


def bearer(header: str | None) -> str | None:
    """The token of an C{Authorization: Bearer <token>} header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
