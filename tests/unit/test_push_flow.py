"""Flow control of one WebSocket client, over StringTransport on a MemoryReactorClock."""

from __future__ import annotations

import json
from typing import Any, cast

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.testing import MemoryReactorClock, StringTransport

from voyager_proxy.auth import KeyRing
from voyager_proxy.config import ApiSettings, WebSocketSettings
from voyager_proxy.images import Downscaler, ImageLibrary, ImageStore, ResizePool
from voyager_proxy.ledger import CommandDesk, CommandLedger
from voyager_proxy.metrics import Metrics
from voyager_proxy.push import PushFactory
from voyager_proxy.push.outbox import Hold, Outbox
from voyager_proxy.push.protocol import PushProtocol
from voyager_proxy.ratelimit import FailedAuthentications
from voyager_proxy.rooms import Rooms
from voyager_proxy.voyager import VoyagerEvent, VoyagerLink

HANDSHAKE = (
    b"GET /ws?fields=both HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def test_outbox_keeps_latest_telemetry_and_bounds_the_rest() -> None:
    """The outbox replaces a queued controlData with the newer one, keeps every other message in order, and refuses past its limit."""
    outbox: Outbox[str] = Outbox(limit=2)
    assert outbox.hold("controlData", "c1") is Hold.KEPT
    assert outbox.hold("signal", "s1") is Hold.KEPT
    assert outbox.hold("controlData", "c2") is Hold.REPLACED
    assert outbox.hold("logEvent", "l1") is Hold.KEPT
    assert outbox.hold("logEvent", "l2") is Hold.FULL
    assert [outbox.pop() for _ in range(len(outbox))] == ["s1", "c2", "l1"]
    assert outbox.hold("logEvent", "l3") is Hold.KEPT  # popping freed the queue


def frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each unmasked server frame in C{data}."""
    found, at = [], 0
    while at < len(data):
        opcode, length = data[at] & 0x0F, data[at + 1] & 0x7F
        at += 2
        if length >= 126:
            size = 2 if length == 126 else 8
            length, at = int.from_bytes(data[at : at + size], "big"), at + size
        found.append((opcode, data[at : at + length]))
        at += length
    return found


class SocketTransport(StringTransport):
    """
    Like a TCP transport whose buffer is over its limit while C{full} (each
    write pauses the producer), or once it holds more than C{limit} bytes.
    """

    full = False
    limit: int | None = None

    def write(self, data: bytes) -> None:
        super().write(data)
        over = self.limit is not None and len(self.value()) > self.limit
        if (self.full or over) and self.producer is not None:
            self.producer.pauseProducing()


class Client:
    """One connection to the push factory, seen from the socket."""

    def __init__(self, factory: PushFactory, query: str = "?fields=both", limit: int | None = None) -> None:
        protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        assert isinstance(protocol, PushProtocol)
        self.protocol = protocol
        self.transport = SocketTransport()
        self.transport.limit = limit
        self.protocol.makeConnection(self.transport)
        self.protocol.dataReceived(HANDSHAKE.replace(b"?fields=both", query.encode()))
        response, _, self._after_response = self.transport.value().partition(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 101")
        self.transport.clear()

    def received(self) -> list[tuple[int, bytes]]:
        data, self._after_response = self._after_response + self.transport.value(), b""
        self.transport.clear()
        return frames(data)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(payload) for opcode, payload in self.received() if opcode == 1]

    def send(self, payload: bytes) -> None:
        """A masked text frame (all-zero mask) as a client sends it."""
        header = (
            bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
            if len(payload) > 125
            else bytes([0x81, 0x80 | len(payload)])
        )
        self.protocol.dataReceived(header + b"\x00\x00\x00\x00" + payload)


def images_of(link: VoyagerLink, clock: MemoryReactorClock) -> tuple[ImageLibrary, Downscaler]:
    """The image library fed by C{link}; its pool is never started here (binary copies need a real reactor)."""
    library = ImageLibrary(link.events, ImageStore(keep=5, max_bytes=10_000_000), widths=(320, 640))
    return library, Downscaler(library.store, ResizePool(cast(IReactorFromThreads, clock), threads=1, queue=0))


def make_factory(
    clock: MemoryReactorClock,
    link: VoyagerLink,
    keys: KeyRing | None = None,
    failed_auth_rate: float = 0.2,
    failed_auth_burst: int = 10,
    **settings: Any,
) -> PushFactory:
    metrics = Metrics(link)
    desk = CommandDesk(link, clock, metrics, CommandLedger(10), ApiSettings().max_command_timeout)
    websocket = WebSocketSettings(**settings)
    factory = PushFactory(
        link,
        clock,
        keys or KeyRing(()),
        websocket,
        desk,
        frozenset(ApiSettings().allowed_methods),
        metrics,
        Rooms(websocket.max_rooms_per_client, websocket.max_rooms),
        FailedAuthentications(clock, failed_auth_rate, failed_auth_burst),
        *images_of(link, clock),
    )
    factory.setProtocolOptions(autoPingInterval=0)  # Autobahn's own timers run on the global reactor
    return factory


def publish(link: VoyagerLink, name: str, **fields: Any) -> None:
    link.events.publish(VoyagerEvent(name, {"Event": name, **fields}, None, 0.0))


def metric(factory: PushFactory, name: str, **labels: str) -> float:
    return factory.metrics.registry.get_sample_value(name, labels) or 0.0


def test_paused_client_gets_latest_telemetry_and_every_other_message(
    clock: MemoryReactorClock, link: VoyagerLink
) -> None:
    """A paused client is owed every signal but only the latest controlData, in seq order; a client not paused gets all ten."""
    factory = make_factory(clock, link)
    slow, fast = Client(factory), Client(factory)
    assert [e["event"] for e in slow.events()] == ["initialState"]
    fast.received()
    slow.protocol.pauseProducing()  # as the transport does when its buffer is full
    for n in range(5):
        publish(link, "ControlData", N=n)
        publish(link, "Signal", Code=500 + n)
    assert slow.events() == []
    assert [e["data"].get("N", e["data"].get("Code")) for e in fast.events()] == [
        0,
        500,
        1,
        501,
        2,
        502,
        3,
        503,
        4,
        504,
    ]
    slow.protocol.resumeProducing()
    owed = slow.events()
    assert [e["event"] for e in owed] == ["signal"] * 4 + ["controlData", "signal"]
    assert owed[4]["data"]["N"] == 4 and [e["seq"] for e in owed] == sorted(e["seq"] for e in owed)
    assert metric(factory, "voyager_proxy_websocket_coalesced_total") == 4


def test_client_full_too_long_is_closed_with_1008(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A client kept paused for 30 s is closed with 1008, once and counted once, leaving no deadline; each new pause restarts the 30 s."""
    factory = make_factory(clock, link, slow_client_timeout=30.0)
    client = Client(factory)
    client.received()
    client.protocol.pauseProducing()
    clock.advance(29)
    client.protocol.resumeProducing()
    client.protocol.pauseProducing()  # the deadline restarts with each pause
    clock.advance(29)
    assert client.received() == [] and factory.subscribers == 1
    client.transport.full = True  # writing the close frame pauses us again
    clock.advance(1)
    [(opcode, payload)] = client.received()
    assert opcode == 8 and int.from_bytes(payload[:2], "big") == 1008 and b"too slow" in payload
    assert factory.subscribers == 0 and not clock.getDelayedCalls()  # no second deadline
    assert metric(factory, "voyager_proxy_websocket_closed_total", reason="slow") == 1
    publish(link, "Signal", Code=1)
    assert client.received() == []
    clock.advance(60)
    assert metric(factory, "voyager_proxy_websocket_closed_total", reason="slow") == 1
    assert not clock.getDelayedCalls()


def test_queue_over_its_limit_closes_the_client(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """One message past queue_limit for a paused client closes it with 1008 and cancels its slow-client deadline."""
    factory = make_factory(clock, link, queue_limit=10)
    client = Client(factory)
    client.received()
    client.protocol.pauseProducing()
    for n in range(10):
        publish(link, "LogEvent", Text=str(n))
    assert client.received() == [] and factory.subscribers == 1
    publish(link, "LogEvent", Text="one too many")
    [(opcode, payload)] = client.received()
    assert opcode == 8 and int.from_bytes(payload[:2], "big") == 1008
    assert not clock.getDelayedCalls()  # the slow-client deadline went with it


def test_flooding_client_gets_errors_then_is_closed(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Past its burst a client gets rate_limited errors, gets tokens back with time, and is closed with 1008 if it keeps flooding."""
    factory = make_factory(clock, link, message_rate=10.0, message_burst=20)
    client = Client(factory)
    client.received()
    for _ in range(20):
        client.send(b'{"action":"ping"}')
    assert [e["event"] for e in client.events()] == ["pong"] * 20
    client.send(b'{"action":"ping"}')
    refused = client.events()
    assert refused[0]["event"] == "error" and refused[0]["data"]["code"] == "rate_limited"
    clock.advance(1)  # ten tokens back
    for _ in range(10):
        client.send(b'{"action":"ping"}')
    assert [e["event"] for e in client.events()] == ["pong"] * 10
    for _ in range(20):
        client.send(b'{"action":"ping"}')
    sent = client.received()
    assert [opcode for opcode, _ in sent] == [1] * 19 + [8]
    assert int.from_bytes(sent[-1][1][:2], "big") == 1008
    assert metric(factory, "voyager_proxy_websocket_closed_total", reason="flood") == 1


def test_oversize_message_is_answered_and_the_connection_stays(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A message over max_message_bytes gets a too_large error naming the limit; the connection stays and answers the next ping."""
    factory = make_factory(clock, link, max_message_bytes=1024)
    client = Client(factory)
    client.received()
    client.send(b'{"action":"ping","pad":"' + b"x" * 2000 + b'"}')
    [answer] = client.events()
    assert answer["data"]["code"] == "too_large" and "1024" in answer["data"]["message"]
    client.send(b'{"action":"ping"}')
    assert [e["event"] for e in client.events()] == ["pong"]


def test_replies_wait_behind_what_a_paused_client_is_owed(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A pong to a paused client is queued after the events it is owed, never ahead of them."""
    factory = make_factory(clock, link)
    client = Client(factory)
    client.received()
    client.protocol.pauseProducing()
    publish(link, "Signal", Code=18)
    client.send(b'{"action":"ping"}')
    assert client.received() == []
    client.protocol.resumeProducing()
    assert [e["event"] for e in client.events()] == ["signal", "pong"]


def test_keepalive_and_size_limits_are_set_on_autobahn(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Ping every 25 s, drop 35 s later (60 s in all); Autobahn cuts only far past the size limit."""
    metrics = Metrics(link)
    desk = CommandDesk(link, clock, metrics, CommandLedger(10), ApiSettings().max_command_timeout)
    factory = PushFactory(
        link,
        clock,
        KeyRing(()),
        WebSocketSettings(max_message_bytes=4096, max_clients=7),
        desk,
        frozenset(),
        metrics,
        Rooms(),
        FailedAuthentications(clock, 1, 1),
        *images_of(link, clock),
    )
    assert (factory.autoPingInterval, factory.autoPingTimeout) == (25, 35)
    assert factory.maxConnections == 7 and factory.maxMessagePayloadSize == 16 * 4096


def test_room_messages_are_never_coalesced(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Laravel may name a room message like telemetry: a paused member still gets every one."""
    factory = make_factory(clock, link)
    client = Client(factory)
    client.received()
    assert factory.join(client.protocol, "booking_456") is None
    client.protocol.pauseProducing()
    for minutes in (10, 5):
        factory.publish_to_room("booking_456", "controlData", {"minutesLeft": minutes})
    publish(link, "ControlData", N=1)
    client.protocol.resumeProducing()
    assert [e["data"].get("minutesLeft", e["data"].get("N")) for e in client.events()] == [10, 5, 1]


def resumer(factory: PushFactory, link: VoyagerLink, missed: int) -> Client:
    """A client that saw seq 1, then opens again after C{missed} more messages into a socket full past 4 KB."""
    watcher = Client(factory)
    watcher.received()
    for n in range(missed + 1):
        publish(link, "LogEvent", Text=f"line {n:04d} " + "x" * 200)
    return Client(factory, f"?since=1&epoch={factory.epoch}", limit=4096)


def test_a_replay_is_sent_as_the_socket_takes_it(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A replay far bigger than queue_limit waits while the socket is full, then all of it goes, live messages after."""
    factory = make_factory(clock, link, queue_limit=20, replay_size=300)
    client = resumer(factory, link, missed=200)
    first = client.events()
    assert first[0]["event"] == "resumed" and len(first) < 80  # what the socket took before it filled
    publish(link, "Signal", Code=5)  # live, while the replay waits: behind it
    client.transport.limit = None
    client.protocol.resumeProducing()
    rest = client.events()
    seqs = [e["seq"] for e in first[1:] + rest]
    assert seqs == sorted(seqs) and len(seqs) == 201 and rest[-1]["event"] == "signal"
    assert metric(factory, "voyager_proxy_websocket_closed_total", reason="slow") == 0


def test_a_replay_that_fits_is_under_the_slow_client_deadline(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A resuming client that never reads is closed after slow_client_timeout, like any other; one that reads gets it all."""
    factory = make_factory(clock, link, queue_limit=100, replay_size=100, slow_client_timeout=30.0)
    client = resumer(factory, link, missed=80)  # some 70 bytes each: the socket fills with some 25 still owed
    assert factory.subscribers == 2
    clock.advance(30)
    assert any(opcode == 8 for opcode, _ in client.received()) and factory.subscribers == 1
    reader = Client(factory, f"?since=1&epoch={factory.epoch}", limit=4096)
    reader.transport.limit = None
    reader.protocol.resumeProducing()
    events = reader.events()
    assert events[0]["event"] == "resumed" and len(events) == 1 + 80
    assert not clock.getDelayedCalls() and factory.subscribers == 2
