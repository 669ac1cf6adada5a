"""The cached picture of the observatory: every read is served from here."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from .bus import EventBus
from .events import VoyagerEvent
from .status import ConnectionStatus

MAX_SIGNALS = 20


class StateCache:
    """
    Keeps the latest of everything Voyager said, fed by the link's buses.

    C{generation} increases on every change to what C{snapshot()} holds,
    which is rebuilt only after one, so callers can use the generation as an
    ETag. Counters (events by type, rejected lines) change on every Polling,
    so they stay out of it: see L{counters}. A preview's metadata is kept,
    never its image: the image store (L{voyager_proxy.images}) keeps that.
    """

    def __init__(
        self,
        events: EventBus[VoyagerEvent],
        status_changes: EventBus[ConnectionStatus],
        initial_status: ConnectionStatus,
        max_signals: int = MAX_SIGNALS,
    ) -> None:
        self.generation = 0
        self._connection = initial_status
        self._version: dict[str, Any] | None = None
        self._control_data: dict[str, Any] | None = None
        self._signals: deque[dict[str, Any]] = deque(maxlen=max_signals)
        self._shot: dict[str, Any] | None = None
        self._last_image: dict[str, Any] | None = None
        self._preview: dict[str, Any] | None = None
        self._events_by_type: Counter[str] = Counter()
        self._rejected_lines: Counter[str] = Counter()
        self._snapshot: dict[str, Any] | None = None
        self._handlers: dict[str, Callable[[VoyagerEvent], None]] = {
            "Version": self._on_version,
            "ControlData": self._on_control_data,
            "Signal": self._on_signal,
            "ShotRunning": self._on_shot_running,
            "NewFITReady": self._on_new_fit,
            "NewJPGReady": self._on_new_jpg,
        }
        events.subscribe(self._on_event)
        status_changes.subscribe(self._on_status)

    @property
    def connection(self) -> ConnectionStatus:
        return self._connection

    def line_rejected(self, kind: str) -> None:
        """Count a line from Voyager that could not be used (C{malformed}, C{too_long})."""
        self._rejected_lines[kind] += 1

    def counters(self) -> dict[str, Any]:
        """Events received by type and lines rejected by kind; not part of the snapshot."""
        return {"eventsByType": dict(self._events_by_type), "rejectedLines": dict(self._rejected_lines)}

    def snapshot(self) -> dict[str, Any]:
        """Everything cached, JSON-ready."""
        if self._snapshot is None:
            self._snapshot = {
                "generation": self.generation,
                "connection": self._connection.as_dict(),
                "version": self._version,
                "controlData": self._control_data,
                "shot": self._shot,
                "lastImage": self._last_image,
                "preview": self._preview,
                "signals": list(self._signals),
            }
        return self._snapshot

    def _changed(self) -> None:
        self.generation += 1
        self._snapshot = None

    def _on_status(self, status: ConnectionStatus) -> None:
        self._connection = status
        self._changed()

    def _on_event(self, event: VoyagerEvent) -> None:
        self._events_by_type[event.name] += 1
        handler = self._handlers.get(event.name)
        if handler is not None:  # the others (Polling, LogEvent, results) change no snapshot field
            handler(event)
            self._changed()

    def _on_version(self, event: VoyagerEvent) -> None:
        self._version = dict(event.parsed or {})

    def _on_control_data(self, event: VoyagerEvent) -> None:
        self._control_data = {
            "fields": event.fields,
            "parsed": event.parsed,
            "receivedAt": event.received_at,
        }

    def _on_signal(self, event: VoyagerEvent) -> None:
        self._signals.append({**(event.parsed or {}), "receivedAt": event.received_at})

    def _on_shot_running(self, event: VoyagerEvent) -> None:
        self._shot = {**(event.parsed or {}), "receivedAt": event.received_at}

    def _on_new_fit(self, event: VoyagerEvent) -> None:
        self._last_image = {**(event.parsed or {}), "receivedAt": event.received_at}

    def _on_new_jpg(self, event: VoyagerEvent) -> None:
        if event.fields.get("Base64Data"):  # its metadata; the image itself is the image store's
            self._preview = {**(event.parsed or {}), "receivedAt": event.received_at}
