"""
A clean stop: every caller answered before the reactor lets go of the sockets.

On SIGTERM twistd stops the services, newest first: the HTTP service stops
listening, answers each command caller still waiting with 503
C{shutting_down} (its ledger UID, and whether Voyager acknowledged it), sends
each dashboard a close frame 1001, then closes every HTTP connection once its
answer is written; the Voyager link then says C{disconnect}. Whatever is not
closed within C{http.stop_timeout} is cut.
"""

from __future__ import annotations

import weakref
from typing import Any, cast

from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IReactorTime, ITCPTransport
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel
from twisted.web.server import Site

from .observer import SingleObserver
from .web import Front


class AnsweringChannel(HTTPChannel):
    """An HTTP connection that says when it is gone."""

    def __init__(self) -> None:
        super().__init__()
        self.gone: SingleObserver[None] = SingleObserver()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        self.gone.fire(None)


class AnsweringSite(Site):
    """
    A Site that can close its connections gracefully. It holds them weakly: a
    connection upgraded to a WebSocket leaves its channel behind, to be
    collected.
    """

    # Plain HTTP/1.1 (no TLS here, so no HTTP/2 to negotiate): the channel itself, not Twisted's generic wrapper.
    protocol = AnsweringChannel  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._channels: weakref.WeakSet[AnsweringChannel] = weakref.WeakSet()

    def buildProtocol(self, addr: Any) -> Any:
        channel = super().buildProtocol(addr)
        self._channels.add(channel)
        return channel

    def close_connections(self, clock: IReactorTime, timeout: float) -> Deferred[None]:
        """Close each HTTP connection once what it was written is sent; those still open after C{timeout} are cut."""
        open_ = [channel for channel in self._channels if channel.transport is not None and channel.connected]
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


_log = Logger()


def answer_everyone(front: Front, site: AnsweringSite, clock: IReactorTime, timeout: float) -> Deferred[None]:
    """Answer the commands in flight, say 1001 to the dashboards, then close the HTTP connections."""
    answered = front.desk.stop()
    dashboards = front.push.subscribers
    _log.info(
        "Stopping: {answered} command caller(s) answered 503 shutting_down, {dashboards} dashboard(s) sent 1001",
        answered=answered,
        dashboards=dashboards,
    )
    # The answers are written by now: a connection closed gracefully sends what it holds first.
    closed = [front.push.close_all(timeout), site.close_connections(clock, timeout)]
    return DeferredList(closed).addCallback(lambda _: None)
