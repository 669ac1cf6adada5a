"""What a Voyager event frame carries (?fields=), and the direct write of published frames."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from types import MethodType
from typing import Any

import pytest
from twisted.internet import tcp
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactorClock, StringTransport

from tests.unit.test_push_flow import frames, make_factory
from voyager_proxy.push import PushFactory
from voyager_proxy.push.direct import DirectWriter, writer_for
from voyager_proxy.push.messages import EventMessage, encode, slim
from voyager_proxy.push.protocol import PushProtocol
from voyager_proxy.voyager import VoyagerEvent, VoyagerLink

FIELDS = {"Event": "ControlData", "Timestamp": 1700000000.5, "Host": "OBS1", "Inst": 1, "CCDTEMP": -15.2}
PARSED = {"camera": {"temperature": -15.2, "setPoint": None}, "rotator": {"positionAngle": None}, "unavailable": {}}
SLIM = {"camera": {"temperature": -15.2}}


def handshake(query: str = "", origin: str | None = None) -> bytes:
    return (
        f"GET /ws{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + (f"Origin: {origin}\r\n" if origin else "")
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


class Dashboard:
    """A connection over StringTransport that opened with C{query}."""

    def __init__(self, factory: PushFactory, query: str = "", origin: str | None = None) -> None:
        protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        assert isinstance(protocol, PushProtocol)
        self.protocol = protocol
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.protocol.dataReceived(handshake(query, origin))
        self.response, _, self._rest = self.transport.value().partition(b"\r\n\r\n")
        self.transport.clear()

    def payloads(self) -> list[bytes]:
        data, self._rest = self._rest + self.transport.value(), b""
        self.transport.clear()
        return [payload for opcode, payload in frames(data) if opcode == 1]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(payload) for payload in self.payloads()]

    def send(self, message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        self.protocol.dataReceived(bytes([0x81, 0x80 | len(payload)]) + b"\x00\x00\x00\x00" + payload)


def publish(link: VoyagerLink) -> None:
    link.events.publish(VoyagerEvent("ControlData", FIELDS, PARSED, 0.0))


def test_each_mode_is_encode_of_its_view() -> None:
    """both is Voyager's fields plus parsed, raw the fields, parsed the envelope plus slim parsed: byte for byte."""
    message = EventMessage("controlData", FIELDS, PARSED, 7)
    envelope = {name: FIELDS[name] for name in ("Event", "Timestamp", "Host", "Inst")}
    expected = {
        "both": encode("controlData", {**FIELDS, "parsed": PARSED}, 7),
        "raw": encode("controlData", FIELDS, 7),
        "parsed": encode("controlData", {**envelope, "parsed": SLIM}, 7),
    }
    assert {mode: message.payload(mode) for mode in expected} == expected
    message.settle()
    assert {mode: message.payload(mode) for mode in expected} == expected


def test_slim_drops_nulls_and_emptied_groups_only() -> None:
    """Nulls and the groups they empty go; false, zero, empty text, lists and unavailable reasons stay."""
    parsed = {
        "status": {"code": None, "name": None},
        "mount": {"parked": False, "pier": None, "ra": "", "timeToFlip": 0},
        "guiding": {"dither": {"status": None}},
        "problems": [None],
        "unavailable": {"ROTPA": "off"},
        "setupConnected": None,
    }
    assert slim(parsed) == {
        "mount": {"parked": False, "ra": "", "timeToFlip": 0},
        "problems": [None],
        "unavailable": {"ROTPA": "off"},
    }


def test_only_telemetry_is_slimmed_and_only_in_parsed_mode() -> None:
    """controlData's parsed frame leaves out nulls, its both frame keeps them; other topics keep them in every mode."""
    telemetry = EventMessage("controlData", FIELDS, PARSED, 1)
    assert json.loads(telemetry.payload("parsed"))["data"]["parsed"] == SLIM
    assert json.loads(telemetry.payload("both"))["data"]["parsed"] == PARSED
    signal = EventMessage("signal", {"Event": "Signal", "Code": "x"}, {"code": None, "problems": ["no"]}, 2)
    assert json.loads(signal.payload("parsed"))["data"]["parsed"] == {"code": None, "problems": ["no"]}


