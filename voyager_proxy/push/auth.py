"""Who opens a dashboard connection: an API key, or a browser's token from Laravel (pure)."""

from __future__ import annotations

import attrs
import jwt

from ..auth import ApiKey, KeyRing
from ..keys import KeyRefused, look_up
from ..numbers import finite_number
from ..tokens import TokenIssuer, is_ours


@attrs.frozen
class Identity:
    """The key a connection acts as; C{may_join} None lets it join any room (API keys)."""

    key: ApiKey
    may_join: frozenset[str] | None = None


@attrs.frozen
class Refused:
    """
    A handshake refused with an HTTP C{status}; C{credentials} when its key
    or token failed (counted per address, see L{FailedAuthentications}).
    """

    status: int
    reason: str
    credentials: bool = False


def identify_token(token: str, secret: str | None, now: float, longest: float) -> Identity | Refused:
    """
    A browser's JWT from Laravel: HS256, with sub, scope, rooms (the only
    ones it may join), optional methods (narrowing its commands as a key's
    list does), a finite numeric
    C{iat} not after C{now} and a finite numeric C{exp} after C{now}, at most
    C{longest} seconds ahead (C{websocket.max_token_lifetime}). PyJWT checks
    the signature and the claims' presence; the times are checked here, on
    the daemon's clock, since PyJWT also takes numeric text for a time.
    """
    if not secret:
        return Refused(403, "tokens are not accepted (websocket.jwt_secret is not set)")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["sub", "exp", "iat", "scope"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as problem:
        return Refused(401, f"the token is not valid: {problem}")
    expires, issued = finite_number(claims.get("exp")), finite_number(claims.get("iat"))
    if expires is None or issued is None:
        return Refused(401, "the token's exp and iat must be numbers (seconds since the epoch)")
    if issued > now:
        return Refused(401, "the token is issued in the future (iat)")
    if expires <= now:
        return Refused(401, "the token has expired")
    if expires - now > longest:
        return Refused(401, f"the token lives too long: exp is at most {longest:g} s ahead")
    scope, rooms, methods = claims.get("scope"), claims.get("rooms", []), claims.get("methods")
    if scope not in ("read", "control") or not isinstance(rooms, list):
        return Refused(403, "the token needs scope read or control and a list of rooms")
    if methods is not None and (not isinstance(methods, list) or not all(isinstance(m, str) for m in methods)):
        return Refused(403, "the token's methods must be a list of Voyager method names")
    narrowed = frozenset(methods) if methods is not None else None
    return Identity(ApiKey(f"token:{claims['sub']}", scope, b"", narrowed), frozenset(str(room) for room in rooms))


def identify_browser_token(
    token: str, secret: str | None, issued: TokenIssuer | None, now: float, longest: float
) -> Identity | Refused:
    """
    A browser's token: one of C{issued}'s (POST /api/tokens), checked at
    C{now} and joining no room; else Laravel's (L{identify_token}).
    """
    if issued is None or not is_ours(token):
        return identify_token(token, secret, now, longest)
    found = issued.read(token, now)
    if isinstance(found, KeyRefused):
        return Refused(found.status, found.message)
    return Identity(found, frozenset())


def identify_key(presented: str | None, keys: KeyRing) -> Identity | Refused:
    """An API key from C{X-API-Key} or C{?api_key=}, judged as REST judges it (L{look_up})."""
    found = look_up(keys, presented)
    if isinstance(found, KeyRefused):
        return Refused(found.status, found.message)
    return Identity(found)
