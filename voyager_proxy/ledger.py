"""Commands sent for API and WebSocket callers: sending, the bounded ledger, timing."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, TypeVar

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from .failures import describe
from .metrics import Metrics
from .refused import ForeignUid, IdempotencyKeys, ShuttingDown
from .voyager import Command, EventBus, VoyagerEvent, VoyagerLink
from .voyager.commands import Uid, rule_for

T = TypeVar("T")


@attrs.define(eq=False)
class LedgerEntry:
    """
    One command: who sent it (the key's name), and what became of it (read
    live from the command); what its C{Idempotency-Key} was given with is
    bound in L{IdempotencyKeys}.
    """

    command: Command
    sender: str
    idempotency_key: str | None

    def as_dict(self) -> dict[str, Any]:
        command = self.command
        entry: dict[str, Any] = {
            "uid": command.uid,
            "method": command.method,
            "params": {k: v for k, v in command.params.items() if k != "UID" or v != command.uid},
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

    def __init__(self, size: int, idempotency: IdempotencyKeys | None = None) -> None:
        self._size = size
        self._entries: OrderedDict[str, LedgerEntry] = OrderedDict()
        self.idempotency = idempotency or IdempotencyKeys(size)  # shared with the RoboTarget plans

    def record(self, command: Command, sender: str, idempotency_key: str | None, request: object = None) -> LedgerEntry:
        assert command.uid not in self._entries, "every command has a UID of its own"
        entry = LedgerEntry(command, sender, idempotency_key)
        self._entries[command.uid] = entry
        if idempotency_key is not None:
            self.idempotency.bind(sender, idempotency_key, request, command.uid)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry

    def get(self, uid: str) -> LedgerEntry | None:
        return self._entries.get(uid)

    def owner_of(self, event: VoyagerEvent) -> str | None:
        """
        Whose command C{event} speaks of (see L{voyager_proxy.keys.may_see}):
        None when it names no UID (telemetry, shots, images: everyone's);
        else the sender of that command, or C{""} (nobody's) when the ledger
        has none (the proxy's own commands, another client's, one evicted).
        """
        if "UID" not in event.fields:
            return None
        entry = self._entries.get(event.fields["UID"]) if isinstance(event.fields["UID"], str) else None
        return "" if entry is None else entry.sender

    def replay(self, sender: str, idempotency_key: str, request: object = None) -> LedgerEntry | None:
        """
        The entry a sender already created with this Idempotency-Key, if
        remembered; L{IdempotencyKeyReused} when it was for another C{request}.
        """
        uid = self.idempotency.check(sender, idempotency_key, request)
        return self._entries.get(uid) if uid is not None else None

    def latest(self, limit: int, sender: str | None = None) -> list[LedgerEntry]:
        """The latest C{limit} entries, newest first; only C{sender}'s when given."""
        entries = [e for e in reversed(self._entries.values()) if sender is None or e.sender == sender]
        return entries[:limit]


class CommandDesk:
    """
    Sends a caller's command through the link, records it, times it for the
    metrics. The proxy makes every command's UID: a UID param is refused,
    but for the one a RemoteActionAbort names, which must be a command of the
    ledger (the caller's own, for a narrowed key). C{finished} carries each
    entry once its command has ended.
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
        # What callers wait on, answered at once by stop(): a command, or the name of other work (a RoboTarget call).
        self._answers: dict[Deferred[Any], Command | str] = {}
        self._stopping = False

    def submit(
        self,
        method: str,
        params: dict[str, Any],
        sender: str,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        *,
        narrowed: bool = False,
        request: object = None,
    ) -> LedgerEntry:
        """Send now (raises NotReady when the session is not ready, ForeignUid for a UID it did not make)."""
        if self._stopping:
            raise ShuttingDown(method, None, False)
        if "UID" in params:
            self._check_target(method, params["UID"], sender, narrowed)
        command = self._link.submit(method, params, timeout)
        entry = self.ledger.record(command, sender, idempotency_key, request)
        command.finished().addBoth(lambda _: self._ended(entry))
        return entry

    def _ended(self, entry: LedgerEntry) -> None:
        self._metrics.command_finished(entry.command, self._clock.seconds())
        self.finished.publish(entry)

    def answer(self, command: Command, acknowledged: bool = False) -> Deferred[Any]:
        """
        What a caller waits on: the command's final outcome (its
        acknowledgement with C{acknowledged}), or L{ShuttingDown} as soon as
        L{stop} is called. A caller leaving (cancelling) stops waiting only.
        """
        answer: Deferred[Any] = Deferred(self._forget)
        self._answers[answer] = command

        def settle(outcome: Any) -> None:
            if self._answers.pop(answer, None) is not None:
                answer.callback(outcome)

        (command.acknowledged() if acknowledged else command.finished()).addBoth(settle)
        return answer

    def refuse_when_stopping(self, what: str) -> None:
        """L{ShuttingDown} once L{stop} is called: C{what} (a RoboTarget call, a plan) must not be started."""
        if self._stopping:
            raise ShuttingDown(what, None, False)

    def waiting_on(self, what: str, work: Deferred[T]) -> Deferred[T]:
        """
        What a caller waits on for C{work} the desk did not send (C{what}: a
        RoboTarget call, a plan): its outcome, or L{ShuttingDown} as soon as
        L{stop} is called.
        """
        answer: Deferred[T] = Deferred(self._forget)
        self._answers[answer] = what

        def settle(outcome: Any) -> None:
            if self._answers.pop(answer, None) is not None:
                answer.callback(outcome)  # a Failure is passed on as one

        work.addBoth(settle)
        return answer

    def _forget(self, answer: Deferred[Any]) -> None:
        self._answers.pop(answer, None)

    def stop(self) -> int:
        """Refuse new commands, answer every caller still waiting with L{ShuttingDown}; how many were answered."""
        self._stopping = True
        waiting, self._answers = self._answers, {}
        for answer, work in waiting.items():
            if isinstance(work, str):
                answer.errback(Failure(ShuttingDown(work, None, False)))
            else:
                answer.errback(Failure(ShuttingDown(work.method, work.uid, work.answer is not None)))
        return len(waiting)

    def _check_target(self, method: str, uid: Any, sender: str, narrowed: bool) -> None:
        if rule_for(method).uid is not Uid.TARGET:
            raise ForeignUid(method, str(uid), "is chosen by the proxy")
        target = self.ledger.get(uid) if isinstance(uid, str) else None
        if target is None:
            raise ForeignUid(method, str(uid), "names no command of the ledger")
        if narrowed and target.sender != sender:
            raise ForeignUid(method, uid, "names another caller's command")