def test_initial_state_keeps_nulls(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """initialState carries the cached ControlData with both its fields and its full parsed part."""
    factory = make_factory(clock, link)
    publish(link)
    [initial] = Dashboard(factory).events()
    assert initial["data"]["controlData"]["parsed"] == PARSED and initial["data"]["controlData"]["fields"] == FIELDS


def test_parsed_preview_keeps_the_image() -> None:
    """A parsed newJPG frame still carries Base64Data, which has no parsed form, as text when it was read as bytes."""
    for read in ("AAAA", memoryview(b"AAAA")):
        message = EventMessage("newJPG", {"Event": "NewJPGReady", "Base64Data": read, "HFD": 2.1}, {"hfd": 2.1}, 1)
        data = json.loads(message.payload("parsed"))["data"]
        assert data == {"Event": "NewJPGReady", "Base64Data": "AAAA", "parsed": {"hfd": 2.1}}
        assert json.loads(message.payload("raw"))["data"]["Base64Data"] == "AAAA"


def test_default_frame_is_parsed_and_each_asked_mode_is_prepared_once(
    clock: MemoryReactorClock, link: VoyagerLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three parsed clients and one raw one: two frames prepared per event, none for both."""
    factory = make_factory(clock, link)
    dashboards = [Dashboard(factory) for _ in range(3)] + [Dashboard(factory, "?fields=raw")]
    for dashboard in dashboards:
        dashboard.payloads()
    prepared: list[bytes] = []
    original = factory.prepareMessage

    def prepare(payload: bytes, *args: Any, **kwargs: Any) -> Any:
        prepared.append(payload)
        return original(payload)

    monkeypatch.setattr(factory, "prepareMessage", prepare)
    publish(link)
    parsed = encode(
        "controlData", {"Event": "ControlData", "Timestamp": 1700000000.5, "Host": "OBS1", "Inst": 1, "parsed": SLIM}, 1
    )
    raw = encode("controlData", FIELDS, 1)
    assert sorted(prepared) == sorted([parsed, raw])  # clients are a set: either may be prepared first
    assert [d.payloads() for d in dashboards] == [[parsed]] * 3 + [[raw]]


def test_invalid_fields_refuses_the_handshake(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """?fields=everything gets 400 naming the modes, before the upgrade."""
    dashboard = Dashboard(make_factory(clock, link), "?fields=everything")
    assert dashboard.response.startswith(b"HTTP/1.1 400")
    assert b"fields must be one of parsed, raw, both" in dashboard.response


def test_fields_action_switches_mode_and_refuses_others(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """The fields action answers with the new mode, which the next event uses; a bad mode gets an error."""
    dashboard = Dashboard(make_factory(clock, link))
    dashboard.payloads()
    dashboard.send({"action": "fields", "fields": "both"})
    publish(link)
    answer, event = dashboard.events()
    assert answer == {"event": "fields", "data": {"fields": "both"}} and event["data"]["CCDTEMP"] == -15.2
    assert event["data"]["parsed"] == PARSED
    dashboard.send({"action": "fields", "fields": "all"})
    [refusal] = dashboard.events()
    assert refusal["event"] == "error" and refusal["data"]["code"] == "bad_message"
    assert dashboard.protocol.fields == "both" and dashboard.protocol.state == dashboard.protocol.STATE_OPEN


def test_resume_replays_in_the_clients_mode(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Events published while a raw client was away come back raw, though only parsed clients saw them."""
    factory = make_factory(clock, link)
    first = Dashboard(factory)
    epoch, seq = first.events()[0]["data"]["epoch"], factory.seq
    publish(link)
    publish(link)
    again = Dashboard(factory, f"?fields=raw&since={seq}&epoch={epoch}")
    resumed, *replayed = again.events()
    assert resumed["event"] == "resumed" and [e["data"] for e in replayed] == [FIELDS, FIELDS]


class PairConnection(tcp.Connection):
    """Twisted's TCP connection over one end of a socket pair."""

    def getPeer(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", 40000)

    def getHost(self) -> IPv4Address:
        return IPv4Address("TCP", "127.0.0.1", 3000)


@pytest.fixture
def connection() -> Iterator[tuple[tcp.Connection, socket.socket, list[bytes]]]:
    """A Twisted TCP connection over a socket pair (never run by a reactor), its peer, and what went to write()."""
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.settimeout(1)
    transport = PairConnection(ours, Protocol(), MemoryReactorClock())  # the test connects its own protocol
    transport.connected = True
    through: list[bytes] = []
    real_write = transport.write

    def write(data: bytes) -> None:
        through.append(data)
        real_write(data)

    transport.write = write  # type: ignore[method-assign]
    yield transport, peer, through
    ours.close()
    peer.close()


def test_direct_write_goes_to_the_socket_when_nothing_is_buffered(
    connection: tuple[tcp.Connection, socket.socket, list[bytes]],
) -> None:
    """An idle connection's frame reaches the socket at once, without the transport's buffer."""
    transport, peer, through = connection
    write = writer_for(transport)
    write(b"frame one")
    assert peer.recv(100) == b"frame one" and through == []


def test_direct_write_queues_behind_buffered_bytes_in_order(
    connection: tuple[tcp.Connection, socket.socket, list[bytes]],
) -> None:
    """With bytes already buffered, the frame goes through the transport; the peer reads both in order."""
    transport, peer, through = connection
    transport.write(b"older ")
    DirectWriter(transport).write(b"newer")
    assert through == [b"older ", b"newer"]
    transport.doWrite()
    assert peer.recv(100) == b"older newer"


def test_direct_write_hands_what_the_socket_refuses_to_the_transport(
    connection: tuple[tcp.Connection, socket.socket, list[bytes]],
) -> None:
    """A full socket takes a prefix; the rest is buffered by the transport and arrives after it."""
    transport, peer, through = connection
    data = bytes(range(256)) * 40000  # more than a socket pair's buffers
    DirectWriter(transport).write(data)
    assert len(through) == 1 and 0 < len(through[0]) < len(data)
    received = b""
    while len(received) < len(data):
        transport.doWrite()
        received += peer.recv(1 << 20)
    assert received == data


def test_other_transports_are_written_as_usual() -> None:
    """A transport that is not a plain TCP connection (TLS, tests) gets its own write()."""
    transport = StringTransport()
    assert writer_for(transport) == transport.write


def test_published_frame_reaches_a_tcp_socket_as_prepared(
    clock: MemoryReactorClock, link: VoyagerLink, connection: tuple[tcp.Connection, socket.socket, list[bytes]]
) -> None:
    """Over a TCP connection a published event's bytes go straight to the socket, exactly the prepared frame."""
    transport, peer, through = connection
    factory = make_factory(clock, link)
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    assert isinstance(protocol, PushProtocol)
    transport.protocol = protocol
    protocol.makeConnection(transport)
    protocol.dataReceived(handshake())
    transport.doWrite()  # the handshake answer and initialState, through Autobahn and the transport
    write = protocol._write
    assert peer.recv(1 << 16).startswith(b"HTTP/1.1 101")
    assert isinstance(write, MethodType) and isinstance(write.__self__, DirectWriter)
    through.clear()
    publish(link)
    expected = factory.prepareMessage(EventMessage("controlData", FIELDS, PARSED, factory.seq).payload("parsed"))
    assert peer.recv(1 << 16) == expected.payloadHybi and through == []
