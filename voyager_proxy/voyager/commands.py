"""How each Voyager method completes and how long to wait for it (pure)."""

from __future__ import annotations

import enum
from typing import Any, Mapping


class Completion(enum.Enum):
    """What ends a command."""

    RESULT = "result"  # the RemoteActionResult event with the command's UID
    ACK = "ack"  # the immediate JSON-RPC answer to its id
    EVENT = "event"  # a dedicated answer event (no UID, first come first served)


# Sheet §4: these end with their acknowledgement. Dashboard and log mode are
# [guess]: sources disagree whether a RemoteActionResult follows; one arriving
# later is simply ignored. RemoteActionAbort carries the UID of the action it
# stops, so the RemoteActionResult with that UID belongs to that action.
_ACK_ONLY = frozenset(
    {
        "disconnect",
        "AuthenticateUserBase",
        "RemoteSetDashboardMode",
        "RemoteSetLogEvent",
        "RemoteActionAbort",
    }
)

# Sheet §4: answered by an event instead of a RemoteActionResult.
ANSWER_EVENTS: Mapping[str, str] = {"GetArrayElementData": "ArrayElementData"}

# Sheet §4 time-outs [guess]: seconds added to the command's own duration.
SHOT_OVERHEAD = 120.0
SETUP_OVERHEAD = 30.0
ROBOTARGET_TIMEOUT = 30.0


def completion_for(method: str) -> Completion:
    """The event that finishes C{method}."""
    if method in _ACK_ONLY:
        return Completion.ACK
    if method in ANSWER_EVENTS:
        return Completion.EVENT
    return Completion.RESULT


def _number(params: Mapping[str, Any], name: str) -> float:
    value = params.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def default_timeout(method: str, params: Mapping[str, Any], fallback: float) -> float:
    """The time limit for a command when the caller gives none."""
    if method == "RemoteCameraShot":
        return _number(params, "Expo") + SHOT_OVERHEAD
    if method == "RemoteSetupConnect":
        return _number(params, "TimeoutConnect") + SETUP_OVERHEAD
    if method == "RemoteSetupDisconnect":
        return _number(params, "TimeoutDisconnect") + SETUP_OVERHEAD
    if method.startswith("RemoteRoboTarget"):
        return ROBOTARGET_TIMEOUT
    return fallback
