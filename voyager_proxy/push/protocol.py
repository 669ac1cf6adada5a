"""One dashboard connection: Autobahn glue, flow control, and acting on the client's actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast

import autobahn.util
from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.protocol import PreparedMessage
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IPushProducer, ITransport
from twisted.logger import Logger
from zope.interface import implementer

from ..auth import LOCAL, ROOMS, ApiKey
from ..failures import describe
from ..keys import TOO_MANY_FAILURES, may_send
from ..observer import SingleObserver
from ..ratelimit import RateLimiter
from ..voyager import VoyagerError, VoyagerEvent
from .actions import (
    Action,
    Command,
    GetState,
    Ping,
    Problem,
    SetFields,
    SetPreviews,
    Subscribe,
    Topics,
    Unsubscribe,
    read_action,
    timeout_problem,
)
from .auth import Refused
from .direct import writer_for
from .hub import Hub
from .messages import DEFAULT_FIELDS, encode, error
from .outbox import Hold, Outbox
from .previews import DEFAULT_PREVIEWS

# Autobahn colours the arguments of its debug lines with click (when click is
# installed) before knowing whether debug is on: 40 % of a handshake's CPU.
# Plain text only changes those lines, which are never printed here.
autobahn.util._HAS_CLICK = False

GOING_AWAY = 1001
POLICY_VIOLATION = 1008
REPLY_TOPIC = "reply"  # how answers to the client's own actions are held while it is paused


class Socket(Protocol):
    """What a connection uses of its TCP transport as a consumer and a producer (ITransport declares neither)."""

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None: ...

    def unregisterProducer(self) -> None: ...

    def pauseProducing(self) -> None: ...

    def resumeProducing(self) -> None: ...


@implementer(IPushProducer)
class PushProtocol(WebSocketServerProtocol):
    """
    A subscriber: authenticated at the handshake, filtered by topic.

    It is its transport's producer: while the socket is full, what it is owed
    waits in an L{Outbox}, and a client full for too long is closed.
    """

    _log = Logger()  # Autobahn owns `log`

    key: ApiKey = LOCAL
    may_join: frozenset[str] | None = None  # None: any room (API keys)
    excluded: frozenset[str] = frozenset()
    included: frozenset[str] | None = None
    fields: str = DEFAULT_FIELDS  # what a Voyager event frame carries (see EventMessage)
    previews: str = DEFAULT_PREVIEWS  # how previews come (see voyager_proxy.push.previews)
    preview_width: int | None = None  # the width of binary previews; None: the original
    _write: Callable[[bytes], None] | None = None  # set at onOpen
    _deny_headers: list[tuple[str, str]] | None = None  # sent with a refused handshake (Retry-After)
    _replaying: Iterator[bytes] | None = None  # what a resumed client is still owed of its replay

    # Autobahn copies its options from the factory for each connection, then
    # pretty-prints them all for a debug line that is built even when debug is
    # off: over half of a handshake's CPU. We copy them the same way, unlogged.
    CONFIG_ATTRS: list[str] = []
    _OPTIONS = tuple(WebSocketServerProtocol.CONFIG_ATTRS)

    def _connectionMade(self) -> None:
        for name in self._OPTIONS:
            if not hasattr(self, name):
                setattr(self, name, getattr(self.factory, name))
        super()._connectionMade()

    @property
    def hub(self) -> Hub:
        """The factory, through the little a connection needs of it."""
        return cast(Hub, self.factory)

    def connectionMade(self) -> None:
        super().connectionMade()
        settings = self.hub.settings
        self._outbox: Outbox[PreparedMessage] = Outbox(settings.queue_limit)
        self._paused = False
        self._closing = False
        self._stuck: IDelayedCall | None = None
        self._inbound = RateLimiter(self.hub.clock, settings.message_rate, settings.message_burst)
        self._refused_in_a_row = 0
        self._gone: SingleObserver[None] = SingleObserver()
        if getattr(self.transport, "producer", None) is not None:
            self._socket.unregisterProducer()  # Twisted Web's channel, until the upgrade
        self._socket.registerProducer(self, True)
        self._held_back: list[bytes] | None = None  # the opening request, while this turn has no room for it
        if not self.hub.admit(self._proceed):
            self._held_back = []
            self._socket.pauseProducing()

    @property
    def _socket(self) -> Socket:
        """The TCP transport, which is also our consumer and a producer we pause."""
        assert self.transport is not None, "not connected"
        return cast(Socket, self.transport)

    def dataReceived(self, data: bytes) -> None:
        if self._held_back is not None:
            self._held_back.append(data)
        else:
            super().dataReceived(data)

    def _proceed(self) -> None:
        """This handshake's turn has come (see L{HandshakePacer})."""
        held, self._held_back = self._held_back, None
        if self.state == self.STATE_CLOSED or held is None:
            return
        self._socket.resumeProducing()
        if held:
            super().dataReceived(b"".join(held))

    @property
    def rooms(self) -> frozenset[str]:
        """The rooms this connection is in."""
        return self.hub.rooms_of(self)

    def onConnect(self, request: ConnectionRequest) -> None:
        grant = self.hub.authorise(request.origin, request.params, request.headers)
        if isinstance(grant, Refused):
            if grant.credentials:
                peer = cast(ITransport, self.transport).getPeer()
                wait = self.hub.failed_authentication(getattr(peer, "host", str(peer)), grant.reason)
                if wait:
                    self._deny_headers = [("Retry-After", RateLimiter.retry_after(wait))]
                    raise ConnectionDeny(429, TOO_MANY_FAILURES)
            raise ConnectionDeny(grant.status, grant.reason)
        self.key, self.may_join, self.fields, self.previews = grant.key, grant.may_join, grant.fields, grant.previews
        self.resume_from = grant.resume_from
        return None

    def failHandshake(self, reason: str, code: int = 400, responseHeaders: Any = None) -> None:  # noqa: N803
        """Autobahn's refusal, with the headers L{onConnect} chose (ConnectionDeny carries none)."""
        super().failHandshake(reason, code, responseHeaders or self._deny_headers)

    def onOpen(self) -> None:
        # Published frames skip Autobahn's sendData (its debug logging alone costs more than the write).
        self._write = writer_for(cast(ITransport, self.transport)) if self._perMessageCompress is None else None
        if self._paused:
            self._arm_deadline()  # the socket filled before the connection was open
        missed = self.hub.replay(self.resume_from, self.fields, self.key) if self.resume_from else None
        if missed is None:
            self.deliver(REPLY_TOPIC, self.hub.initial_state_frame())
        else:
            self._replaying = missed
            self._send_replay()
        self.hub.subscribe(self)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.hub.unsubscribe(self)
        self.stopProducing()  # Autobahn unregisters us before the transport would say so
        self._gone.fire(None)

    def going_away(self) -> Deferred[None]:
        """Close with 1001 (the proxy is stopping) after what this client is owed now; fires once closed."""
        gone = self._gone.when_fired()
        if self.state == self.STATE_OPEN and not self._closing:
            self._closing = True
            self.hub.unsubscribe(self)
            self.sendCloseFrame(GOING_AWAY, b"the proxy is stopping", isReply=False)
        return gone

    # Flow control.

    def deliver(self, topic: str, frame: PreparedMessage) -> None:
        """Send a published frame now, or hold it while the socket is full or a replay goes first."""
        if not self._paused and self._replaying is None:
            self._send_frame(frame)
        else:
            self._hold(topic, frame)

    def _send_replay(self) -> None:
        """
        Send the replay while the socket takes it, one message at a time:
        paused, it waits (under the slow-client deadline) and whatever is
        published meanwhile waits behind it in the outbox.
        """
        replay = self._replaying
        while replay is not None and not self._paused and self.state == self.STATE_OPEN:
            payload = next(replay, None)
            if payload is None:
                self._replaying = None
                return
            self._send_frame(self.hub.prepareMessage(payload))

    def _send_frame(self, frame: PreparedMessage) -> None:
        """The prepared frame's bytes to the transport, once the connection is open and until it closes."""
        if self.state != self.STATE_OPEN:
            return
        if self._write is not None:
            self._write(frame.payloadHybi)
        else:
            self.sendPreparedMessage(frame)

    def _answer(self, payload: bytes) -> None:
        """A reply to this client, in order with what it is owed."""
        self.deliver(REPLY_TOPIC, self.hub.prepareMessage(payload))

    def _hold(self, topic: str, frame: PreparedMessage) -> None:
        if self._closing:
            return
        held = self._outbox.hold(topic, frame)
        if held is Hold.REPLACED:
            self.hub.count_coalesced()
        elif held is Hold.FULL:
            self._close("slow", f"too slow: more than {self._outbox.limit} messages waiting")

    def pauseProducing(self) -> None:
        """The socket is full: hold messages, and give the client a deadline."""
        self._paused = True
        if self.state == self.STATE_OPEN:
            self._arm_deadline()

    def _arm_deadline(self) -> None:
        """Close this client unless its socket drains within slow_client_timeout."""
        if self._stuck is None and not self._closing:
            timeout = self.hub.settings.slow_client_timeout
            self._stuck = self.hub.clock.callLater(
                timeout, self._close, "slow", f"too slow: socket full for {timeout:g} s"
            )

    def resumeProducing(self) -> None:
        """The socket drained: send what is owed, oldest first, until it fills again."""
        self._paused = False
        self._cancel_deadline()
        self._send_replay()
        while self._outbox and not self._paused and self._replaying is None:
            self._send_frame(self._outbox.pop())

    def stopProducing(self) -> None:
        self._paused = True
        self._cancel_deadline()
        self._outbox.clear()
        self._replaying = None

    def _cancel_deadline(self) -> None:
        if self._stuck is not None:
            if self._stuck.active():
                self._stuck.cancel()
            self._stuck = None

    def _close(self, reason: str, message: str) -> None:
        """Stop sending to this client and close it with 1008 (policy violation), once."""
        if self._closing:
            return
        self._closing = True
        self.hub.unsubscribe(self)
        self.stopProducing()
        self.hub.count_closed(reason)
        self._log.warn(
            "Closing WebSocket client {peer} ({key}): {message}", peer=self.peer, key=self.key.name, message=message
        )
        if self.state == self.STATE_OPEN:
            # sendClose() keeps 1008 for Autobahn itself; the frame is the same.
            self.sendCloseFrame(POLICY_VIOLATION, message.encode("utf-8"), isReply=False)
        else:
            self.dropConnection(abort=True)

    def wants(self, topic: str) -> bool:
        """Whether this client asked for C{topic}."""
        if self.included is not None:
            return topic in self.included
        return topic not in self.excluded

    # Actions from the client (see actions.ACTIONS).

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self.state != self.STATE_OPEN or not self._within_rate():
            return
        action = read_action(payload, isBinary, self.hub.settings.max_message_bytes)
        if isinstance(action, Problem):
            self._answer(error(action.code, action.message))
        else:
            self._act(action)

    def _act(self, action: Action) -> None:
        match action:
            case Ping():
                self._answer(encode("pong", {}))
            case GetState():
                self._answer(self.hub.state_payload())
            case SetFields(fields):
                self.fields = fields
                self._answer(encode("fields", {"fields": fields}))
            case SetPreviews(mode, width):
                widths = self.hub.preview_widths
                if width is not None and width not in widths:
                    self._answer(error("bad_message", f"width must be one of {', '.join(map(str, widths))}"))
                else:
                    self.previews, self.preview_width = mode, width
                    self._answer(encode("previews", {"mode": mode, "width": width}))
            case Topics(include, exclude):
                if include is not None:
                    self.included = include
                if exclude is not None:
                    self.excluded = exclude
                self._answer(
                    encode(
                        "topics",
                        {
                            "include": sorted(self.included) if self.included is not None else None,
                            "exclude": sorted(self.excluded),
                        },
                    )
                )
            case Subscribe(room):
                self._join(room)
            case Unsubscribe(room):
                self.hub.leave(self, room)
                self._answer(encode("unsubscribed", {"room": room}))
            case Command():
                self._command(action)

    def _join(self, room: str) -> None:
        """Join C{room} if this client may (its token's rooms name it, or its key reaches rooms) and bounds allow."""
        if self.may_join is not None and room not in self.may_join:
            self._answer(error("forbidden", f"this token may not join {room!r}"))
        elif self.may_join is None and not may_send(self.key, ROOMS):
            self._answer(error("forbidden", f"the key {self.key.name!r} may not join rooms"))
        else:
            refused = self.hub.join(self, room)
            if refused is None:
                self._answer(encode("subscribed", {"room": room}))
            else:
                self._answer(error("room_refused", refused))

    def _within_rate(self) -> bool:
        """Spend a token; over the rate answer an error, and close a client that keeps on."""
        if self._inbound.take("client") == 0:
            self._refused_in_a_row = 0
            return True
        self._refused_in_a_row += 1
        settings = self.hub.settings
        if self._refused_in_a_row >= settings.message_burst:
            self._close("flood", f"flooding: over {settings.message_rate:g} messages per second")
        else:
            self._answer(error("rate_limited", f"at most {settings.message_rate:g} messages per second"))
        return False

    def _command(self, command: Command) -> None:
        """Send a Voyager method; answer commandResult with the caller's id."""
        request_id, method = command.id, command.method
        if not self.hub.may_call(self.key, method):
            self._reply(request_id, False, error={"code": "forbidden", "message": f"this client may not call {method}"})
            return
        problem = timeout_problem(command.timeout, self.hub.max_timeout)
        if problem is not None:
            self._reply(request_id, False, error={"code": "bad_message", "message": problem, "field": "timeout"})
            return
        try:
            entry = self.hub.submit(method, command.params, self.key, command.timeout)
        except VoyagerError as failure:
            self._reply(request_id, False, error=describe(failure).as_error())
            return
        self.hub.answer(entry.command).addCallbacks(
            lambda outcome: self._reply(
                request_id,
                True,
                uid=entry.command.uid,
                result={**outcome.fields, "parsed": outcome.parsed} if isinstance(outcome, VoyagerEvent) else outcome,
            ),
            lambda failure: self._reply(
                request_id,
                False,
                uid=entry.command.uid,
                error=describe(failure.value).as_error(),
            ),
        )

    def _reply(self, request_id: Any, success: bool, **body: Any) -> None:
        if self.state == self.STATE_OPEN:
            self._answer(encode("commandResult", {"id": request_id, "success": success, **body}))
