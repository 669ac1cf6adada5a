"""One dashboard connection: handshake checks, then actions from the client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.logger import Logger

from ..auth import LOCAL, ApiKey
from .messages import encode, error

if TYPE_CHECKING:
    from .factory import PushFactory


class PushProtocol(WebSocketServerProtocol):
    """A subscriber: authenticated at the handshake, filtered by topic."""

    _log = Logger()  # Autobahn owns `log`
    factory: PushFactory

    key: ApiKey = LOCAL
    excluded: frozenset[str] = frozenset()
    included: frozenset[str] | None = None

    def onConnect(self, request: ConnectionRequest) -> None:
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

    def onOpen(self) -> None:
        self.factory.subscribe(self)
        self.sendMessage(encode("initialState", self.factory.initial_state()))

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
