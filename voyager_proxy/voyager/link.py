"""The Voyager link: the one service every other layer talks to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IConnector, IReactorTime
from twisted.internet.protocol import ClientFactory
from twisted.logger import Logger

from .bus import EventBus
from .connection import Signer, VoyagerSession
from .errors import NotReady
from .events import VoyagerEvent
from .factory import VoyagerClientFactory
from .pending import Command
from .state import StateCache
from .status import ConnectionStatus, LinkState, SessionRef

if TYPE_CHECKING:
    from ..config import VoyagerSettings

Connect = Callable[[ClientFactory], IConnector]
SessionSetup = Callable[[SessionRef], None]


class VoyagerLink(Service):
    """
    Holds one self-healing session with Voyager.

    C{events} carries every Voyager event, C{status_changes} every change of
    L{ConnectionStatus}, C{cache} keeps the latest of both. Commands go
    through L{submit} or L{send} and fail at once while the session is not
    ready: telescope motion is never queued for later.
    """

    _log = Logger()

    def __init__(self, clock: IReactorTime, settings: VoyagerSettings, connect: Connect) -> None:
        self._clock = clock
        self._settings = settings
        self._connect = connect
        self._factory: VoyagerClientFactory | None = None
        self._session: VoyagerSession | None = None
        self._session_number = 0  # of the current (or last) session
        self.events: EventBus[VoyagerEvent] = EventBus()
        self.status_changes: EventBus[ConnectionStatus] = EventBus()
        self.status = ConnectionStatus(LinkState.STOPPED, since=clock.seconds())
        self.cache = StateCache(self.events, self.status_changes, self.status)
        self._setup_steps: list[SessionSetup] = []

    @property
    def session(self) -> VoyagerSession | None:
        """The ready session, if any; other layers use L{ready_session}."""
        session = self._session
        return session if session is not None and session.state is LinkState.READY else None

    @property
    def ready_session(self) -> SessionRef | None:
        """Which session is ready, if any: its number and key (the key signs RoboTarget calls)."""
        session = self.session
        return None if session is None else self._ref(session)

    def add_session_setup(self, step: SessionSetup) -> None:
        """
        Call C{step} with each new session right after authentication, before
        dashboard and log mode: the commands it sends (through L{submit}
        with C{session}) are the first ones Voyager gets. The handshake does
        not wait for them.
        """
        self._setup_steps.append(step)

    def submit(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        sign: Signer | None = None,
        private: bool = False,
        session: SessionRef | None = None,
    ) -> Command:
        """
        Send a command now and return it for tracking; raise L{NotReady} if we
        can't. See L{VoyagerSession.send_command} for C{sign} and C{private}.
        With C{session} the command goes to that session while it is the
        current one, ready or still configuring (as a setup step's commands
        do); without it, to the ready session.
        """
        if session is None:
            target = self.session
        else:
            target = self._session if session.number == self._session_number else None
        if target is None:
            raise NotReady(self.status.state.value, self.status.last_error)
        return target.send_command(method, params or {}, timeout, sign, private)

    def send(self, method: str, params: Mapping[str, Any] | None = None, timeout: float | None = None) -> Deferred[Any]:
        """Send a command; the Deferred fires with its final result or a typed failure."""
        try:
            command = self.submit(method, params, timeout)
        except NotReady:
            return fail()
        return command.finished()

    def startService(self) -> None:
        super().startService()
        self._factory = VoyagerClientFactory(self._clock, self._settings, self)
        self._connect(self._factory)

    def stopService(self) -> Deferred[None]:
        super().stopService()
        if self._factory is not None:
            self._factory.stopTrying()
        session, self._session = self._session, None
        self._update(state=LinkState.STOPPED)
        return session.close() if session is not None else succeed(None)

    # ConnectionListener, called by the factory and sessions.

    def connecting(self) -> None:
        status = self.status
        self._update(
            state=LinkState.CONNECTING,
            attempts=status.attempts + 1,
            reconnects=status.reconnects + (status.state is not LinkState.STOPPED),
        )

    def connection_failed(self, error: str) -> None:
        self._log.warn("cannot connect to Voyager: {error}", error=error)
        self._update(state=LinkState.DISCONNECTED, last_error=error)

    def session_state_changed(self, session: VoyagerSession, state: LinkState, error: str | None) -> None:
        if not self.running:
            return
        if state is LinkState.AWAITING_VERSION:
            self._session = session
            self._session_number += 1
            self._update(state=state, authenticated=False)
        elif state is LinkState.READY:
            assert self._factory is not None
            self._factory.resetDelay()
            self._log.info("Voyager session ready ({version})", version=session.version)
            self._update(
                state=state,
                attempts=0,
                last_error=None,
                version=session.version,
                authenticated=session.authenticated,
            )
        elif state in (LinkState.DISCONNECTED, LinkState.AUTH_FAILED):
            if self._session is session:
                self._session = None
            self._update(state=state, last_error=error, authenticated=False)
        else:
            self._update(state=state, authenticated=session.authenticated)

    def session_configuring(self, session: VoyagerSession) -> None:
        ref = self._ref(session)
        for step in self._setup_steps:
            try:
                step(ref)
            except Exception:
                self._log.failure("session setup step {step!r} failed", step=step)

    def session_event(self, event: VoyagerEvent) -> None:
        self.events.publish(event)

    def session_line_rejected(self, kind: str) -> None:
        self.cache.line_rejected(kind)

    def _ref(self, session: VoyagerSession) -> SessionRef:
        assert session is self._session and session.session_key is not None
        return SessionRef(self._session_number, session.session_key)

    def _update(self, **changes: Any) -> None:
        status = self.status
        if changes.get("state", status.state) is not status.state:
            changes["since"] = self._clock.seconds()
        self.status = attrs.evolve(status, **changes)
        self.status_changes.publish(self.status)
