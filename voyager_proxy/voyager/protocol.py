"""Framing of Voyager's line protocol; everything else lives in the session."""

from __future__ import annotations

from typing import Protocol, cast

from twisted.internet.protocol import connectionDone
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure

from .wire import LINE_END


class LineSink(Protocol):
    """What the framing layer reports to (the session)."""

    def connection_made(self, protocol: VoyagerLineProtocol) -> None: ...

    def data_received(self) -> None: ...

    def line_received(self, line: bytes) -> None: ...

    def line_too_long(self, limit: int) -> None: ...

    def connection_lost(self, reason: Failure) -> None: ...


class Connection(Protocol):
    """What the link uses of its TCP transport (Twisted's ITransport lacks the last two)."""

    disconnecting: bool

    def write(self, data: bytes) -> None: ...

    def loseConnection(self) -> None: ...

    def abortConnection(self) -> None: ...


class VoyagerLineProtocol(LineReceiver):
    """
    Split Voyager's byte stream into lines.

    Lines end with CR LF; a bare LF is tolerated. A line longer than the
    limit is discarded up to its end and reading goes on with the next one,
    where LineReceiver would drop the connection.

    LineReceiver re-copies its whole buffer on every read, which costs time
    quadratic in the length of a multi-MB line. Here the reads of an
    unfinished line are kept as they came and joined once, when its end
    arrives; a line over the limit is not kept at all.
    """

    delimiter = b"\n"

    def __init__(self, sink: LineSink, max_line_bytes: int) -> None:
        # NewJPGReady and RoboTarget JPEG results carry multi-MB base64 images
        # inline, so the limit is raised from LineReceiver's 16 KiB to the
        # configured size (16 MiB by default).
        self.MAX_LENGTH = max_line_bytes
        self._sink = sink
        self._pieces: list[bytes] = []  # the reads of the unfinished line
        self._pending = 0  # their total length
        self._discarding = False  # inside a line already reported too long

    def connectionMade(self) -> None:
        self._sink.connection_made(self)

    def dataReceived(self, data: bytes) -> None:
        # Any read counts as life, also one in the middle of a long line.
        self._sink.data_received()
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            if self._discarding:
                self._discarding = False
            elif self._pending + end - start > self.MAX_LENGTH:
                self._drop_pending()
                self._sink.line_too_long(self.MAX_LENGTH)
            else:
                stop = end - 1 if end > start and data[end - 1] == 13 else end  # CR left out here, not copied off
                if self._pieces:
                    self._pieces.append(data[start:stop])
                    line = b"".join(self._pieces)
                    self._drop_pending()
                else:
                    line = data[start:stop]
                self.lineReceived(line)
                if self.transport is not None and self.connection.disconnecting:
                    return  # as LineReceiver: nothing more is read once we close
            start = end + 1
        if start == len(data) or self._discarding:
            return
        self._pieces.append(data[start:] if start else data)
        self._pending += len(data) - start
        if self._pending > self.MAX_LENGTH:
            self._drop_pending()
            self._discarding = True
            self._sink.line_too_long(self.MAX_LENGTH)

    def _drop_pending(self) -> None:
        self._pieces = []
        self._pending = 0

    def lineReceived(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line and not line.isspace():  # no copy: a preview's line is megabytes
            self._sink.line_received(line)

    @property
    def connection(self) -> Connection:
        """The transport, once connected."""
        assert self.transport is not None, "not connected"
        return cast(Connection, self.transport)

    def send_line(self, line: bytes) -> None:
        """Write one message followed by CR LF."""
        self.connection.write(line + LINE_END)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._sink.connection_lost(reason)
