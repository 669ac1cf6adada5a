"""The link's visible connection state (pure)."""

from __future__ import annotations

import enum
from typing import Any

import attrs


class LinkState(enum.Enum):
    """Where the Voyager session stands."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    AWAITING_VERSION = "awaiting_version"
    AUTHENTICATING = "authenticating"
    CONFIGURING = "configuring"
    READY = "ready"
    DISCONNECTED = "disconnected"
    AUTH_FAILED = "auth_failed"


@attrs.frozen
class ConnectionStatus:
    """A snapshot of the link: state, since when, attempts since the last ready session."""

    state: LinkState
    since: float
    attempts: int = 0
    last_error: str | None = None
    version: dict[str, Any] | None = None
    authenticated: bool = False
    reconnects: int = 0

    @property
    def connected(self) -> bool:
        return self.state in (
            LinkState.AWAITING_VERSION,
            LinkState.AUTHENTICATING,
            LinkState.CONFIGURING,
            LinkState.READY,
        )

    @property
    def ready(self) -> bool:
        return self.state is LinkState.READY

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, the one every consumer shows."""
        return {
            "state": self.state.value,
            "since": self.since,
            "attempts": self.attempts,
            "lastError": self.last_error,
            "version": self.version,
            "isConnected": self.connected,
            "isAuthenticated": self.authenticated,
            "isReady": self.ready,
            "reconnects": self.reconnects,
        }


@attrs.frozen
class SessionRef:
    """
    One Voyager session as other layers see it: its number (sessions are
    counted from 1 since start) and its key from the Version event.
    """

    number: int
    key: str
