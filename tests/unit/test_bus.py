"""The event bus."""

from __future__ import annotations

from voyager_proxy.voyager.bus import EventBus


def test_failing_listener_does_not_stop_the_others() -> None:
    """A listener that raises is logged; later listeners still get the item."""
    bus: EventBus[int] = EventBus()
    got: list[int] = []

    def broken(item: int) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(got.append)
    bus.publish(1)
    assert got == [1]


def test_cancel_stops_delivery() -> None:
    """After cancel() a listener receives nothing more."""
    bus: EventBus[int] = EventBus()
    got: list[int] = []
    subscription = bus.subscribe(got.append)
    bus.publish(1)
    subscription.cancel()
    bus.publish(2)
    assert got == [1]


def test_listener_may_unsubscribe_while_publishing() -> None:
    """Cancelling during delivery does not skip other listeners."""
    bus: EventBus[int] = EventBus()
    got: list[str] = []

    def first_listener(item: int) -> None:
        got.append("first")
        first.cancel()

    first = bus.subscribe(first_listener)
    bus.subscribe(lambda item: got.append("second"))
    bus.publish(1)
    bus.publish(2)
    assert got == ["first", "second", "second"]
