"""Suite-wide checks: no test may leave timers behind on a clock it made."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from twisted.internet.task import Clock


@pytest.fixture(autouse=True)
def no_delayed_calls_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """
    Fail a test that leaves DelayedCalls on a Clock (MemoryReactorClock
    included) it created: a timer still pending is a service not stopped or
    a deadline never reached. The global reactor is not watched.
    """
    clocks: list[Clock] = []
    original = Clock.__init__

    def recording_init(self: Clock, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        clocks.append(self)

    monkeypatch.setattr(Clock, "__init__", recording_init)
    yield
    monkeypatch.undo()
    left = [(clock, call) for clock in clocks for call in clock.getDelayedCalls()]
    assert not left, "DelayedCalls left on a test's clock:\n" + "\n".join(
        f"  {type(clock).__name__}@{id(clock):x}: {call}" for clock, call in left
    )
