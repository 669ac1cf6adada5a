"""Framing of Voyager's line protocol; everything else lives in the session."""

from __future__ import annotations

from typing import Protocol

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


class VoyagerLineProtocol(LineReceiver):
    """
    Split Voyager's byte stream into lines.

    Lines end with CR LF; a bare LF is tolerated. A line longer than the
    limit is discarded up to its end and reading goes on with the next one,
    where LineReceiver would drop the connection.
    """

    delimiter = b"\n"

    def __init__(self, sink: LineSink, max_line_bytes: int) -> None:
        # NewJPGReady and RoboTarget JPEG results carry multi-MB base64 images
        # inline, so the limit is raised from LineReceiver's 16 KiB to the
        # configured size (16 MiB by default).
        self.MAX_LENGTH = max_line_bytes
        self._sink = sink
        self._discarding = False
        self._to_refeed: bytes | None = None

    def connectionMade(self) -> None:
        self._sink.connection_made(self)

    def dataReceived(self, data: bytes) -> None:
        self._sink.data_received()
        while True:
            if self._discarding:
                end = data.find(self.delimiter)
                if end < 0:
                    return
                data = data[end + 1 :]
                self._discarding = False
            LineReceiver.dataReceived(self, data)
            if self._to_refeed is None:
                return
            data, self._to_refeed = self._to_refeed, None

    def lineLengthExceeded(self, line: bytes) -> None:
        # LineReceiver hands over the rest of its buffer, starting with the
        # long line: skip to the end of that line, then re-feed what follows.
        self._discarding = True
        self._to_refeed = line
        self._sink.line_too_long(self.MAX_LENGTH)

    def lineReceived(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():
            self._sink.line_received(line)

    def send_line(self, line: bytes) -> None:
        """Write one message followed by CR LF."""
        self.transport.write(line + LINE_END)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._sink.connection_lost(reason)
