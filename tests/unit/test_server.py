"""
The HTTP server's bounds, on a MemoryReactorClock: a deadline for each
request (slowloris), a cap on open connections, and no body read for a
request refused from its headers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.logger import ILogObserver, LogEvent, Logger, formatEvent
from twisted.python.failure import Failure
from zope.interface import provider

from tests.support.fake_voyager import FakeVoyager
from tests.support.keys import CONTROL, KEYS
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings
from voyager_proxy.server import CUTS_REPORTED_EVERY, BoundedChannel, BoundedSite
from voyager_proxy.web import build_front

TIMEOUT = 30.0
PEER = IPv4Address("TCP", "127.0.0.1", 40000)


@pytest.fixture
def voyager() -> Iterator[FakeVoyager]:
    fake = FakeVoyager()
    fake.ready()
    yield fake
    fake.stop()


def make_site(voyager: FakeVoyager, max_connections: int = 16, **api: object) -> BoundedSite:
    settings = ApiSettings(**api)  # type: ignore[arg-type]
    root = build_front(voyager.link, voyager.clock, settings, KeyRing(parse_keys(settings.keys))).root
    return BoundedSite(root, TIMEOUT, max_connections, reactor=voyager.clock)


def connect(site: BoundedSite) -> tuple[BoundedChannel, StringTransport]:
    channel = site.buildProtocol(PEER)
    assert channel is not None
    transport = StringTransport(peerAddress=PEER)
    channel.makeConnection(transport)
    return channel, transport


def close(channel: BoundedChannel) -> None:
    channel.connectionLost(Failure(ConnectionDone("done")))


def test_a_trickled_request_gets_408_at_its_deadline(voyager: FakeVoyager) -> None:
    """A header sent a byte every 10 s (which resets Twisted's idle timer) still ends at request_timeout: 408."""
    site = make_site(voyager)
    channel, transport = connect(site)
    for byte in b"GET /health HTTP/1.1\r\nX-Slow: " + b"x" * 40:
        channel.dataReceived(bytes([byte]))
        voyager.clock.advance(1)
        if transport.disconnecting:
            break
    assert voyager.clock.seconds() == TIMEOUT
    assert transport.value().startswith(b"HTTP/1.1 408")
    assert b'"request_timeout"' in transport.value() and transport.disconnecting
    close(channel)
    assert site.connections == 0
    site.stopFactory()  # says the cut, as the daemon does when it stops


def test_an_idle_connection_closes_after_the_timeout(voyager: FakeVoyager) -> None:
    """A connection that sends nothing, or nothing after an answer, is closed after request_timeout."""
    site = make_site(voyager)
    channel, transport = connect(site)
    channel.dataReceived(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert transport.value().startswith(b"HTTP/1.1 200")
    voyager.clock.advance(TIMEOUT - 1)
    still_open = not transport.disconnecting
    voyager.clock.advance(1)
    assert still_open and transport.disconnecting
    close(channel)
    site.stopFactory()


def test_a_request_being_answered_has_no_deadline(voyager: FakeVoyager) -> None:
    """Once the whole request is in, the deadline is off: a long ?wait= command is not cut."""
    site = make_site(voyager)
    channel, transport = connect(site)
    channel.dataReceived(
        b"POST /api/telescope/park HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\r\n"
    )
    voyager.clock.advance(TIMEOUT * 2)
    assert not transport.disconnecting and transport.value() == b""
    close(channel)


def test_connections_over_the_cap_are_closed_and_upgraded_ones_leave_the_count(voyager: FakeVoyager) -> None:
    """
    The 17th HTTP connection of a cap of 16 is refused (None: closed at once);
    one closing, or becoming a WebSocket (its transport taken over), frees a place.
    """
    site = make_site(voyager, max_connections=16)
    opened = [connect(site) for _ in range(16)]
    assert site.connections == 16 and site.buildProtocol(PEER) is None
    close(opened[0][0])
    assert site.connections == 15
    again, _ = connect(site)
    assert site.buildProtocol(PEER) is None
    opened[1][0].transport = None  # what Autobahn does on the upgrade
    assert site.connections == 15
    for channel, _ in [*opened[2:], (again, None)]:
        close(channel)
    assert site.connections == 0


def test_an_unauthenticated_upload_is_refused_before_its_body(voyager: FakeVoyager) -> None:
    """A POST without a key is a 401 answered from its headers: no body read, none kept, then closed."""
    site = make_site(voyager, keys=KEYS)
    channel, transport = connect(site)
    channel.dataReceived(
        b"POST /api/commands/RemoteSetupConnect HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 65536
    )
    assert transport.value().startswith(b"HTTP/1.1 401") and b'"unauthorized"' in transport.value()
    assert transport.disconnecting
    channel.dataReceived(b"x" * 65536)  # what was already on its way is dropped
    close(channel)


def test_a_body_over_the_limit_is_refused_from_its_content_length(voyager: FakeVoyager) -> None:
    """Content-Length over api.max_body_bytes is a 413 before a byte of the body, even with a good key."""
    site = make_site(voyager, keys=KEYS)
    channel, transport = connect(site)
    channel.dataReceived(
        b"POST /api/commands/RemoteSetupConnect HTTP/1.1\r\nHost: localhost\r\nX-API-Key: "
        + CONTROL.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
    )
    assert transport.value().startswith(b"HTTP/1.1 413") and b'"body_too_large"' in transport.value()
    close(channel)


def test_a_good_request_with_a_body_is_read_and_answered(voyager: FakeVoyager) -> None:
    """The early refusal leaves good requests alone: a keyed JSON body is read and the command sent."""
    site = make_site(voyager, keys=KEYS)
    channel, transport = connect(site)
    body = b'{"exposure": 1, "binning": 1}'
    channel.dataReceived(
        b"POST /api/camera/shot?wait=false HTTP/1.1\r\nHost: localhost\r\nX-API-Key: "
        + CONTROL.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )
    assert [line["method"] for line in voyager.said_by_link()] == ["RemoteCameraShot"]
    close(channel)


def test_pipelined_requests_are_each_answered_and_the_deadline_rearmed(voyager: FakeVoyager) -> None:
    """Two requests in one write are both answered; the connection then has its idle deadline again."""
    site = make_site(voyager)
    channel, transport = connect(site)
    channel.dataReceived(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n" * 2)
    assert transport.value().count(b"HTTP/1.1 200") == 2
    voyager.clock.advance(TIMEOUT)
    assert transport.disconnecting
    close(channel)
    site.stopFactory()


def test_connections_cut_at_their_deadline_are_summed_up_in_one_line_a_minute(voyager: FakeVoyager) -> None:
    """Slowloris must not flood the log: no line for each cut connection, one line with the count each minute."""
    site = make_site(voyager)
    lines: list[str] = []
    channels: list[BoundedChannel] = []

    @provider(ILogObserver)
    def observe(event: LogEvent) -> None:
        lines.append(formatEvent(event))

    site._log = Logger(observer=observe)
    for _ in range(3):
        channel, _ = connect(site)
        channel._log = site._log  # Twisted's own line for each connection would land here too
        channel.dataReceived(b"GET /health HTTP/1.1\r\n")
        channels.append(channel)
    voyager.clock.advance(TIMEOUT)
    for channel in channels:
        close(channel)
    assert lines == []
    voyager.clock.advance(CUTS_REPORTED_EVERY)
    assert lines == ["3 HTTP connections cut at their request deadline (http.request_timeout 30 s) in the last 60 s"]
    close(connect(site)[0])  # closed by its client: not counted
    channel, _ = connect(site)
    voyager.clock.advance(TIMEOUT)
    close(channel)
    site.stopFactory()  # the last count is said when the daemon stops
    assert lines[1:] == [
        "1 HTTP connections cut at their request deadline (http.request_timeout 30 s) in the last 60 s"
    ]
