"""The fires-once helper: a Deferred of its own for every caller."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from voyager_proxy.observer import SingleObserver


def _outcome(deferred: Deferred[Any]) -> list[Any]:
    got: list[Any] = []
    deferred.addBoth(got.append)
    return got


def test_each_caller_gets_a_fresh_deferred() -> None:
    """Two callers get two Deferreds, both fired with the one result."""
    observer: SingleObserver[int] = SingleObserver()
    first, second = observer.when_fired(), observer.when_fired()
    assert first is not second
    got = _outcome(first), _outcome(second)
    assert got == ([], [])
    observer.fire(7)
    assert got == ([7], [7]) and observer.fired


def test_fires_at_once_when_already_fired() -> None:
    """A caller arriving after the fire gets a Deferred that has the result already."""
    observer: SingleObserver[str] = SingleObserver()
    observer.fire("done")
    later = observer.when_fired()
    assert later.called and _outcome(later) == ["done"]
    assert observer.when_fired() is not later


def test_failure_reaches_every_caller_now_and_later() -> None:
    """A fired Failure fails every caller's Deferred, early or late."""
    observer: SingleObserver[int] = SingleObserver()
    early = _outcome(observer.when_fired())
    observer.fire(Failure(ValueError("refused")))
    late = _outcome(observer.when_fired())
    for got in (early, late):
        assert isinstance(got[0], Failure) and got[0].check(ValueError)


def test_cancelling_one_caller_leaves_the_others_and_the_source() -> None:
    """Cancelling one caller's Deferred fails only that one; the others and the observer still fire."""
    observer: SingleObserver[int] = SingleObserver()
    leaving, staying = observer.when_fired(), observer.when_fired()
    left, stayed = _outcome(leaving), _outcome(staying)
    leaving.cancel()
    assert left[0].check(CancelledError) and stayed == [] and not observer.fired
    observer.fire(3)
    assert stayed == [3] and len(left) == 1
    assert _outcome(observer.when_fired()) == [3]


def test_cancelling_a_caller_while_the_fire_is_delivered() -> None:
    """A caller cancelled by another caller's callback mid-fire is skipped without error."""
    observer: SingleObserver[int] = SingleObserver()
    first, second, third = observer.when_fired(), observer.when_fired(), observer.when_fired()
    first.addCallback(lambda _: second.cancel())
    got = _outcome(second), _outcome(third)
    observer.fire(1)
    assert got[0][0].check(CancelledError) and got[1] == [1]


def test_only_the_first_fire_counts() -> None:
    """A second fire is ignored: callers keep seeing the first result."""
    observer: SingleObserver[int] = SingleObserver()
    observer.fire(1)
    observer.fire(2)
    assert _outcome(observer.when_fired()) == [1]


@pytest.mark.parametrize("value", [None, 0, ""])
def test_falsy_results_count_as_fired(value: Any) -> None:
    """None, 0 and "" are results like any other."""
    observer: SingleObserver[Any] = SingleObserver()
    observer.fire(value)
    assert observer.fired and _outcome(observer.when_fired()) == [value]
