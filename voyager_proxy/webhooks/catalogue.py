"""
Every webhook event type, declared once (pure): what it means, whether it may
be dropped under pressure, the schema of its C{data} and an example. The
OpenAPI C{webhooks} section and the event filter are built from this table.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class EventType:
    """One event type: C{droppable} ones go first when webhooks.max_pending is reached."""

    name: str
    summary: str
    data: Mapping[str, Any]  # JSON schema of the payload's data member
    example: Mapping[str, Any]
    droppable: bool = False
    protected: bool = False  # connection and command events: dropped only when nothing else is pending


def _object(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


_TEXT = {"type": ["string", "null"]}
_NUMBER = {"type": ["number", "null"]}
_ENTRY = {"$ref": "#/components/schemas/LedgerEntry"}
_CONNECTION = _object(
    ("connection",), connection={"type": "object", "description": "As GET /api/status/connection answers it"}
)
_CONNECTION_EXAMPLE = {
    "connection": {
        "state": "disconnected",
        "since": 1764590400.0,
        "attempts": 1,
        "lastError": "Connection was closed cleanly.",
        "version": None,
        "isConnected": False,
        "isAuthenticated": False,
        "isReady": False,
        "reconnects": 3,
    }
}
_COMMAND_EXAMPLE = {
    "command": {
        "uid": "4b0e3f0c-3a55-4a4f-9d0e-6f8d2b1c9a10",
        "method": "RemoteCameraShot",
        "params": {"Expo": 30},
        "sender": "laravel",
        "state": "ok",
        "sentAt": 1764590400.0,
        "result": {"ParamRet": {"DownloadAndSaveTime": 1.5}},
        "error": None,
    }
}

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "image.ready",
        "The image store kept a new preview: links to it and its thumbnail, never the image itself",
        _object(
            ("id", "url"),
            id={"type": "string"},
            url={"type": "string", "description": "GET /api/images/{id}.jpg on this proxy (with a key)"},
            thumbUrl=_TEXT,
            width=_NUMBER,
            height=_NUMBER,
            bytes=_NUMBER,
            time=_NUMBER,
            target=_TEXT,
            filter=_TEXT,
            exposure=_NUMBER,
            hfd=_NUMBER,
            starIndex=_NUMBER,
        ),
        {
            "id": "9f2c4e1a0b3d5e7f",
            "url": "/api/images/9f2c4e1a0b3d5e7f.jpg",
            "thumbUrl": "/api/images/9f2c4e1a0b3d5e7f.jpg?w=320",
            "width": 2048,
            "height": 1024,
            "bytes": 81234,
            "time": 1764590400.5,
            "target": "M42",
            "filter": "L",
            "exposure": 30,
            "hfd": 2.7,
            "starIndex": 6.1,
        },
        droppable=True,
    ),
    EventType(
        "fit.ready",
        "Voyager saved a FIT file (NewFITReady)",
        _object(
            ("path",),
            path=_TEXT,
            fileName=_TEXT,
            type=_NUMBER,
            typeName=_TEXT,
            voyType={**_TEXT, "description": "TEST, SHOT (sequence) or SYNC (plate solve)"},
            target=_TEXT,
        ),
        {
            "path": "C:\\Voyager\\FIT\\M42_L_0001.fit",
            "fileName": "M42_L_0001.fit",
            "type": 0,
            "typeName": "LIGHT",
            "voyType": "SHOT",
            "target": "M42",
        },
        droppable=True,
    ),
    EventType(
        "shot.completed",
        "A shot sent through the API (RemoteCameraShot) ended: its command ledger entry",
        _object(("command",), command=_ENTRY),
        _COMMAND_EXAMPLE,
        protected=True,
    ),
    EventType(
        "command.completed",
        "A command sent through the REST API or the WebSocket ended (done, failed or timed out): its ledger entry",
        _object(("command",), command=_ENTRY),
        {"command": {**_COMMAND_EXAMPLE["command"], "method": "RemoteMountFastCommand", "params": {"CommandType": 3}}},
        protected=True,
    ),
    EventType(
        "connection.lost",
        "The ready Voyager session ended; the proxy reconnects by itself",
        _CONNECTION,
        _CONNECTION_EXAMPLE,
        protected=True,
    ),
    EventType(
        "connection.restored",
        "A Voyager session is ready (the first one after start, or again after a loss)",
        _CONNECTION,
        {"connection": {**_CONNECTION_EXAMPLE["connection"], "state": "ready", "isReady": True, "lastError": None}},
        protected=True,
    ),
    EventType(
        "connection.auth_failed",
        "Voyager refused the proxy's credentials (voyager.username, voyager.password)",
        _CONNECTION,
        {"connection": {**_CONNECTION_EXAMPLE["connection"], "state": "auth_failed", "lastError": "bad login"}},
        protected=True,
    ),
    EventType(
        "robotarget.status",
        "RoboTarget manager mode changed state, or Voyager's scheduler started a target",
        _object(
            ("robotarget", "runningTarget"),
            robotarget={"$ref": "#/components/schemas/RoboTargetStatus"},
            runningTarget={
                "oneOf": [
                    {"type": "null"},
                    _object(("guid", "name"), guid={"type": "string"}, name={"type": "string"}, tag=_TEXT),
                ]
            },
        ),
        {
            "robotarget": {"state": "ready", "since": 1764590400.0, "reason": None, "versionDB": 5, "retryAt": None},
            "runningTarget": {"guid": "8b271e8b-76c6-4b6c-a4eb-dc7a810d052d", "name": "M42", "tag": "booking_456"},
        },
    ),
    EventType(
        "robotarget.shot.done",
        "Voyager's scheduler saved a shot of the RoboTarget target it runs",
        _object(
            ("targetGuid", "targetName", "path"),
            targetGuid={"type": "string"},
            targetName={"type": "string"},
            tag=_TEXT,
            path={"type": "string"},
            fileName=_TEXT,
            type=_NUMBER,
            typeName=_TEXT,
        ),
        {
            "targetGuid": "8b271e8b-76c6-4b6c-a4eb-dc7a810d052d",
            "targetName": "M42",
            "tag": "booking_456",
            "path": "C:\\Voyager\\RoboTarget\\M42\\M42_L_0001.fit",
            "fileName": "M42_L_0001.fit",
            "type": 0,
            "typeName": "LIGHT",
        },
    ),
    EventType(
        "webhook.test",
        "Sent by POST /api/webhooks/test to check the endpoint and its secret",
        _object(("requestedBy",), requestedBy={"type": "string"}, note=_TEXT),
        {"requestedBy": "operator", "note": "hello from voyager-proxy"},
    ),
)

BY_NAME: Mapping[str, EventType] = {event.name: event for event in EVENT_TYPES}


def selected(patterns: tuple[str, ...]) -> frozenset[str]:
    """The event types matching any of C{patterns} (shell-style: C{*}, C{connection.*})."""
    return frozenset(name for name in BY_NAME if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns))


def patterns_problem(patterns: tuple[str, ...]) -> str | None:
    """Why C{patterns} select nothing or name an unknown type, or None."""
    for pattern in patterns:
        if not selected((pattern,)):
            return f"{pattern!r} matches no event type (known: {', '.join(BY_NAME)})"
    return None if patterns else "needs at least one pattern (* for every event type)"
