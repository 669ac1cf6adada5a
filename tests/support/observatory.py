"""
The whole observatory in memory: the simulator, the link and the HTTP API on one MemoryReactorClock.

The simulator and the link talk through twisted.test.iosim's FakeTransport,
pumped by the harness; the API is served to a StubTreq client. Time moves
only when a test runs something: L{Observatory.run} pumps every connection,
then advances the clock to the next timer, until the awaited thing has
happened. A 30 s exposure costs what its few hundred timer calls cost, and
the order of events is the one the simulator's timers give, every run.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from treq.testing import StubTreq
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.error import ConnectionLost, ConnectionRefusedError
from twisted.internet.interfaces import IConnector
from twisted.internet.protocol import ClientFactory, Factory, Protocol
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.test import iosim
from twisted.web.resource import IResource
from zope.interface import implementer

from tests.support.memory_proxy import decoded
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings, RoboTargetSettings, VoyagerSettings, WebSocketSettings
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.status import ConnectionStatus, LinkState
from voyager_proxy.web import build_front

USERNAME = "observer"
PASSWORD = "clear-skies"
BASE = "http://localhost"
VOYAGER_ADDRESS = IPv4Address("TCP", "127.0.0.1", 5950)
PROXY_ADDRESS = IPv4Address("TCP", "127.0.0.1", 40000)
NIGHT = 1_795_484_593.0  # the clock starts on a night of November 2026, not in 1970
T = TypeVar("T")


class Connection:
    """One in-memory TCP connection: two FakeTransports and their pump; an abort is a lost connection."""

    def __init__(self, server: Protocol, client: Protocol, clock: MemoryReactorClock) -> None:
        self.server_io = iosim.FakeTransport(
            server, isServer=True, hostAddress=VOYAGER_ADDRESS, peerAddress=PROXY_ADDRESS
        )
        self.client_io = iosim.FakeTransport(
            client, isServer=False, hostAddress=PROXY_ADDRESS, peerAddress=VOYAGER_ADDRESS
        )
        for io in (self.server_io, self.client_io):
            io.abortConnection = lambda: self.abort()  # type: ignore[method-assign]
        self.pump = iosim.connect(server, self.server_io, client, self.client_io, greet=False, clock=clock)

    def abort(self) -> None:
        """Cut the connection: both ends see it lost, not closed."""
        for io in (self.server_io, self.client_io):
            # iosim declares disconnectReason by its default, a ConnectionDone; any Exception is what it takes.
            io.disconnectReason = ConnectionLost("Connection lost")  # type: ignore[assignment]
            io.disconnecting = True

    @property
    def ended(self) -> bool:
        return bool(self.server_io.disconnected and self.client_io.disconnected)


@implementer(IConnector)
class MemoryConnector:
    """The IConnector the link's factory gets; each connect() reaches the simulator if it is listening."""

    def __init__(self, observatory: Observatory, factory: ClientFactory) -> None:
        self.observatory = observatory
        self.factory = factory
        self.connection: Connection | None = None
        self.attempts = 0

    def connect(self) -> None:
        self.attempts += 1
        self.factory.startedConnecting(self)
        self.observatory.clock.callLater(0, self.observatory._complete, self)

    def stopConnecting(self) -> None:
        pass

    def disconnect(self) -> None:
        if self.connection is not None:
            self.connection.client_io.loseConnection()

    def getDestination(self) -> IPv4Address:
        return VOYAGER_ADDRESS


PREVIEW_SIZE = (300, 200)  # the simulator's star field, small: tests render it quickly


