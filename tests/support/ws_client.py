"""An Autobahn WebSocket test client: connect, then take events one by one."""

from __future__ import annotations

import json
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredQueue

DEADLINE = 15.0


def read_binary_frame(frame: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the JPEG of a binary preview frame, as a dashboard reads one."""
    length = int.from_bytes(frame[:4], "big")
    header = json.loads(frame[4 : 4 + length])
    assert isinstance(header, dict), header
    return header, frame[4 + length :]


class RecordingClientFactory(WebSocketClientFactory):
    """A client factory whose C{opened} fires with the client once its handshake is done."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        super().__init__(url, headers=headers)
        self.opened: Deferred[RecordingClient] = Deferred()


class RecordingClient(WebSocketClientProtocol):
    """Queues every message received (binary ones apart); remembers how the connection ended."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: DeferredQueue[dict[str, Any]] = DeferredQueue()
        self.binary: DeferredQueue[bytes] = DeferredQueue()
        self.closed: Deferred[tuple[bool, int | None, str | None]] = Deferred()

    def onOpen(self) -> None:
        self.factory.opened.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if isBinary:
            self.binary.put(payload)
        else:
            self.messages.put(json.loads(payload))

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        if not self.factory.opened.called:
            self.factory.opened.errback(ConnectionError(f"handshake refused: {reason}"))
        if not self.closed.called:
            self.closed.callback((wasClean, code, reason))

    def send(self, message: dict[str, Any]) -> None:
        self.sendMessage(json.dumps(message).encode())

    async def next_event(self, name: str | None = None) -> dict[str, Any]:
        """The next message (of that event name, skipping others)."""
        while True:
            waiting = self.messages.get()
            waiting.addTimeout(DEADLINE, reactor)
            message = await waiting
            if name is None or message["event"] == name:
                return message

    async def next_binary(self) -> bytes:
        """The next binary message."""
        waiting = self.binary.get()
        waiting.addTimeout(DEADLINE, reactor)
        return await waiting


async def connect(url: str, headers: dict[str, str] | None = None) -> RecordingClient:
    """Open a WebSocket; fails with ConnectionError if the handshake is refused."""
    factory = RecordingClientFactory(url, headers=headers or {})
    factory.protocol = RecordingClient
    connectWS(factory)
    factory.opened.addTimeout(DEADLINE, reactor)
    return await factory.opened
