"""A small publish/subscribe hub; one failing listener never stops the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from twisted.logger import Logger

T = TypeVar("T")


class Subscription:
    """Handle returned by L{EventBus.subscribe}; C{cancel()} stops delivery."""

    def __init__(self, bus: EventBus[T], listener: Callable[[T], object]) -> None:
        self._bus = bus
        self._listener = listener

    def cancel(self) -> None:
        self._bus._remove(self._listener)


class EventBus(Generic[T]):
    """Deliver each published item to every listener, in subscription order."""

    _log = Logger()

    def __init__(self) -> None:
        self._listeners: list[Callable[[T], object]] = []

    def subscribe(self, listener: Callable[[T], object]) -> Subscription:
        self._listeners.append(listener)
        return Subscription(self, listener)

    def publish(self, item: T) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(item)
            except Exception:
                self._log.failure("listener {listener!r} failed", listener=listener)

    def _remove(self, listener: Callable[[T], object]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
