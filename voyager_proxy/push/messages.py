"""What dashboards receive: topic names and message bodies (pure)."""

from __future__ import annotations

import json
from typing import Any

# Voyager event name -> topic; any other event is pushed under its own name
# with a lower-case first letter.
TOPICS = {
    "ControlData": "controlData",
    "Signal": "signal",
    "ShotRunning": "shotRunning",
    "NewFITReady": "newFITReady",
    "NewJPGReady": "newJPG",
    "RemoteActionResult": "remoteActionResult",
    "LogEvent": "logEvent",
    "Version": "version",
    "ShutDown": "shutDown",
}


def topic_for(event_name: str) -> str:
    """The topic a Voyager event is pushed under."""
    return TOPICS.get(event_name) or (event_name[:1].lower() + event_name[1:])


def encode(event: str, data: Any, seq: int | None = None) -> bytes:
    """One text frame: C{{"event", "seq", "data"}}."""
    message: dict[str, Any] = {"event": event, "data": data}
    if seq is not None:
        message["seq"] = seq
    return json.dumps(message, separators=(",", ":"), default=str).encode("utf-8")


def error(problem: str, message: str) -> bytes:
    """An C{error} event naming the problem."""
    return encode("error", {"code": problem, "message": message})
