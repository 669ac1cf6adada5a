"""What a paused client is owed: latest-wins telemetry, a bounded queue for the rest (pure)."""

from __future__ import annotations

from collections import OrderedDict
from enum import Enum
from typing import Generic, TypeVar

Frame = TypeVar("Frame")

# Superseded by their next message: a paused client only needs the latest one.
DROPPABLE = frozenset({"controlData", "shotRunning", "newJPG", "imageReady"})


class Hold(Enum):
    """What became of a frame given to L{Outbox.hold}."""

    KEPT = "kept"
    REPLACED = "replaced"  # it superseded an older frame of its topic
    FULL = "full"  # not kept: the queue is at its limit


class Outbox(Generic[Frame]):
    """
    Frames held while a client's socket is paused, in the order they are owed.

    A droppable topic keeps only its latest frame (moved to the back); every
    other frame is kept, up to C{limit}.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: OrderedDict[object, Frame] = OrderedDict()
        self._queued = 0

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, topic: str, frame: Frame) -> Hold:
        """Keep C{frame}, replacing an older one of a droppable topic."""
        if topic in DROPPABLE:
            replaced = self._held.pop(topic, None) is not None
            self._held[topic] = frame
            return Hold.REPLACED if replaced else Hold.KEPT
        if self._queued >= self.limit:
            return Hold.FULL
        self._queued += 1
        self._held[object()] = frame
        return Hold.KEPT

    def pop(self) -> Frame:
        """The oldest frame owed."""
        key, frame = self._held.popitem(last=False)
        if not isinstance(key, str):
            self._queued -= 1
        return frame

    def clear(self) -> None:
        self._held.clear()
        self._queued = 0
