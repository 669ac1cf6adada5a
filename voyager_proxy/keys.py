"""
Who is calling, from the key presented (pure): the lookup REST requests and
the WebSocket handshake share.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, NoReturn, TypeVar

import attrs
from twisted.logger import Logger

from .auth import LOCAL, ApiKey, KeyRing

E = TypeVar("E", bound=Exception)
Refuse = Callable[[int, str], Exception]  # (HTTP status, message) -> the exception to raise


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
class KeyLookup:
    """
    The configured keys, and how a presented one is judged: C{LOCAL} when no
    key is configured, 401 when none is presented, 403 when it is unknown.
    C{what} names the caller in the warnings (the key itself is never logged).
    """

    keys: KeyRing
    what: str = "API request"
    _log = Logger()

    def find(self, presented: str | None, address: str, refuse: Refuse) -> ApiKey:
        """The key presented from C{address}; C{refuse(status, message)} is raised otherwise."""
        if not self.keys.enabled:
            return LOCAL
        if not presented:
            self._log.warn("{what} without a key from {address}", what=self.what, address=address)
            self._refuse(refuse, 401, "an API key is required (X-API-Key header or api_key)")
        key = self.keys.find(presented)
        if key is None:
            self._log.warn("{what} with an unknown key from {address}", what=self.what, address=address)
            self._refuse(refuse, 403, "the API key is not valid")
        return key

    @staticmethod
    def _refuse(refuse: Refuse, status: int, message: str) -> NoReturn:
        raise refuse(status, message)


def may_send(key: ApiKey, method: str) -> bool:
    """Whether C{key}'s method list, if it has one, names C{method} (the role is checked apart)."""
    return key.methods is None or method in key.methods
