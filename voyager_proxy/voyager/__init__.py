"""The Voyager link: everything other layers may use from this package.

The names load on first use: importing a pure module (C{wire}, C{codes},
C{events}, ...) brings in neither the link nor Twisted's networking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .bus import EventBus, Subscription
    from .errors import ActionFailed, CommandRejected, CommandTimeout, ConnectionLost, NotReady, VoyagerError
    from .events import VoyagerEvent
    from .link import VoyagerLink
    from .pending import Command, CommandState
    from .state import StateCache
    from .status import ConnectionStatus, LinkState, SessionRef

_EXPORTS = {
    "EventBus": "bus",
    "Subscription": "bus",
    "ActionFailed": "errors",
    "CommandRejected": "errors",
    "CommandTimeout": "errors",
    "ConnectionLost": "errors",
    "NotReady": "errors",
    "VoyagerError": "errors",
    "VoyagerEvent": "events",
    "VoyagerLink": "link",
    "Command": "pending",
    "CommandState": "pending",
    "StateCache": "state",
    "ConnectionStatus": "status",
    "LinkState": "status",
    "SessionRef": "status",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
