"""
Who is calling, from the key presented (pure): the lookup REST requests and
the WebSocket handshake share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from .auth import LOCAL, ApiKey, KeyRing

if TYPE_CHECKING:
    from .ratelimit import FailedAuthentications

Refuse = Callable[[int, str, float], Exception]  # (HTTP status, message, seconds to wait) -> the exception to raise


def presented_key(header: str | None, query: Iterable[str] | None) -> str | None:
    """The key in the X-API-Key header, else the first C{api_key} query value."""
    if header:
        return header
    values = list(query or ())
    return values[0] if values else None


def query_values(args: Mapping[bytes, list[bytes]], name: str) -> list[str]:
    """Twisted's C{request.args} values of C{name}, as text."""
    return [value.decode("utf-8", "replace") for value in args.get(name.encode(), [])]


@attrs.frozen
class KeyRefused:
    """Why a presented key is not accepted: 401 when none was presented, 403 when it is unknown."""

    status: int
    message: str


NO_KEY = KeyRefused(401, "an API key is required (X-API-Key header or api_key)")
UNKNOWN_KEY = KeyRefused(403, "the API key is not valid")


def look_up(keys: KeyRing, presented: str | None) -> ApiKey | KeyRefused:
    """The key C{presented} names: L{LOCAL} when no key is configured, else the key or why it is refused."""
    if not keys.enabled:
        return LOCAL
    if not presented:
        return NO_KEY
    key = keys.find(presented)
    return UNKNOWN_KEY if key is None else key


@attrs.frozen
class KeyLookup:
    """
    The configured keys, and how a presented one is judged: C{LOCAL} when no
    key is configured, 401 when none is presented, 403 when it is unknown,
    429 when its address failed too often (L{FailedAuthentications}).
    C{what} names the caller in the warnings (the key itself is never logged).
    """

    keys: KeyRing
    failures: FailedAuthentications
    what: str = "API request"

    def find(self, presented: str | None, address: str, refuse: Refuse) -> ApiKey:
        """The key presented from C{address}; C{refuse(status, message, wait)} is raised otherwise."""
        found = look_up(self.keys, presented)
        if isinstance(found, KeyRefused):
            problem = "without a key" if found is NO_KEY else "with an unknown key"
            wait = self.failures.failed(address, self.what, problem)
            if wait:
                raise refuse(429, TOO_MANY_FAILURES, wait)
            raise refuse(found.status, found.message, 0.0)
        return found


TOO_MANY_FAILURES = "too many failed authentications from this address; retry later"


def is_narrowed(key: ApiKey) -> bool:
    """Whether C{key} has a method list: then it sees only its own commands in the ledger."""
    return key.methods is not None


def may_send(key: ApiKey, method: str) -> bool:
    """Whether C{key}'s method list, if it has one, names C{method} (the role is checked apart)."""
    return key.methods is None or method in key.methods


def may_see(key: ApiKey, owner: str | None) -> bool:
    """
    Whether C{key} may read an event whose command belongs to C{owner} (see
    L{voyager_proxy.ledger.CommandLedger.owner_of}): everyone reads the events
    of no command; a narrowed key only those of the commands it sent.
    """
    return owner is None or key.methods is None or owner == key.name
