"""Commands sent for API and WebSocket callers: sending, the bounded ledger, timing."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import attrs
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from .failures import describe
from .metrics import Metrics
from .voyager import Command, EventBus, VoyagerEvent, VoyagerLink


@attrs.define(eq=False)
class LedgerEntry:
    """One command: who sent it, and what became of it (read live from the command)."""

    command: Command
    sender: str
    idempotency_key: str | None

    def as_dict(self) -> dict[str, Any]:
        command = self.command
        entry: dict[str, Any] = {
            "uid": command.uid,
            "method": command.method,
            "params": {k: v for k, v in command.params.items() if k != "UID"},
            "sender": self.sender,
            "state": command.state.value,
            "sentAt": command.sent_at,
            "result": None,
            "error": None,
        }
        outcome = command.outcome
        if isinstance(outcome, Failure):
            entry["error"] = describe(outcome.value).as_error()
        elif isinstance(outcome, VoyagerEvent):
            entry["result"] = event_body(outcome)
        elif outcome is not None:
            entry["result"] = outcome
        return entry


def event_body(event: VoyagerEvent) -> dict[str, Any]:
    """Voyager's fields plus our C{parsed} part."""
    return {**event.fields, "parsed": event.parsed}


class CommandLedger:
    """The latest C{size} commands by UID, and idempotency keys per sender."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, LedgerEntry] = OrderedDict()
        self._by_idempotency: dict[tuple[str, str], str] = {}

    def record(self, command: Command, sender: str, idempotency_key: str | None) -> LedgerEntry:
        entry = LedgerEntry(command, sender, idempotency_key)
        self._entries[command.uid] = entry
        if idempotency_key is not None:
            self._by_idempotency[(sender, idempotency_key)] = command.uid
        while len(self._entries) > self._size:
            _, old = self._entries.popitem(last=False)
            if old.idempotency_key is not None:
                self._by_idempotency.pop((old.sender, old.idempotency_key), None)
        return entry

    def get(self, uid: str) -> LedgerEntry | None:
        return self._entries.get(uid)

    def replay(self, sender: str, idempotency_key: str) -> LedgerEntry | None:
        """The entry a sender already created with this Idempotency-Key, if remembered."""
        uid = self._by_idempotency.get((sender, idempotency_key))
        return self._entries.get(uid) if uid is not None else None

    def latest(self, limit: int) -> list[LedgerEntry]:
        return list(self._entries.values())[-limit:][::-1]


class CommandDesk:
    """
    Sends a caller's command through the link, records it, times it for the
    metrics; C{finished} carries each entry once its command has ended.
    """

    def __init__(
        self, link: VoyagerLink, clock: IReactorTime, metrics: Metrics, ledger: CommandLedger, max_timeout: float
    ) -> None:
        self._link = link
        self._clock = clock
        self._metrics = metrics
        self.ledger = ledger
        self.max_timeout = max_timeout  # the longest time limit a caller may give a command (api.max_command_timeout)
        self.finished: EventBus[LedgerEntry] = EventBus()

    def submit(
        self,
        method: str,
        params: dict[str, Any],
        sender: str,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> LedgerEntry:
        """Send now (raises NotReady when the session is not ready) and return its ledger entry."""
        command = self._link.submit(method, params, timeout)
        entry = self.ledger.record(command, sender, idempotency_key)
        command.finished().addBoth(lambda _: self._ended(entry))
        return entry

    def _ended(self, entry: LedgerEntry) -> None:
        self._metrics.command_finished(entry.command, self._clock.seconds())
        self.finished.publish(entry)
