"""
A clean stop: every caller answered before the reactor lets go of the sockets.

On SIGTERM twistd stops the services, newest first: the HTTP service stops
listening, answers each command and RoboTarget caller still waiting with 503
C{shutting_down} (its ledger UID, and whether Voyager acknowledged it), sends
each dashboard a close frame 1001, then closes every HTTP connection once its
answer is written; the Voyager link then says C{disconnect}. Whatever is not
closed within C{http.stop_timeout} is cut.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from .server import BoundedSite
from .web import Front

_log = Logger()


def answer_everyone(front: Front, site: BoundedSite, clock: IReactorTime, timeout: float) -> Deferred[None]:
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
