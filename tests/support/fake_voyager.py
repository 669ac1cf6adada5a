"""Play Voyager's side of a link by hand, over StringTransport on a MemoryReactorClock."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone, ConnectionLost, ConnectionRefusedError
from twisted.internet.interfaces import IConnector
from twisted.internet.protocol import ClientFactory
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from zope.interface import implementer

from voyager_proxy.config import VoyagerSettings
from voyager_proxy.voyager.factory import VoyagerClientFactory
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.protocol import VoyagerLineProtocol

SESSION_KEY = "1795484593.57388"
VERSION_LINE = (
    '{"Event":"Version","Timestamp":%s,"Host":"OBS1","Inst":1,'
    '"VOYVersion":"Release 2.3.14","VOYSubver":"","MsgVersion":1}' % SESSION_KEY
).encode()


@implementer(IConnector)
class RecordingConnector:
    """An IConnector that counts connection attempts; the test decides their fate."""

    def __init__(self, factory: ClientFactory) -> None:
        self.factory = factory
        self.attempts = 0
        self.stopped = False

    def connect(self) -> None:
        self.attempts += 1
        self.factory.startedConnecting(self)

    def stopConnecting(self) -> None:
        self.stopped = True

    def disconnect(self) -> None:
        self.stopped = True

    def getDestination(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", 5950)


def unconnected(factory: ClientFactory) -> RecordingConnector:
    """The connect of a link that no test starts: a connector nobody asks to connect."""
    return RecordingConnector(factory)


class FakeVoyager:
    """
    A link under test plus the hand-played Voyager end of its connection.

    Nothing here imitates Voyager's behaviour: each test writes exactly what
    Voyager says and reads exactly what the link wrote.
    """

    def __init__(self, **settings: Any) -> None:
        self.clock = MemoryReactorClock()
        self.settings = VoyagerSettings(**settings)
        self._connector: RecordingConnector | None = None
        self._protocol: VoyagerLineProtocol | None = None
        self._transport: StringTransport | None = None
        self._unread: list[dict[str, Any]] = []
        self.link = VoyagerLink(self.clock, self.settings, self._connect)

    # The link's end, each there once the link made it: asking sooner is a mistake in the test.

    @property
    def connector(self) -> RecordingConnector:
        assert self._connector is not None, "the link has not connected yet"
        return self._connector

    @property
    def factory(self) -> VoyagerClientFactory:
        factory = self.connector.factory
        assert isinstance(factory, VoyagerClientFactory)
        return factory

    @property
    def protocol(self) -> VoyagerLineProtocol:
        assert self._protocol is not None, "no connection is open"
        return self._protocol

    @property
    def transport(self) -> StringTransport:
        assert self._transport is not None, "no connection was accepted yet"
        return self._transport

    def _connect(self, factory: ClientFactory) -> RecordingConnector:
        self._connector = RecordingConnector(factory)
        self._connector.connect()
        return self._connector

    def accept(self) -> StringTransport:
        """Complete the pending connection attempt."""
        protocol = self.connector.factory.buildProtocol(self.connector.getDestination())
        assert isinstance(protocol, VoyagerLineProtocol)
        self._protocol = protocol
        self._transport = StringTransport()
        protocol.makeConnection(self._transport)
        return self._transport

    def refuse(self) -> None:
        """Fail the pending connection attempt."""
        self.connector.factory.clientConnectionFailed(self.connector, Failure(ConnectionRefusedError("refused")))

    def say(self, message: dict[str, Any] | bytes, end: bytes = b"\r\n") -> None:
        """Voyager sends one line."""
        line = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.protocol.dataReceived(line + end)

    def said_by_link(self) -> list[dict[str, Any]]:
        """The lines the link wrote since last asked, decoded."""
        data = self.transport.value()
        self.transport.clear()
        assert data == b"" or data.endswith(b"\r\n"), data[-20:]
        unread, self._unread = self._unread, []
        return unread + [json.loads(line) for line in data.split(b"\r\n") if line]

    def finish(self, request: dict[str, Any], code: int = 4, **param_ret: Any) -> None:
        """Voyager acks a request, then ends it with a RemoteActionResult."""
        self.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
        self.say(
            {
                "Event": "RemoteActionResult",
                "Timestamp": 1,
                "Host": "OBS1",
                "Inst": 1,
                "UID": request["params"]["UID"],
                "ActionResultInt": code,
                "Motivo": "",
                "ParamRet": param_ret,
            }
        )

    def drop(self, reason: Failure | None = None) -> None:
        """The TCP connection ends (Voyager closed it, or the link's own close completed)."""
        reason = reason or Failure(ConnectionLost("connection lost"))
        protocol, self._protocol = self.protocol, None
        protocol.connectionLost(reason)
        self.connector.factory.clientConnectionLost(self.connector, reason)

    def finish_close(self) -> None:
        """Complete a close the link asked for (loseConnection/abortConnection)."""
        assert self.transport.disconnecting
        self.drop(Failure(ConnectionDone("closed")))

    def ready(self, authenticate: bool = False) -> None:
        """Start the link and walk it through the handshake to READY."""
        self.link.startService()
        self.accept()
        self.say(VERSION_LINE)
        if authenticate:
            (auth,) = self.said_by_link()
            self.say({"jsonrpc": "2.0", "authbase": {"Username": "observer"}, "id": auth["id"]})
        # Requests sent before dashboard mode (RoboTarget manager mode) are
        # left for the test to read and answer.
        requests = self.said_by_link()
        (dashboard,) = [r for r in requests if r["method"] == "RemoteSetDashboardMode"]
        self._unread = [r for r in requests if r is not dashboard]
        self.finish(dashboard)
        assert self.link.status.ready, self.link.status

    def stop(self) -> None:
        """Stop the link and complete its close, leaving no timers behind."""
        self.link.stopService()
        if self._protocol is not None:
            self.finish_close()
        assert self.clock.getDelayedCalls() == [], self.clock.getDelayedCalls()
