"""Requests refused before anything is sent to Voyager (pure); L{voyager_proxy.failures} names them."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

from .voyager.errors import VoyagerError


class ForeignUid(VoyagerError):
    """A caller named a UID the proxy did not make for it: commands get their UID from the proxy."""

    def __init__(self, method: str, uid: str, why: str) -> None:
        super().__init__(f"UID {uid!r}: {why}")
        self.method = method
        self.uid = uid


class IdempotencyKeyReused(VoyagerError):
    """An Idempotency-Key sent again with another route or body: never a replay of the other command."""

    def __init__(self, key: str, uid: str | None) -> None:
        super().__init__(f"the Idempotency-Key {key!r} was used for another request")
        self.uid = uid  # the command it was used for, if it was one


class ShuttingDown(VoyagerError):
    """
    The proxy is stopping: a command still in flight is answered now, with
    its UID and whether Voyager had acknowledged it (it may still run it);
    a new one is refused (no UID).
    """

    def __init__(self, method: str, uid: str | None, acknowledged: bool) -> None:
        sent = f"{method} ({uid}) was {'acknowledged' if acknowledged else 'sent'}; its end is not known" if uid else ""
        super().__init__(f"the proxy is shutting down{': ' + sent if sent else ''}")
        self.uid = uid
        self.acknowledged = acknowledged


def fingerprint(request: object) -> bytes:
    """
    A digest of C{request} (route and body) as canonical JSON: keys sorted,
    no spaces, so C{true} and C{1}, or C{1} and C{1.0}, are different requests.
    """

    def text(value: Any) -> Any:
        return value.decode("latin-1") if isinstance(value, bytes) else repr(value)

    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=text)
    return hashlib.sha256(canonical.encode()).digest()


class IdempotencyKeys:
    """
    What each caller's Idempotency-Key was first given with (its route and
    body, as a L{fingerprint}) and the command it made, for the latest
    C{size} keys: commands and RoboTarget plans share one, so a key is bound
    to one request whichever route it came on. The one place a key is bound.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._bound: OrderedDict[tuple[str, str], tuple[bytes, str | None]] = OrderedDict()

    def check(self, sender: str, key: str, request: object) -> str | None:
        """
        The command C{sender}'s C{key} made with this same C{request} (None:
        unbound, or not a command); L{IdempotencyKeyReused} when it came with another.
        """
        bound = self._bound.get((sender, key))
        if bound is None:
            return None
        if bound[0] != fingerprint(request):
            raise IdempotencyKeyReused(key, bound[1])
        return bound[1]

    def bind(self, sender: str, key: str, request: object, uid: str | None = None) -> None:
        """Remember that C{key} came with C{request} (and made command C{uid})."""
        self._bound[(sender, key)] = (fingerprint(request), uid)
        self._bound.move_to_end((sender, key))
        while len(self._bound) > self._size:
            self._bound.popitem(last=False)