class Observatory:
    """
    A simulator and a link on one MemoryReactorClock, with the HTTP API on
    StubTreq once L{serve} is called. C{kill} and C{start} play a Voyager
    crash and restart.
    """

    def __init__(self, simulator: dict[str, Any] | None = None, **link: Any) -> None:
        self.clock = MemoryReactorClock()
        self.clock.advance(NIGHT)
        self.settings = SimulatorSettings(
            **{
                "username": USERNAME,
                "password": PASSWORD,
                "control_data_interval": 0.2,
                "tick_interval": 0.1,
                "preview_width": PREVIEW_SIZE[0],
                "preview_height": PREVIEW_SIZE[1],
                **(simulator or {}),
            }
        )
        self.simulator = VoyagerSimulator(self.clock, self.settings)
        self.simulator.doStart()
        self.listening = True
        self.connectors: list[MemoryConnector] = []
        self.connections: list[Connection] = []
        self.link = self.make_link(**link)
        self.http: StubTreq | None = None
        self.keys: tuple[str, ...] = ()

    def make_link(self, **overrides: Any) -> VoyagerLink:
        """A link to this simulator (not started), with quick reconnection."""
        settings = VoyagerSettings(
            **{
                "username": USERNAME,
                "password": PASSWORD,
                "reconnect_initial_delay": 0.2,
                "reconnect_max_delay": 1.0,
                **overrides,
            }
        )
        return VoyagerLink(self.clock, settings, self._connect)

    def serve(
        self,
        keys: tuple[str, ...],
        api: dict[str, Any] | None = None,
        websocket: WebSocketSettings | None = None,
        robotarget: RoboTargetSettings | None = None,
    ) -> StubTreq:
        """The proxy's HTTP API on StubTreq, for the link of this observatory."""
        settings = ApiSettings(**{"keys": keys, **(api or {})})
        root: IResource = build_front(
            self.link, self.clock, settings, KeyRing(parse_keys(settings.keys)), websocket, robotarget
        ).root
        self.http = StubTreq(root)
        return self.http

    # The network.

    def _connect(self, factory: ClientFactory) -> MemoryConnector:
        connector = MemoryConnector(self, factory)
        self.connectors.append(connector)
        connector.connect()
        return connector

    def _complete(self, connector: MemoryConnector) -> None:
        if not self.listening:
            connector.factory.clientConnectionFailed(connector, Failure(ConnectionRefusedError("refused")))
            return
        server = self.simulator.buildProtocol(PROXY_ADDRESS)
        client = connector.factory.buildProtocol(VOYAGER_ADDRESS)
        assert isinstance(client, Protocol)
        connector.connection = Connection(server, client, self.clock)
        self.connections.append(connector.connection)

    def connect_to(self, factory: Factory, client: Protocol) -> Connection:
        """Connect C{client} to a protocol of C{factory} (the proxy's Site, say), pumped with the rest."""
        server = factory.buildProtocol(PROXY_ADDRESS)
        assert isinstance(server, Protocol)
        connection = Connection(server, client, self.clock)
        self.connections.append(connection)
        return connection

    def kill(self) -> None:
        """Stop listening and cut every client, as a crashed Voyager would."""
        self.listening = False
        self.simulator.faults.drop_connections()
        self.pump()

    def start(self) -> None:
        """Listen again, as a restarted Voyager does."""
        self.listening = True

    # Time.

    def pump(self) -> None:
        """Move every byte waiting in any connection, until none moves."""
        for _ in range(10_000):
            self.clock.advance(0)
            moved = False
            for connection in list(self.connections):
                moved = connection.pump.flush() or moved
                if connection.ended:
                    self.connections.remove(connection)
                    self._lost(connection)
                    moved = True
            if self.http is not None:
                pumps = list(self.http._agent._pumps)
                for pump in pumps:
                    moved = pump.flush() or moved
                self.http.flush()
            if not moved:
                return
        raise AssertionError("the connections never went quiet")

    def _lost(self, connection: Connection) -> None:
        for connector in self.connectors:
            if connector.connection is connection:
                connector.connection = None
                connector.factory.clientConnectionLost(connector, Failure(connection.client_io.disconnectReason))

    def run(self, awaitable: Awaitable[T] | Coroutine[Any, Any, T], seconds: float = 60.0) -> T:
        """
        Pump and advance the clock, timer by timer, until C{awaitable} is done;
        its result (or its exception, raised). Fails if it is not done within
        C{seconds} of simulated time.
        """
        deferred: Deferred[T] = ensureDeferred(awaitable)  # type: ignore[arg-type]
        outcome: list[T | Failure] = []
        deferred.addBoth(outcome.append)
        deadline = self.clock.seconds() + seconds
        while True:
            self.pump()
            if outcome:
                break
            times = [call.getTime() for call in self.clock.getDelayedCalls()]
            if not times or min(times) > deadline:
                deferred.cancel()
                raise AssertionError(f"not done after {seconds:g} s of simulated time")
            self.clock.advance(max(0.0, min(times) - self.clock.seconds()))
        result = outcome[0]
        if isinstance(result, Failure):
            result.raiseException()
        return result

    def advance(self, seconds: float) -> None:
        """Let C{seconds} of simulated time pass, every timer on the way firing."""
        deadline = self.clock.seconds() + seconds
        while True:
            self.pump()
            times = [t for call in self.clock.getDelayedCalls() if (t := call.getTime()) <= deadline]
            if not times:
                break
            self.clock.advance(max(0.0, min(times) - self.clock.seconds()))
        self.clock.advance(deadline - self.clock.seconds())
        self.pump()

    def until(self, condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
        """Run until C{condition()} holds, checking after every timer."""
        waiter: Deferred[None] = Deferred()

        def check() -> None:
            if condition():
                waiter.callback(None)
            else:
                self.clock.callLater(0.01, check)

        check()
        try:
            self.run(waiter, seconds)
        except AssertionError:
            raise AssertionError(f"gave up waiting for {what}") from None

    def status_where(self, predicate: Callable[[ConnectionStatus], bool], seconds: float = 60.0) -> ConnectionStatus:
        """Run until the link's status satisfies C{predicate}; that status."""
        self.until(lambda: predicate(self.link.status), "a link status", seconds)
        return self.link.status

    def ready(self, seconds: float = 60.0) -> ConnectionStatus:
        """Start the link if need be and run until it is ready."""
        if not self.link.running:
            self.link.startService()
        return self.status_where(lambda status: status.ready, seconds)

    def next_event(self, name: str, seconds: float = 60.0) -> Any:
        """Run until the link publishes an event named C{name}; that event."""
        waiter: Deferred[Any] = Deferred()

        def received(event: Any) -> None:
            if event.name == name and not waiter.called:
                waiter.callback(event)

        subscription = self.link.events.subscribe(received)
        try:
            return self.run(waiter, seconds)
        finally:
            subscription.cancel()

    # HTTP.

    async def call_async(
        self, method: str, path: str, body: Any = None, key: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, Any]:
        """One HTTP request to the API: (status, decoded body, headers)."""
        assert self.http is not None, "serve() first"
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["X-API-Key"] = key
        if body is not None:
            kwargs["data"] = json.dumps(body).encode()
        if body is not None or method in ("POST", "PUT"):
            headers.setdefault("Content-Type", "application/json")
        # StubTreq sets treq's functions on itself with setattr, so its type names none of them.
        response = await self.http.request(method, BASE + path, headers=headers, **kwargs)  # type: ignore[attr-defined]
        content = await self.http.content(response)  # type: ignore[attr-defined]
        return response.code, decoded(response, content), response.headers

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, seconds: float = 60.0, **kwargs: Any
    ) -> tuple[int, Any, Any]:
        """L{call_async}, run to its answer."""
        return self.run(self.call_async(method, path, body, key, **kwargs), seconds)

    # The end.

    def stop(self) -> None:
        """Stop the link and the simulator; no timer may be left on the clock."""
        if self.link.running:
            self.run(self.link.stopService())
        self.simulator.doStop()
        # What the simulator had scheduled (a delayed result, say) runs out, to no one.
        for _ in range(1000):
            calls = self.clock.getDelayedCalls()
            if not calls:
                break
            self.clock.advance(max(0.0, min(call.getTime() for call in calls) - self.clock.seconds()))
            self.pump()
        left = [call for call in self.clock.getDelayedCalls() if call.active()]
        assert left == [], left


def is_down(status: ConnectionStatus) -> bool:
    return status.state is not LinkState.READY
