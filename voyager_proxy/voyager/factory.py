"""Reconnection with exponential backoff, one session per connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from twisted.internet.interfaces import IAddress, IConnector, IReactorTime
from twisted.internet.protocol import ReconnectingClientFactory
from twisted.python.failure import Failure

from .connection import SessionListener, VoyagerSession
from .protocol import VoyagerLineProtocol

if TYPE_CHECKING:
    from ..config import VoyagerSettings


class ConnectionListener(SessionListener, Protocol):
    """What the factory reports besides sessions: attempts and failures to connect."""

    def connecting(self) -> None: ...

    def connection_failed(self, error: str) -> None: ...


class VoyagerClientFactory(ReconnectingClientFactory):
    """
    Connect, and after any loss connect again with jittered exponential backoff.

    The first retry waits C{initialDelay} (Twisted 26 and later; older
    releases waited C{initialDelay * factor}, twisted/twisted#12478, hence the
    version floor in setup.cfg). The delay is reset only once a session is
    ready, so a refused login never turns into a hot loop.
    """

    factor = 2.0
    noisy = False

    def __init__(self, clock: IReactorTime, settings: VoyagerSettings, listener: ConnectionListener) -> None:
        # ReconnectingClientFactory only calls clock.callLater, and takes seconds as floats,
        # although Twisted annotates a whole reactor and an int.
        self.clock = clock  # type: ignore[assignment]
        self.initialDelay = self.delay = settings.reconnect_initial_delay
        self.maxDelay = settings.reconnect_max_delay  # type: ignore[assignment]
        self._clock = clock
        self._settings = settings
        self._listener = listener

    def buildProtocol(self, addr: IAddress | None) -> VoyagerLineProtocol:
        session = VoyagerSession(self._clock, self._settings, self._listener)
        protocol = VoyagerLineProtocol(session, self._settings.max_line_bytes)
        protocol.factory = self
        return protocol

    def startedConnecting(self, connector: IConnector) -> None:
        self._listener.connecting()

    def clientConnectionFailed(self, connector: IConnector, reason: Failure) -> None:
        self._listener.connection_failed(reason.getErrorMessage())
        super().clientConnectionFailed(connector, reason)
