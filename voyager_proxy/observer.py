"""Something that happens once, waited on by many (pure, but for Deferreds)."""

from __future__ import annotations

from typing import Generic, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

T = TypeVar("T")


class SingleObserver(Generic[T]):
    """
    The shape of txtorcon's C{SingleObserver}: each L{when_fired} returns a
    Deferred of its own, so a caller cancelling it (an HTTP client leaving)
    touches no other caller and not the source. Once fired, it answers at once.
    """

    def __init__(self) -> None:
        self._waiters: list[Deferred[T]] | None = []
        self._result: T | Failure | None = None

    @property
    def fired(self) -> bool:
        return self._waiters is None

    def when_fired(self) -> Deferred[T]:
        """A new Deferred firing with the result (or failing with the failure)."""
        waiters = self._waiters
        if waiters is None:
            done: Deferred[T] = Deferred()
            self._deliver(done)
            return done
        waiter: Deferred[T] = Deferred(canceller=self._cancelled)
        waiters.append(waiter)
        return waiter

    def fire(self, result: T | Failure) -> None:
        """Give every waiter, now and later, C{result}; only the first call counts."""
        waiters = self._waiters
        if waiters is None:
            return
        self._waiters, self._result = None, result
        for waiter in waiters:
            if not waiter.called:  # else cancelled by an earlier waiter's callback
                self._deliver(waiter)

    def _cancelled(self, waiter: Deferred[T]) -> None:
        # The Deferred fails with CancelledError itself; we only let go of it.
        if self._waiters is not None:
            self._waiters.remove(waiter)

    def _deliver(self, waiter: Deferred[T]) -> None:
        result = self._result
        if isinstance(result, Failure):
            waiter.errback(result)
        else:
            waiter.callback(result)  # type: ignore[arg-type]
