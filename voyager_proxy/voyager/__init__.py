"""The Voyager link: everything other layers may use from this package."""

from .bus import EventBus, Subscription
from .errors import (
    ActionFailed,
    CommandRejected,
    CommandTimeout,
    ConnectionLost,
    NotReady,
    VoyagerError,
)
from .events import VoyagerEvent
from .link import VoyagerLink
from .pending import Command, CommandState
from .state import Preview, StateCache
from .status import ConnectionStatus, LinkState, SessionRef

__all__ = [
    "ActionFailed",
    "Command",
    "CommandRejected",
    "CommandState",
    "CommandTimeout",
    "ConnectionLost",
    "ConnectionStatus",
    "EventBus",
    "LinkState",
    "NotReady",
    "Preview",
    "SessionRef",
    "StateCache",
    "Subscription",
    "VoyagerError",
    "VoyagerEvent",
    "VoyagerLink",
]
