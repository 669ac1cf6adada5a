"""One connection to Voyager: handshake, heartbeat, watchdog, commands."""

from __future__ import annotations

import base64
import itertools
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..observer import SingleObserver
from .commands import Uid, rule_for
from .errors import CommandTimeout, VoyagerError
from .events import VoyagerEvent, parse_event
from .pending import Command, PendingCommands
from .status import LinkState
from .wire import MalformedLine, decode_line, encode_polling, encode_request, session_key

if TYPE_CHECKING:
    from ..config import VoyagerSettings
    from .protocol import VoyagerLineProtocol

CREDENTIALS_HINT = "check voyager.username and voyager.password"
AUTH_FAILED_HINT = f"Voyager closed the connection during authentication: {CREDENTIALS_HINT}"
CLOSE_GRACE_SECONDS = 2.0

Signer = Callable[[str, int, str], str]  # (session key, request id, UID) -> MAC


class SessionListener(Protocol):
    """What a session reports to (the link)."""

    def session_state_changed(self, session: VoyagerSession, state: LinkState, error: str | None) -> None: ...

    def session_configuring(self, session: VoyagerSession) -> None: ...

    def session_event(self, event: VoyagerEvent) -> None: ...

    def session_line_rejected(self, kind: str) -> None: ...


class HandshakeTimeout(VoyagerError):
    """Voyager did not say what the handshake waits for in time."""


