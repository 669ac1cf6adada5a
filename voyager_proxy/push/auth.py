"""Who opens a dashboard connection: an API key, or a browser's token from Laravel (pure)."""

from __future__ import annotations

import attrs
import jwt

from ..auth import ApiKey, KeyRing
from ..keys import UNKNOWN_KEY, KeyRefused, look_up
from ..tokens import TokenIssuer, is_ours


@attrs.frozen
class Identity:
    """The key a connection acts as; C{may_join} None lets it join any room (API keys)."""

    key: ApiKey
    may_join: frozenset[str] | None = None


@attrs.frozen
class Refused:
    """A handshake refused with an HTTP C{status}; C{warn} when it is worth a log line (an unknown key)."""

    status: int
    reason: str
    warn: bool = False


def identify_token(token: str, secret: str | None) -> Identity | Refused:
    """A browser's JWT from Laravel: HS256, with sub, exp, scope and rooms."""
    if not secret:
        return Refused(403, "tokens are not accepted (websocket.jwt_secret is not set)")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp", "scope"]})
    except jwt.ExpiredSignatureError:
        return Refused(401, "the token has expired")
    except jwt.InvalidTokenError as problem:
        return Refused(401, f"the token is not valid: {problem}")
    scope, rooms = claims.get("scope"), claims.get("rooms", [])
    if scope not in ("read", "control") or not isinstance(rooms, list):
        return Refused(403, "the token needs scope read or control and a list of rooms")
    return Identity(ApiKey(f"token:{claims['sub']}", scope, b""), frozenset(str(room) for room in rooms))


def identify_browser_token(
    token: str, secret: str | None, issued: TokenIssuer | None, now: float
) -> Identity | Refused:
    """
    A browser's token: one of C{issued}'s (POST /api/tokens), checked at
    C{now} and joining no room; else Laravel's (L{identify_token}).
    """
    if issued is None or not is_ours(token):
        return identify_token(token, secret)
    found = issued.read(token, now)
    if isinstance(found, KeyRefused):
        return Refused(found.status, found.message)
    return Identity(found, frozenset())


def identify_key(presented: str | None, keys: KeyRing) -> Identity | Refused:
    """An API key from C{X-API-Key} or C{?api_key=}, judged as REST judges it (L{look_up})."""
    found = look_up(keys, presented)
    if isinstance(found, KeyRefused):
        return Refused(found.status, found.message, warn=found is UNKNOWN_KEY)
    return Identity(found)
