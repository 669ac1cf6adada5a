"""The last events, for GET /api/events/recent (images left out; other callers' results kept from narrowed keys)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..auth import ApiKey
from ..keys import may_see
from ..voyager import EventBus, VoyagerEvent

IMAGE_FIELDS = ("Base64Data", "BaseData")

Owner = Callable[[VoyagerEvent], "str | None"]  # whose command an event speaks of (CommandLedger.owner_of)


class RecentEvents:
    """A ring buffer of the latest events, without their inline images, each with the owner of its command."""

    def __init__(self, events: EventBus[VoyagerEvent], size: int, owner_of: Owner) -> None:
        # Described on arrival: a ring of multi-MB previews would hold gigabytes.
        self._events: deque[tuple[str | None, dict[str, Any]]] = deque(maxlen=size)
        events.subscribe(lambda event: self._events.append((owner_of(event), self._describe(event))))

    def latest(self, limit: int, name: str | None, key: ApiKey) -> list[dict[str, Any]]:
        """Newest first, optionally of one event name, of those C{key} may see."""
        chosen = []
        for owner, event in reversed(self._events):
            if (name is None or event["event"] == name) and may_see(key, owner):
                chosen.append(event)
                if len(chosen) == limit:
                    break
        return chosen

    @staticmethod
    def _describe(event: VoyagerEvent) -> dict[str, Any]:
        fields = {k: v for k, v in event.fields.items() if k not in IMAGE_FIELDS}
        return {"event": event.name, "data": {**fields, "parsed": event.parsed}, "receivedAt": event.received_at}
