"""Requests refused before anything is sent to Voyager (pure); L{voyager_proxy.failures} names them."""

from __future__ import annotations

from collections import OrderedDict

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


class IdempotencyKeys:
    """
    What each caller's Idempotency-Key was first given with (its route and
    body), for the latest C{size} keys: commands and RoboTarget plans share
    one, so a key is bound to one request whichever route it came on.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._bound: OrderedDict[tuple[str, str], tuple[object, str | None]] = OrderedDict()

    def check(self, sender: str, key: str, request: object) -> None:
        """L{IdempotencyKeyReused} when C{sender} gave C{key} with another C{request}."""
        bound = self._bound.get((sender, key))
        if bound is not None and bound[0] != request:
            raise IdempotencyKeyReused(key, bound[1])

    def bind(self, sender: str, key: str, request: object, uid: str | None = None) -> None:
        """Remember that C{key} came with C{request} (and made command C{uid})."""
        self._bound[(sender, key)] = (request, uid)
        self._bound.move_to_end((sender, key))
        while len(self._bound) > self._size:
            self._bound.popitem(last=False)
