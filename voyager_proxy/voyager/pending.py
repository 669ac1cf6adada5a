"""Commands in flight, matched by JSON-RPC id (answer) and by UID (result)."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..observer import SingleObserver
from .codes import ActionResult, action_result_name, is_final, is_success
from .commands import ANSWER_EVENTS, Completion, Uid, rule_for
from .errors import (
    ActionFailed,
    CommandRejected,
    CommandTimeout,
    ConnectionLost,
    VoyagerError,
    describe_rpc_error,
)
from .events import VoyagerEvent


class CommandState(enum.Enum):
    """Where a command is in its life."""

    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    ABORTED = "aborted"
    TIMEOUT = "timeout"
    LOST = "lost"


_FINAL_STATES = frozenset(
    {CommandState.OK, CommandState.ERROR, CommandState.ABORTED, CommandState.TIMEOUT, CommandState.LOST}
)


@attrs.define(eq=False)
class Command:
    """
    One request sent to Voyager.

    Each call to L{acknowledged} or L{finished} returns a new Deferred, so a
    caller cancelling its own (an HTTP client leaving) never stops the tracking.
    """

    method: str
    params: dict[str, Any] = attrs.field(repr=False)  # may hold a MAC key or hash
    request_id: int
    uid: str
    completion: Completion
    timeout: float
    sent_at: float
    private: bool = False  # its RemoteActionResult stays off the link's event bus
    state: CommandState = CommandState.SENT
    answer: dict[str, Any] | None = None
    outcome: VoyagerEvent | dict[str, Any] | Failure | None = None
    _acked: SingleObserver[dict[str, Any]] = attrs.field(factory=SingleObserver, repr=False)
    _done: SingleObserver[Any] = attrs.field(factory=SingleObserver, repr=False)

    @property
    def is_final(self) -> bool:
        return self.state in _FINAL_STATES

    @property
    def result_uid(self) -> str:
        """
        The UID its RemoteActionResult carries: its own, or the one it names
        (RemoteActionAbort ends with the aborted action's result). L{uid},
        always the proxy's own, names the command itself.
        """
        return str(self.params.get("UID", self.uid))

    def acknowledged(self) -> Deferred[dict[str, Any]]:
        """Fires with Voyager's immediate answer, or fails if the command failed first."""
        return self._acked.when_fired()

    def finished(self) -> Deferred[Any]:
        """Fires with the final RemoteActionResult event (or answer), or a L{VoyagerError}."""
        return self._done.when_fired()

    def _mark_acknowledged(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        if self.state is CommandState.SENT:
            self.state = CommandState.ACKNOWLEDGED
        self._acked.fire(answer)

    def _settle(self, state: CommandState, outcome: Any) -> None:
        self.state = state
        self.outcome = outcome
        if isinstance(outcome, Failure):
            self._acked.fire(outcome)  # no-op once answered
        self._done.fire(outcome)


def _uid_key(uid: Any) -> str:
    """A UID as results are matched on it: some documented results pad it with spaces."""
    return uid.strip() if isinstance(uid, str) else ""


def _state_for_failure(error: BaseException | None) -> CommandState:
    if isinstance(error, CommandTimeout):
        return CommandState.TIMEOUT
    if isinstance(error, ConnectionLost):
        return CommandState.LOST
    if isinstance(error, ActionFailed) and error.code == ActionResult.ABORTED:
        return CommandState.ABORTED
    return CommandState.ERROR


class PendingCommands:
    """
    The table of outstanding commands of one connection.

    Modelled on AMP's BoxDispatcher: one table, answers routed by key,
    C{fail_all} on connection loss and immediate failure afterwards.
    """

    _log = Logger()

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._by_id: dict[int, Command] = {}
        self._by_uid: dict[str, list[Command]] = {}
        self._by_answer_event: dict[str, deque[Command]] = {}
        self._trackers: dict[Command, Deferred[Any]] = {}
        self._closed_reason: str | None = None

    def __len__(self) -> int:
        return len(self._trackers)

    def track(self, command: Command) -> None:
        """Start tracking a command about to be written; its time limit starts now."""
        if self._closed_reason is not None:
            command._settle(
                CommandState.LOST,
                Failure(ConnectionLost(command.method, command.uid, False, self._closed_reason)),
            )
            return
        tracker: Deferred[Any] = Deferred(canceller=lambda _: self._forget(command))
        tracker.addTimeout(command.timeout, self._clock, onTimeoutCancel=self._timed_out(command))
        tracker.addBoth(self._settled, command)
        self._trackers[command] = tracker
        self._by_id[command.request_id] = command
        if command.completion is Completion.RESULT:
            self._by_uid.setdefault(_uid_key(command.result_uid), []).append(command)
        answer_event = ANSWER_EVENTS.get(command.method)
        if answer_event is not None:
            self._by_answer_event.setdefault(answer_event, deque()).append(command)

    def answer_received(self, message: dict[str, Any]) -> bool:
        """Route a JSON-RPC answer by its id; return whether it was ours."""
        command = self._by_id.pop(message.get("id"), None)  # type: ignore[arg-type]
        if command is None:
            return False
        if "error" in message:
            code, text = describe_rpc_error(message["error"])
            self._finish(command, Failure(CommandRejected(command.method, command.uid, code, text)))
            return True
        command._mark_acknowledged(message)
        if command.completion is Completion.ACK:
            self._finish(command, message)
        return True

    def event_received(self, event: VoyagerEvent) -> bool:
        """Route a RemoteActionResult by UID, or an answer event; return whether it was ours."""
        if event.name == "RemoteActionResult":
            return self._result_received(event)
        waiting = self._by_answer_event.get(event.name)
        if waiting:
            self._finish(waiting[0], event)
            return True
        return False

    def is_private_result(self, event: VoyagerEvent) -> bool:
        """Whether C{event} is the RemoteActionResult of a private command of ours."""
        if event.name != "RemoteActionResult":
            return False
        commands = self._by_uid.get(_uid_key(event.fields.get("UID")), ())
        return any(command.private for command in commands)

    def fail_all(self, reason: str) -> None:
        """Fail every command in flight; commands tracked later fail at once."""
        self._closed_reason = reason
        for command in list(self._trackers):
            self._finish(
                command,
                Failure(ConnectionLost(command.method, command.uid, command.answer is not None, reason)),
            )

    def _result_received(self, event: VoyagerEvent) -> bool:
        commands = self._by_uid.get(_uid_key(event.fields.get("UID")))
        if not commands:
            return False  # another client's action: events go to everyone
        for command in list(commands):
            self._result_for(command, event)
        return True

    def _result_for(self, command: Command, event: VoyagerEvent) -> None:
        code = event.fields.get("ActionResultInt")
        if not isinstance(code, int) or isinstance(code, bool):
            self._log.warn("RemoteActionResult for {uid} has no integer ActionResultInt", uid=command.uid)
            return
        if not is_final(code):
            command.state = CommandState.RUNNING
            return
        if is_success(code) or rule_for(command.method).uid is Uid.TARGET:
            # An abort is done once the action it names has ended, however it ended.
            self._finish(command, event)
        else:
            reason = event.fields.get("Motivo")
            error = ActionFailed(
                command.method,
                command.uid,
                code,
                action_result_name(code),
                reason if isinstance(reason, str) else "",
                event.fields.get("ParamRet"),
            )
            self._finish(command, Failure(error))

    def _finish(self, command: Command, outcome: Any) -> None:
        tracker = self._trackers.get(command)
        if tracker is None:
            return
        if isinstance(outcome, Failure):
            tracker.errback(outcome)
        else:
            tracker.callback(outcome)

    def _forget(self, command: Command) -> None:
        self._trackers.pop(command, None)
        if self._by_id.get(command.request_id) is command:
            del self._by_id[command.request_id]
        key = _uid_key(command.result_uid)
        same_uid = self._by_uid.get(key)
        if same_uid and command in same_uid:
            same_uid.remove(command)
            if not same_uid:
                del self._by_uid[key]
        answer_event = ANSWER_EVENTS.get(command.method)
        waiting = self._by_answer_event.get(answer_event) if answer_event else None
        if waiting and command in waiting:
            waiting.remove(command)

    def _timed_out(self, command: Command) -> Callable[[Any, float], Failure]:
        def convert(result: Any, seconds: float) -> Failure:
            return Failure(CommandTimeout(command.method, command.uid, seconds, command.answer is not None))

        return convert

    def _settled(self, outcome: Any, command: Command) -> None:
        self._forget(command)
        if isinstance(outcome, Failure):
            error = outcome.value
            if not isinstance(error, VoyagerError):
                self._log.failure("unexpected failure of {method}", outcome, method=command.method)
            command._settle(_state_for_failure(error), outcome)
        else:
            command._settle(CommandState.OK, outcome)
        return None
