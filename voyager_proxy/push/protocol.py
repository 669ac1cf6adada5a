"""One dashboard connection: handshake checks, then actions from the client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import jwt

from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.logger import Logger

from ..auth import LOCAL, ApiKey
from ..voyager import VoyagerError, VoyagerEvent
from .messages import encode, error

if TYPE_CHECKING:
    from .factory import PushFactory


class PushProtocol(WebSocketServerProtocol):
    """A subscriber: authenticated at the handshake, filtered by topic."""

    _log = Logger()  # Autobahn owns `log`
    factory: PushFactory

    key: ApiKey = LOCAL
    may_join: frozenset[str] | None = None  # None: any room (API keys)
    excluded: frozenset[str] = frozenset()
    included: frozenset[str] | None = None

    def onConnect(self, request: ConnectionRequest) -> None:
        self.rooms: set[str] = set()
        self.resume_from = self._resume_point(request.params)
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
        missed = self.factory.replay_since(*self.resume_from) if self.resume_from else None
        if missed is None:
            self.sendMessage(encode("initialState", self.factory.initial_state()))
        else:
            since = self.resume_from[1]  # type: ignore[index]
            omitted = [seq for seq, payload in missed if payload is None]
            self.sendMessage(
                encode("resumed", {"epoch": self.factory.epoch, "from": since + 1, "to": self.factory.seq,
                                   "omitted": omitted})
            )
            for _, payload in missed:
                if payload is not None:
                    self.sendMessage(payload)
        self.factory.subscribe(self)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.unsubscribe(self)

    def wants(self, topic: str) -> bool:
        """Whether this client asked for C{topic}."""
        if self.included is not None:
            return topic in self.included
        return topic not in self.excluded

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if isBinary:
            self.sendMessage(error("bad_message", "send JSON text frames"))
            return
        try:
            message = json.loads(payload)
        except ValueError:
            self.sendMessage(error("bad_message", "not JSON"))
            return
        if not isinstance(message, dict) or not isinstance(message.get("action"), str):
            self.sendMessage(error("bad_message", "expected an object with an action"))
            return
        handler = getattr(self, "_action_" + message["action"], None)
        if handler is None:
            self.sendMessage(error("unknown_action", f"unknown action {message['action']!r}"))
            return
        handler(message)

    def _action_ping(self, message: dict[str, Any]) -> None:
        self.sendMessage(encode("pong", {}))

    def _action_getState(self, message: dict[str, Any]) -> None:
        self.sendMessage(encode("state", self.factory.initial_state()))

    def _action_topics(self, message: dict[str, Any]) -> None:
        for field in ("include", "exclude"):
            value = message.get(field)
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                self.sendMessage(error("bad_message", f"{field} must be a list of topic names"))
                return
            if field == "include":
                self.included = frozenset(value)
            else:
                self.excluded = frozenset(value)
        self.sendMessage(
            encode("topics", {"include": sorted(self.included) if self.included is not None else None,
                              "exclude": sorted(self.excluded)})
        )

    def _action_subscribe(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if not isinstance(room, str) or not room:
            self.sendMessage(error("bad_message", "room must be a non-empty string"))
        elif self.may_join is not None and room not in self.may_join:
            self.sendMessage(error("forbidden", f"this token may not join {room!r}"))
        else:
            self.rooms.add(room)
            self.sendMessage(encode("subscribed", {"room": room}))

    def _action_unsubscribe(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        self.rooms.discard(room)  # type: ignore[arg-type]
        self.sendMessage(encode("unsubscribed", {"room": room}))

    def _action_command(self, message: dict[str, Any]) -> None:
        """Send a Voyager method; answer commandResult with the caller's id."""
        request_id, method, params = message.get("id"), message.get("method"), message.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            self.sendMessage(error("bad_message", "command needs a method and an object of params"))
            return
        if method not in self.factory.allowed_methods or not self.key.may_call(method):
            self._reply(request_id, False, error={"code": "forbidden", "message": f"this client may not call {method}"})
            return
        try:
            entry = self.factory.desk.submit(method, params, self.key.name)
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
            self.sendMessage(encode("commandResult", {"id": request_id, "success": success, **body}))
