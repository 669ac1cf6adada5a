"""
Application messages for booking rooms (pure): Laravel posts them over REST,
the WebSocket delivers them to the room's members. Both faces use this one
owner, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Deliver = Callable[[str, str, Mapping[str, Any]], int]  # (room, event, data) -> members reached


class Rooms:
    """Where a room message goes: to whoever L{serve}s them (the WebSocket factory), else nowhere."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    def serve(self, deliver: Deliver) -> None:
        """Deliver every room message posted from now on with C{deliver}."""
        self._deliver = deliver

    def post(self, room: str, event: str, data: Mapping[str, Any]) -> int:
        """Send C{event} with C{data} to the members of C{room}; how many got it."""
        return 0 if self._deliver is None else self._deliver(room, event, data)
