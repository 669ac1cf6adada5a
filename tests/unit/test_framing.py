"""Framing: Voyager's byte stream split into lines whatever the TCP reads look like."""

from __future__ import annotations

import time

from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from voyager_proxy.voyager.protocol import VoyagerLineProtocol


class RecordingSink:
    """Records what the framing layer reports."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.too_long: list[int] = []
        self.activity = 0
        self.lost: list[Failure] = []

    def connection_made(self, protocol: VoyagerLineProtocol) -> None:
        pass

    def data_received(self) -> None:
        self.activity += 1

    def line_received(self, line: bytes) -> None:
        self.lines.append(line)

    def line_too_long(self, limit: int) -> None:
        self.too_long.append(limit)

    def connection_lost(self, reason: Failure) -> None:
        self.lost.append(reason)


def connected(max_line_bytes: int = 1024) -> tuple[VoyagerLineProtocol, RecordingSink, StringTransport]:
    sink = RecordingSink()
    protocol = VoyagerLineProtocol(sink, max_line_bytes)
    transport = StringTransport()
    protocol.makeConnection(transport)
    return protocol, sink, transport


def test_line_split_across_reads() -> None:
    """A line arriving in several TCP reads is delivered once, whole."""
    protocol, sink, _ = connected()
    for piece in (b'{"Event":', b'"Polling"', b"}\r", b"\n"):
        protocol.dataReceived(piece)
    assert sink.lines == [b'{"Event":"Polling"}']


def test_many_lines_in_one_read() -> None:
    """Several lines in one read are delivered in order, a trailing partial line kept."""
    protocol, sink, _ = connected()
    protocol.dataReceived(b"a\r\nb\r\nc\r\nd")
    assert sink.lines == [b"a", b"b", b"c"]
    protocol.dataReceived(b"\r\n")
    assert sink.lines[-1] == b"d"


def test_bare_lf_and_blank_lines() -> None:
    """A bare LF ends a line too; blank lines are skipped."""
    protocol, sink, _ = connected()
    protocol.dataReceived(b"one\n\r\n\n  \r\ntwo\r\n")
    assert sink.lines == [b"one", b"two"]


def test_line_over_limit_is_discarded_and_reading_goes_on() -> None:
    """A 20 MB line over a 16 MiB limit is dropped alone; the next line still arrives."""
    protocol, sink, transport = connected(max_line_bytes=16 * 1024 * 1024)
    chunk = b"x" * 65536
    protocol.dataReceived(b'{"Event":"NewJPGReady","Base64Data":"')
    for _ in range(20 * 1024 * 1024 // len(chunk)):
        protocol.dataReceived(chunk)
    protocol.dataReceived(b'"}\r\n{"Event":"Polling"}\r\n')
    assert sink.too_long == [16 * 1024 * 1024]
    assert sink.lines == [b'{"Event":"Polling"}']
    assert not transport.disconnecting


def test_long_line_with_its_end_in_the_same_read() -> None:
    """A complete over-long line followed by good lines in one read: only the long one goes."""
    protocol, sink, _ = connected(max_line_bytes=100)
    protocol.dataReceived(b"a\r\n" + b"y" * 500 + b"\r\nb\r\nc\r\n")
    assert sink.lines == [b"a", b"b", b"c"]
    assert len(sink.too_long) == 1


def test_line_at_the_limit_is_kept() -> None:
    """A line of exactly the limit (excluding CR LF) is delivered."""
    protocol, sink, _ = connected(max_line_bytes=100)
    protocol.dataReceived(b"z" * 99 + b"\r\n")
    assert sink.lines == [b"z" * 99]
    assert sink.too_long == []


def test_send_line_ends_with_crlf() -> None:
    """Outgoing messages end with CR LF."""
    protocol, _, transport = connected()
    protocol.send_line(b'{"a":1}')
    assert transport.value() == b'{"a":1}\r\n'


def test_every_read_counts_as_activity() -> None:
    """Each read is reported, so the watchdog sees a slow multi-MB line as life."""
    protocol, sink, _ = connected()
    protocol.dataReceived(b"par")
    protocol.dataReceived(b"tial")
    assert sink.activity == 2


def feed_in_reads(protocol: VoyagerLineProtocol, data: bytes, read: int = 65536) -> float:
    """Hand C{data} over in reads of C{read} bytes; return the CPU seconds it took."""
    start = time.process_time()
    for offset in range(0, len(data), read):
        protocol.dataReceived(data[offset : offset + read])
    return time.process_time() - start


def test_long_lines_cost_linear_time() -> None:
    """A 16 MiB line read, and one skipped, in 64 KiB reads take a fraction of a second (not seconds)."""
    protocol, sink, _ = connected(max_line_bytes=17 * 1024 * 1024)
    line = b"x" * (16 * 1024 * 1024)
    assert feed_in_reads(protocol, line + b"\r\n") < 0.3
    assert sink.lines == [line]
    protocol, sink, _ = connected(max_line_bytes=16 * 1024 * 1024)
    assert feed_in_reads(protocol, line + b"yy\r\nnext\r\n") < 0.3
    assert sink.lines == [b"next"] and len(sink.too_long) == 1


def test_line_split_at_every_byte() -> None:
    """Lines fed one byte at a time come out whole, CR stripped, an over-long one reported once."""
    protocol, sink, _ = connected(max_line_bytes=8)
    for byte in b"ab\r\n" + b"z" * 20 + b"\ncd\n":
        protocol.dataReceived(bytes([byte]))
    assert sink.lines == [b"ab", b"cd"] and sink.too_long == [8]
