"""
The HTTP server: Twisted Web's Site, with the bounds a daemon facing
untrusted clients needs (request deadline, connection cap, no body read for
a request refused from its headers).

Twisted's own C{timeout} is an idle timer that every byte resets, so a client
trickling a header a byte at a time (slowloris) keeps its connection for
ever; L{BoundedChannel} gives each request a deadline instead, counted from
the connection (or the end of the previous answer) to the last byte of the
request. The cap counts HTTP connections in total: a per-address cap
(L{twisted.protocols.policies.LimitConnectionsByPeer}) would cut Laravel and
every dashboard behind one reverse proxy, which all come from 127.0.0.1.
WebSocket connections leave the count once upgraded (C{websocket.max_clients}
bounds them).
"""

from __future__ import annotations

from typing import Any, cast

from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime, ITCPTransport
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel, parse_qs
from twisted.web.server import Request, Site

from .observer import SingleObserver
from .web import MeasuredResource

REQUEST_TIMEOUT_BODY = b'{"success":false,"error":{"code":"request_timeout","message":"the request took too long"}}'
BAD_LENGTH_BODY = b'{"success":false,"error":{"code":"bad_header","message":"the Content-Length is not a size"}}'
MAX_LENGTH_DIGITS = 19  # any body we could take; Twisted's int() of 4,300 digits or more raises, logged as unhandled
CUTS_REPORTED_EVERY = 60.0  # seconds: one log line sums up the connections cut at their deadline


class BoundedChannel(HTTPChannel):
    """One HTTP connection: a deadline for each request, and no body read for a request refused from its headers."""

    site: BoundedSite
    _deadline: IDelayedCall | None = None

    def __init__(self) -> None:
        super().__init__()
        self.gone: SingleObserver[None] = SingleObserver()

    def connectionMade(self) -> None:
        super().connectionMade()
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.callLater(self.site.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _too_slow(self) -> None:
        """The request (or the next one) did not come in time: 408 if it had begun, then close."""
        self._deadline = None
        if self.transport is None or self._handlingRequest:
            return
        if self.requests:
            self._answer(b"408 Request Timeout", REQUEST_TIMEOUT_BODY)
        self.timeoutConnection()

    def timeoutConnection(self) -> None:
        """Twisted's, without its log line for each connection (slowloris would flood the log): the site sums up."""
        self.site.cut_at_deadline()
        if self.abortTimeout is not None:
            self._abortingCall = self.callLater(self.abortTimeout, self.forceAbortClient)
        self.loseConnection()

    def _answer(self, status: bytes, body: bytes) -> None:
        """Write a JSON answer ahead of any request object (the connection is closed next)."""
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 %s\r\nContent-Type: application/json; charset=utf-8\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body)
        )

    def headerReceived(self, line: bytes) -> bool:
        """A C{Content-Length} longer than any size is a 400 envelope, before Twisted's C{int()} sees it."""
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-length" and len(value.strip(b" \t")) > MAX_LENGTH_DIGITS:
            self._answer(b"400 Bad Request", BAD_LENGTH_BODY)
            self.loseConnection()
            return False
        return cast(bool, super().headerReceived(line))

    def allHeadersReceived(self) -> None:
        request = self.requests[-1]
        if self.length != 0 and self._refused_unread(request):
            # Answer from the headers alone: the body is neither read nor kept, and the connection closes after.
            self.persistent = False
            self.length = 0
            request.gotLength(0)
            request.responseHeaders.setRawHeaders(b"Connection", [b"close"])
            self.dataReceived = lambda data: None  # type: ignore[method-assign]
            return  # with no length left, the channel dispatches the request now
        super().allHeadersReceived()

    def _refused_unread(self, request: Request) -> bool:
        request.method, request.uri = self._command, self._path
        request.path, _, query = self._path.partition(b"?")
        request.args = parse_qs(query, 1)
        return self.site.refuses_unread(request)

    def allContentReceived(self) -> None:
        self._disarm()
        super().allContentReceived()

    def requestDone(self, request: Request) -> None:
        if self.persistent and self.transport is not None:
            self._arm()  # before a pipelined request is read, whose last byte disarms it
        super().requestDone(request)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._disarm()
        self.site.forget(self)
        super().connectionLost(reason)
        self.gone.fire(None)

    @property
    def transport(self) -> Any:
        return self.__dict__.get("_transport")

    @transport.setter
    def transport(self, transport: Any) -> None:
        """Autobahn takes the transport over (sets ours to None) once the WebSocket handshake is made."""
        if transport is None and self.__dict__.get("_transport") is not None:
            self._disarm()
            self.site.forget(self)
        self.__dict__["_transport"] = transport


class BoundedSite(Site):
    """A Site for our root resource: at most C{max_connections} HTTP connections, each request on a deadline."""

    protocol = BoundedChannel  # type: ignore[assignment]  # HTTP/1.1 only: no TLS, so no HTTP/2 to negotiate
    _log = Logger()

    def __init__(self, root: MeasuredResource, request_timeout: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(root, timeout=None, **kwargs)
        self.root = root
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._open: set[BoundedChannel] = set()
        self._full = False
        self._cuts = 0  # since the last report
        self._report: IDelayedCall | None = None

    @property
    def connections(self) -> int:
        """HTTP connections open now (WebSocket ones apart)."""
        return len(self._open)

    def buildProtocol(self, addr: IAddress | None) -> Any:
        """A channel, or None (the connection is closed at once) when C{max_connections} are open."""
        if len(self._open) >= self.max_connections:
            if not self._full:
                self._log.warn(
                    "{count} HTTP connections open (http.max_connections): closing new ones until some end",
                    count=len(self._open),
                )
            self._full = True
            return None
        self._full = False
        channel = super().buildProtocol(addr)
        self._open.add(channel)
        return channel

    def forget(self, channel: BoundedChannel) -> None:
        """C{channel} closed, or became a WebSocket."""
        self._open.discard(channel)

    def cut_at_deadline(self) -> None:
        """Count a connection cut at its request deadline; the first one of a quiet spell schedules the report."""
        self._cuts += 1
        if self._report is None:
            self._report = self.reactor.callLater(CUTS_REPORTED_EVERY, self._report_cuts)

    def stopFactory(self) -> None:
        """The listening port closed: what was cut since the last report is said now."""
        if self._report is not None:
            self._report.cancel()
            self._report_cuts()
        super().stopFactory()

    def _report_cuts(self) -> None:
        self._report = None
        self._log.info(
            "{count} HTTP connections cut at their request deadline (http.request_timeout {timeout:g} s)"
            " in the last {period:g} s",
            count=self._cuts,
            timeout=self.request_timeout,
            period=CUTS_REPORTED_EVERY,
        )
        self._cuts = 0

    def refuses_unread(self, request: Request) -> bool:
        return self.root.refuses_unread(request)

    def close_connections(self, clock: IReactorTime, timeout: float) -> Deferred[None]:
        """Close each HTTP connection once what it was written is sent; those still open after C{timeout} are cut."""
        open_ = [channel for channel in self._open if channel.transport is not None and channel.connected]
        gone = DeferredList([channel.gone.when_fired() for channel in open_])
        for channel in open_:
            cast(ITCPTransport, channel.transport).loseConnection()

        def cut() -> None:
            for channel in open_:
                if channel.transport is not None:
                    cast(ITCPTransport, channel.transport).abortConnection()

        late = clock.callLater(timeout, cut)
        gone.addBoth(lambda _: late.cancel() if late.active() else None)
        return gone.addCallback(lambda _: None)
