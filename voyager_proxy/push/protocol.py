"""One dashboard connection: handshake checks, flow control, then actions from the client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

import autobahn.util
import jwt
from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.protocol import PreparedMessage
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.interfaces import IDelayedCall, IPushProducer
from twisted.logger import Logger
from zope.interface import implementer

from ..auth import LOCAL, ApiKey
from ..ratelimit import RateLimiter
from ..voyager import VoyagerError, VoyagerEvent
from .direct import writer_for
from .messages import DEFAULT_FIELDS, FIELDS_MODES, encode, error
from .outbox import Hold, Outbox

if TYPE_CHECKING:
    from .factory import PushFactory


# Autobahn colours the arguments of its debug lines with click (when click is
# installed) before knowing whether debug is on: 40 % of a handshake's CPU.
# Plain text only changes those lines, which are never printed here.
autobahn.util._HAS_CLICK = False

POLICY_VIOLATION = 1008
REPLY_TOPIC = "reply"  # how answers to the client's own actions are held while it is paused
FIELDS_PROBLEM = "fields must be one of " + ", ".join(FIELDS_MODES)


@implementer(IPushProducer)
class PushProtocol(WebSocketServerProtocol):
    """
    A subscriber: authenticated at the handshake, filtered by topic.

    It is its transport's producer: while the socket is full, what it is owed
    waits in an L{Outbox}, and a client full for too long is closed.
    """

    _log = Logger()  # Autobahn owns `log`
    factory: PushFactory

    key: ApiKey = LOCAL
    may_join: frozenset[str] | None = None  # None: any room (API keys)
    excluded: frozenset[str] = frozenset()
    included: frozenset[str] | None = None
    fields: str = DEFAULT_FIELDS  # what a Voyager event frame carries (see EventMessage)
    _write: Callable[[bytes], None] | None = None  # set at onOpen

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

    def connectionMade(self) -> None:
        super().connectionMade()
        settings = self.factory.settings
        self._outbox: Outbox[PreparedMessage] = Outbox(settings.queue_limit)
        self._paused = False
        self._closing = False
        self._stuck: IDelayedCall | None = None
        self._inbound = RateLimiter(self.factory.clock, settings.message_rate, settings.message_burst)
        self._refused_in_a_row = 0
        if getattr(self.transport, "producer", None) is not None:
            self.transport.unregisterProducer()  # Twisted Web's channel, until the upgrade
        self.transport.registerProducer(self, True)

    def onConnect(self, request: ConnectionRequest) -> None:
        self.rooms: set[str] = set()
        allowed = self.factory.settings.allowed_origins
        if request.origin and "*" not in allowed and request.origin not in allowed:
            # Browsers always send Origin; programs may leave it out and authenticate by key.
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, f"the origin {request.origin} is not allowed")
        self.resume_from = self._resume_point(request.params)
        fields = (request.params.get("fields") or [DEFAULT_FIELDS])[0]
        if fields not in FIELDS_MODES:
            raise ConnectionDeny(ConnectionDeny.BAD_REQUEST, f"{FIELDS_PROBLEM} (?fields={fields})")
        self.fields = fields
        token = (request.params.get("token") or [None])[0]
        if token is not None:
            self._accept_token(token)
            return None
        keys = self.factory.keys
        if not keys.enabled:
            return None
        presented = request.headers.get("x-api-key") or (request.params.get("api_key") or [None])[0]
        if not presented:
            raise ConnectionDeny(401, "an API key is required (X-API-Key header or api_key)")
        key = keys.find(presented)
        if key is None:
            self._log.warn("WebSocket handshake with an unknown key from {peer}", peer=request.peer)
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "the API key is not valid")
        self.key = key
        return None

    def _accept_token(self, token: str) -> None:
        """A browser's JWT from Laravel: HS256, with sub, exp, scope and rooms."""
        secret = self.factory.jwt_secret
        if not secret:
            raise ConnectionDeny(403, "tokens are not accepted (websocket.jwt_secret is not set)")
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp", "scope"]})
        except jwt.ExpiredSignatureError:
            raise ConnectionDeny(401, "the token has expired") from None
        except jwt.InvalidTokenError as problem:
            raise ConnectionDeny(401, f"the token is not valid: {problem}") from None
        scope, rooms = claims.get("scope"), claims.get("rooms", [])
        if scope not in ("read", "control") or not isinstance(rooms, list):
            raise ConnectionDeny(403, "the token needs scope read or control and a list of rooms")
        self.key = ApiKey(f"token:{claims['sub']}", scope, b"")
        self.may_join = frozenset(str(room) for room in rooms)

    @staticmethod
    def _resume_point(params: dict[str, list[str]]) -> tuple[str, int] | None:
        since, epoch = (params.get("since") or [None])[0], (params.get("epoch") or [None])[0]
        if since is None or epoch is None or not since.isdigit():
            return None
        return epoch, int(since)

    def onOpen(self) -> None:
        # Published frames skip Autobahn's sendData (its debug logging alone costs more than the write).
        self._write = (
            writer_for(self.transport) if self._perMessageCompress is None else None
        )
        missed = self.factory.replay_since(*self.resume_from) if self.resume_from else None
        if missed is None:
            self.deliver(REPLY_TOPIC, self.factory.initial_state_frame())
        else:
            since = self.resume_from[1]  # type: ignore[index]
            omitted = [seq for seq, payload in missed if payload is None]
            # At most replay_size messages: they go straight to the socket.
            self.sendMessage(
                encode("resumed", {"epoch": self.factory.epoch, "from": since + 1, "to": self.factory.seq,
                                   "omitted": omitted})
            )
            for _, message in missed:
                if message is not None:
                    self.sendMessage(message.payload(self.fields))
        self.factory.subscribe(self)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.unsubscribe(self)
        self.stopProducing()  # Autobahn unregisters us before the transport would say so

    # Flow control.

    def deliver(self, topic: str, frame: PreparedMessage) -> None:
        """Send a published frame now, or hold it while the socket is full."""
        if not self._paused:
            self._send(frame)
        else:
            self._hold(topic, frame)

    def _send(self, frame: PreparedMessage) -> None:
        """The prepared frame's bytes to the transport, once the connection is open and until it closes."""
        if self.state != self.STATE_OPEN:
            return
        if self._write is not None:
            self._write(frame.payloadHybi)
        else:
            self.sendPreparedMessage(frame)

    def _answer(self, payload: bytes) -> None:
        """A reply to this client, in order with what it is owed."""
        self.deliver(REPLY_TOPIC, self.factory.prepareMessage(payload))

    def _hold(self, topic: str, frame: PreparedMessage) -> None:
        if self._closing:
            return
        held = self._outbox.hold(topic, frame)
        if held is Hold.REPLACED:
            self.factory.metrics.websocket_coalesced.inc()
        elif held is Hold.FULL:
            self._close("slow", f"too slow: more than {self._outbox.limit} messages waiting")

    def pauseProducing(self) -> None:
        """The socket is full: hold messages, and give the client a deadline."""
        self._paused = True
        if self._stuck is None and not self._closing and self.state == self.STATE_OPEN:
            timeout = self.factory.settings.slow_client_timeout
            self._stuck = self.factory.clock.callLater(
                timeout, self._close, "slow", f"too slow: socket full for {timeout:g} s"
            )

    def resumeProducing(self) -> None:
        """The socket drained: send what is owed, oldest first, until it fills again."""
        self._paused = False
        self._cancel_deadline()
        while self._outbox and not self._paused:
            self._send(self._outbox.pop())

    def stopProducing(self) -> None:
        self._paused = True
        self._cancel_deadline()
        self._outbox.clear()

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
        self.factory.unsubscribe(self)
        self.stopProducing()
        self.factory.metrics.websocket_closed.labels(reason).inc()
        self._log.warn("Closing WebSocket client {peer} ({key}): {message}", peer=self.peer, key=self.key.name,
                       message=message)
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

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self.state != self.STATE_OPEN or not self._within_rate():
            return
        message, problem = self._parse(payload, isBinary)
        if problem is not None:
            self._answer(problem)
            return
        handler = getattr(self, "_action_" + message["action"], None)
        if handler is None:
            self._answer(error("unknown_action", f"unknown action {message['action']!r}"))
            return
        handler(message)

    def _parse(self, payload: bytes, is_binary: bool) -> tuple[dict[str, Any], bytes | None]:
        """The client's message, or the error event that answers it."""
        limit = self.factory.settings.max_message_bytes
        if len(payload) > limit:
            return {}, error("too_large", f"messages are limited to {limit} bytes")
        if is_binary:
            return {}, error("bad_message", "send JSON text frames")
        try:
            message = json.loads(payload)
        except ValueError:
            return {}, error("bad_message", "not JSON")
        if not isinstance(message, dict) or not isinstance(message.get("action"), str):
            return {}, error("bad_message", "expected an object with an action")
        return message, None

    def _within_rate(self) -> bool:
        """Spend a token; over the rate answer an error, and close a client that keeps on."""
        if self._inbound.take("client") == 0:
            self._refused_in_a_row = 0
            return True
        self._refused_in_a_row += 1
        settings = self.factory.settings
        if self._refused_in_a_row >= settings.message_burst:
            self._close("flood", f"flooding: over {settings.message_rate:g} messages per second")
        else:
            self._answer(error("rate_limited", f"at most {settings.message_rate:g} messages per second"))
        return False

    def _action_ping(self, message: dict[str, Any]) -> None:
        self._answer(encode("pong", {}))

    def _action_getState(self, message: dict[str, Any]) -> None:
        self._answer(encode("state", self.factory.initial_state()))

    def _action_fields(self, message: dict[str, Any]) -> None:
        fields = message.get("fields")
        if fields not in FIELDS_MODES:
            self._answer(error("bad_message", FIELDS_PROBLEM))
            return
        self.fields = fields
        self._answer(encode("fields", {"fields": fields}))

    def _action_topics(self, message: dict[str, Any]) -> None:
        for field in ("include", "exclude"):
            value = message.get(field)
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                self._answer(error("bad_message", f"{field} must be a list of topic names"))
                return
            if field == "include":
                self.included = frozenset(value)
            else:
                self.excluded = frozenset(value)
        self._answer(
            encode("topics", {"include": sorted(self.included) if self.included is not None else None,
                              "exclude": sorted(self.excluded)})
        )

    def _action_subscribe(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if not isinstance(room, str) or not room:
            self._answer(error("bad_message", "room must be a non-empty string"))
        elif self.may_join is not None and room not in self.may_join:
            self._answer(error("forbidden", f"this token may not join {room!r}"))
        else:
            self.rooms.add(room)
            self._answer(encode("subscribed", {"room": room}))

    def _action_unsubscribe(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        self.rooms.discard(room)  # type: ignore[arg-type]
        self._answer(encode("unsubscribed", {"room": room}))

    def _action_command(self, message: dict[str, Any]) -> None:
        """Send a Voyager method; answer commandResult with the caller's id."""
        request_id, method, params = message.get("id"), message.get("method"), message.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            self._answer(error("bad_message", "command needs a method and an object of params"))
            return
        if method not in self.factory.allowed_methods or not self.key.may_call(method):
            self._reply(request_id, False, error={"code": "forbidden", "message": f"this client may not call {method}"})
            return
        timeout, longest = message.get("timeout"), self.factory.desk.max_timeout
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= longest
        ):
            message_text = f"timeout: must be a number of seconds greater than 0 and at most {longest:g}"
            self._reply(request_id, False, error={"code": "bad_message", "message": message_text, "field": "timeout"})
            return
        try:
            entry = self.factory.desk.submit(method, params, self.key.name, timeout=timeout)
        except VoyagerError as failure:
            self._reply(request_id, False, error={"code": failure.kind, "message": str(failure)})
            return
        entry.command.finished().addCallbacks(
            lambda outcome: self._reply(
                request_id, True, uid=entry.command.uid,
                result={**outcome.fields, "parsed": outcome.parsed} if isinstance(outcome, VoyagerEvent) else outcome,
            ),
            lambda failure: self._reply(
                request_id, False, uid=entry.command.uid,
                error={"code": getattr(failure.value, "kind", "internal_error"), "message": failure.getErrorMessage()},
            ),
        )

    def _reply(self, request_id: Any, success: bool, **body: Any) -> None:
        if self.state == self.STATE_OPEN:
            self._answer(encode("commandResult", {"id": request_id, "success": success, **body}))