class VoyagerSession:
    """
    The client side of one Voyager connection.

    The framing protocol feeds it lines; it runs the handshake (Version,
    authentication, then the listener's own setup such as RoboTarget manager
    mode, then dashboard and log modes), sends Polling when we have been
    quiet, drops the connection when Voyager has been, and tracks commands.
    """

    _log = Logger()

    def __init__(self, clock: IReactorTime, settings: VoyagerSettings, listener: SessionListener) -> None:
        self._clock = clock
        self._settings = settings
        self._listener = listener
        self._pending = PendingCommands(clock)
        self._request_ids = itertools.count(1)
        self._protocol: VoyagerLineProtocol | None = None
        self._polling: IDelayedCall | None = None
        self._watchdog: IDelayedCall | None = None
        self._version_waiter: Deferred[None] | None = None
        self._closed: SingleObserver[None] = SingleObserver()
        self._lost = False
        self._end_reason: str | None = None
        self.state = LinkState.AWAITING_VERSION
        self.session_key: str | None = None
        self.version: dict[str, Any] | None = None
        self.authenticated = False

    @property
    def in_flight(self) -> int:
        """Number of commands waiting for their answer or result."""
        return len(self._pending)

    # Called by the framing protocol.

    def connection_made(self, protocol: VoyagerLineProtocol) -> None:
        self._protocol = protocol
        self._polling = self._clock.callLater(self._settings.polling_interval, self._send_polling)
        self._watchdog = self._clock.callLater(self._settings.inactivity_timeout, self._inactive)
        self._set_state(LinkState.AWAITING_VERSION)
        Deferred.fromCoroutine(self._handshake()).addErrback(self._handshake_failed)

    def data_received(self) -> None:
        # Any byte counts as life: a multi-MB line may take a while to arrive.
        if self._watchdog is not None and self._watchdog.active():
            self._watchdog.reset(self._settings.inactivity_timeout)

    def line_received(self, line: bytes) -> None:
        try:
            message = decode_line(line)
        except MalformedLine as error:
            self._log.warn("discarded a malformed line from Voyager: {reason}", reason=error.reason)
            self._listener.session_line_rejected("malformed")
            return
        name = message.get("Event")
        if isinstance(name, str):
            self._event_received(parse_event(message, self._clock.seconds()), line)
        elif "id" in message:
            if not self._pending.answer_received(message):
                self._log.debug("answer for unknown request id {id!r}", id=message.get("id"))
        else:
            self._log.warn("discarded a line that is neither an event nor an answer")
            self._listener.session_line_rejected("malformed")

    def line_too_long(self, limit: int) -> None:
        self._log.warn(
            "discarded a line from Voyager longer than {limit} bytes (voyager.max_line_bytes)",
            limit=limit,
        )
        self._listener.session_line_rejected("too_long")

    def connection_lost(self, reason: Failure) -> None:
        self._lost = True
        for timer in (self._polling, self._watchdog):
            if timer is not None and timer.active():
                timer.cancel()
        error = self._end_reason or reason.getErrorMessage()
        if self.state is LinkState.AUTHENTICATING:
            error = AUTH_FAILED_HINT if self._end_reason is None else self._end_reason
            final_state = LinkState.AUTH_FAILED
        else:
            final_state = LinkState.DISCONNECTED
        self._log.info("Voyager connection closed: {error}", error=error)
        self._set_state(final_state, error)
        if self._version_waiter is not None and not self._version_waiter.called:
            self._version_waiter.cancel()
        self._pending.fail_all(error)
        self._closed.fire(None)

    # Commands.

    def send_command(
        self,
        method: str,
        params: Mapping[str, Any],
        timeout: float | None = None,
        sign: Signer | None = None,
        private: bool = False,
    ) -> Command:
        """
        Write a request now and return its tracked L{Command}; C{sign}, given
        this session's key, the request id and the UID, makes its C{MAC}. The
        RemoteActionResult of a C{private} command goes to its caller only,
        not to the link's subscribers (dashboards, recent events).
        """
        request_id = next(self._request_ids)
        rule = rule_for(method)
        uid = str(uuid.uuid4())  # the command's own, whatever UID it sends
        if rule.uid is Uid.NONE:
            body = {k: v for k, v in params.items() if k != "UID"}  # tracked by our UID, never sent
        else:
            body = {"UID": uid, **params}  # RemoteActionAbort's names the action it stops
        if sign is not None:
            assert self.session_key is not None, "signing needs the Version event's session key"
            body["MAC"] = sign(self.session_key, request_id, str(body.get("UID", uid)))
        command = Command(
            method=method,
            params=body,
            request_id=request_id,
            uid=uid,
            completion=rule.completion,
            timeout=timeout if timeout is not None else rule.limit(body, self._settings.command_timeout),
            sent_at=self._clock.seconds(),
            private=private,
        )
        self._pending.track(command)
        if not self._lost:
            self._write(encode_request(method, body, request_id))
        return command

    def close(self) -> Deferred[None]:
        """Say C{disconnect} and close; abort if Voyager does not let go in time."""
        if self._lost or self._protocol is None:
            return succeed(None)
        self._end_reason = "closed by the proxy"
        self._write(encode_request("disconnect", {}, next(self._request_ids)))
        transport = self._protocol.connection
        transport.loseConnection()
        closed = self._closed.when_fired()
        closed.addTimeout(CLOSE_GRACE_SECONDS, self._clock, onTimeoutCancel=lambda *_: transport.abortConnection())
        return closed

    # Handshake.

    async def _handshake(self) -> None:
        settings = self._settings
        waiter: Deferred[None] = Deferred()
        waiter.addTimeout(
            settings.handshake_timeout,
            self._clock,
            onTimeoutCancel=lambda *_: Failure(
                HandshakeTimeout(f"no Version event within {settings.handshake_timeout:g} s")
            ),
        )
        self._version_waiter = waiter
        await waiter
        if settings.username:
            self._set_state(LinkState.AUTHENTICATING)
            credentials = f"{settings.username}:{settings.password or ''}".encode()
            await self.send_command(
                "AuthenticateUserBase",
                {"Base": base64.b64encode(credentials).decode("ascii")},
                timeout=settings.handshake_timeout,
            ).finished()
            self.authenticated = True
        self._set_state(LinkState.CONFIGURING)
        # RoboTarget manager mode must be the first command after
        # authentication; the listener sends it (and handles its result) here.
        self._listener.session_configuring(self)
        if settings.dashboard_mode:
            await self._configure("RemoteSetDashboardMode", {"IsOn": True})
        if settings.log_events:
            await self._configure("RemoteSetLogEvent", {"IsOn": True, "Level": settings.log_level})
        self._set_state(LinkState.READY)

    async def _configure(self, method: str, params: Mapping[str, Any]) -> None:
        """
        Send a mode switch and go on once Voyager accepted it. Its
        RemoteActionResult, which the documents show, may come later: a
        failure is logged, a missing one only times out in the background.
        """
        command = self.send_command(method, params)
        command.finished().addErrback(self._mode_failed, method)
        await command.acknowledged()

    def _mode_failed(self, failure: Failure, method: str) -> None:
        if not self._lost and not failure.check(CommandTimeout):
            self._log.warn("{method} failed: {error}", method=method, error=failure.getErrorMessage())

    def _handshake_failed(self, failure: Failure) -> None:
        if self._lost:
            return
        self._end_reason = f"handshake failed while {self.state.value}: {failure.getErrorMessage()}"
        if self.state is LinkState.AUTHENTICATING:
            self._end_reason += f"; {CREDENTIALS_HINT}"
        self._log.warn("{reason}", reason=self._end_reason)
        self._abort()

    def _event_received(self, event: VoyagerEvent, line: bytes) -> None:
        if event.name == "Version" and self.session_key is None:
            try:
                self.session_key = session_key(line)
            except MalformedLine as error:
                self._log.warn("Version line unusable: {reason}", reason=error.reason)
                self._listener.session_line_rejected("malformed")
                return
            self.version = dict(event.parsed or {})
            if self._version_waiter is not None and not self._version_waiter.called:
                self._version_waiter.callback(None)
        elif event.name == "ShutDown":
            self._end_reason = "Voyager is shutting down (ShutDown event)"
            self._log.info("Voyager announced ShutDown; will reconnect with backoff")
            if self._protocol is not None:
                self._protocol.connection.loseConnection()
        if not self._pending.is_private_result(event):
            self._listener.session_event(event)
        self._pending.event_received(event)

    # Heartbeat and watchdog.

    def _write(self, line: bytes) -> None:
        assert self._protocol is not None
        self._protocol.send_line(line)
        if self._lost:
            return
        if self._polling is not None and self._polling.active():
            self._polling.reset(self._settings.polling_interval)
        else:
            self._polling = self._clock.callLater(self._settings.polling_interval, self._send_polling)

    def _send_polling(self) -> None:
        self._write(encode_polling(self._clock.seconds(), self._settings.client_name))

    def _inactive(self) -> None:
        self._end_reason = (
            f"no data from Voyager for {self._settings.inactivity_timeout:g} s (voyager.inactivity_timeout)"
        )
        self._log.warn("{reason}; reconnecting", reason=self._end_reason)
        self._abort()

    def _abort(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.connection.abortConnection()

    def _set_state(self, state: LinkState, error: str | None = None) -> None:
        self.state = state
        self._listener.session_state_changed(self, state, error)
