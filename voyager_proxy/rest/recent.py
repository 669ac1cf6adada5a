"""The last events, for GET /api/events/recent (images left out)."""

from __future__ import annotations

from collections import deque
from typing import Any

from ..voyager import EventBus, VoyagerEvent

IMAGE_FIELDS = ("Base64Data", "BaseData")


class RecentEvents:
    """A ring buffer of the latest events, without their inline images."""

    def __init__(self, events: EventBus[VoyagerEvent], size: int) -> None:
        # Described on arrival: a ring of multi-MB previews would hold gigabytes.
        self._events: deque[dict[str, Any]] = deque(maxlen=size)
        events.subscribe(lambda event: self._events.append(self._describe(event)))

    def latest(self, limit: int, name: str | None = None) -> list[dict[str, Any]]:
        """Newest first, optionally of one event name."""
        chosen = []
        for event in reversed(self._events):
            if name is None or event["event"] == name:
                chosen.append(event)
                if len(chosen) == limit:
                    break
        return chosen

    @staticmethod
    def _describe(event: VoyagerEvent) -> dict[str, Any]:
        fields = {k: v for k, v in event.fields.items() if k not in IMAGE_FIELDS}
        return {"event": event.name, "data": {**fields, "parsed": event.parsed}, "receivedAt": event.received_at}
