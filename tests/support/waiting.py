"""Wait for things that happen over real sockets, with a deadline instead of sleeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from twisted.internet import reactor
from twisted.internet.defer import Deferred

from voyager_proxy.observer import SingleObserver
from voyager_proxy.voyager.events import VoyagerEvent
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.status import ConnectionStatus

T = TypeVar("T")

DEADLINE = 15.0


def _deadline(deferred: Deferred[Any], what: str, seconds: float) -> Deferred[Any]:
    def expired(result: Any, timeout: float) -> Any:
        raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")

    return deferred.addTimeout(seconds, reactor, onTimeoutCancel=expired)


def status_where(
    link: VoyagerLink, predicate: Callable[[ConnectionStatus], bool], seconds: float = DEADLINE
) -> Deferred[ConnectionStatus]:
    """Fires with the first link status (current included) that satisfies C{predicate}."""
    waiter: Deferred[ConnectionStatus] = Deferred()
    if predicate(link.status):
        waiter.callback(link.status)
        return waiter

    def check(status: ConnectionStatus) -> None:
        if predicate(status) and not waiter.called:
            subscription.cancel()
            waiter.callback(status)

    subscription = link.status_changes.subscribe(check)

    def unsubscribe(result: T) -> T:
        subscription.cancel()
        return result

    waiter.addBoth(unsubscribe)
    return _deadline(waiter, "a link status", seconds)


def ready(link: VoyagerLink, seconds: float = DEADLINE) -> Deferred[ConnectionStatus]:
    """Fires once the link is ready."""
    return status_where(link, lambda status: status.ready, seconds)


class EventRecorder:
    """Records every event the link publishes; can wait for the next one of a name."""

    def __init__(self, link: VoyagerLink) -> None:
        self.events: list[VoyagerEvent] = []
        self._next: dict[str, SingleObserver[VoyagerEvent]] = {}  # by event name
        self._subscription = link.events.subscribe(self._received)

    def names(self) -> list[str]:
        return [event.name for event in self.events]

    def next(self, name: str, seconds: float = DEADLINE) -> Deferred[VoyagerEvent]:
        waiter = self._next.setdefault(name, SingleObserver()).when_fired()
        return _deadline(waiter, f"a {name} event", seconds)

    def stop(self) -> None:
        self._subscription.cancel()

    def _received(self, event: VoyagerEvent) -> None:
        self.events.append(event)
        observer = self._next.pop(event.name, None)
        if observer is not None:
            observer.fire(event)
