"""
The outbox: pending messages held in memory (at most webhooks.max_pending),
every change written in order to the SQLite file by one thread off the
reactor, changes that arrive while it writes committed together.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from .catalogue import BY_NAME
from .store import Message, Status, Store

T = TypeVar("T")


class WriterThread:
    """One thread, off the reactor, that runs the store's calls in the order given."""

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="webhook-outbox")

    def start(self) -> None:
        self._pool.start()

    def stop(self) -> None:
        """Stop once the calls already given have run."""
        self._pool.stop()

    def __call__(self, function: Callable[..., T], *args: Any) -> Deferred[T]:
        return deferToThreadPool(self._reactor, self._pool, function, *args)


class InlineWriter:
    """Runs the store's calls at once, in the caller's thread (for tools and tests on a memory clock)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def __call__(self, function: Callable[..., T], *args: Any) -> Deferred[T]:
        return maybeDeferred(function, *args)


Writer = WriterThread | InlineWriter


def tier(message: Message) -> int:
    """0 for image.ready and fit.ready (dropped first), 1 for other events, 2 for connection and command events."""
    kind = BY_NAME.get(message.type)
    if kind is None or kind.droppable:
        return 0
    return 2 if kind.protected else 1


class Outbox:
    """Pending messages by tier, oldest first; C{on_drop} hears of each message dropped to make room."""

    _log = Logger()

    def __init__(self, store: Store, run: Writer, max_pending: int, on_drop: Callable[[Message], object]) -> None:
        self._store = store
        self._run = run
        self._max_pending = max_pending
        self._on_drop = on_drop
        self._tiers: tuple[OrderedDict[str, Message], ...] = (OrderedDict(), OrderedDict(), OrderedDict())
        self._queue: list[tuple[Message, Deferred[None]]] = []
        self._writing: Deferred[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        return sum(len(messages) for messages in self._tiers)

    def pending(self, message_id: str) -> Message | None:
        """The pending message with this id, if it is pending."""
        for messages in self._tiers:
            if message_id in messages:
                return messages[message_id]
        return None

    def load(self) -> Deferred[list[Message]]:
        """Read the file's pending messages (after a restart), oldest first, and hold them."""

        def loaded(messages: list[Message]) -> list[Message]:
            for message in messages:
                self._tiers[tier(message)][message.id] = message
            return messages

        return self._run(self._store.pending).addCallback(loaded)

    def add(self, message: Message) -> Deferred[None]:
        """Hold a pending message, making room if full; fires once it is committed."""
        if len(self) >= self._max_pending:
            victim = self._victim(message)
            dropped = self._drop(victim)
            if victim is message:
                return dropped
        self._tiers[tier(message)][message.id] = message

        def not_committed(failure: Failure) -> Failure:
            self._tiers[tier(message)].pop(message.id, None)
            return failure

        return self._write(message).addErrback(not_committed)

    def update(self, message: Message) -> None:
        """Write the message's new state (a failed write is logged); one no longer pending is let go of."""
        if message.status is not Status.PENDING:
            self._tiers[tier(message)].pop(message.id, None)
        self._write(message).addErrback(lambda _: None)

    def call(self, query: Callable[..., T], *args: Any) -> Deferred[T]:
        """Run one of the store's methods in the writer thread (after the writes already sent)."""
        return self._run(query, *args)

    @property
    def store(self) -> Store:
        return self._store

    def open(self) -> None:
        self._run.start()

    def close(self) -> Deferred[None]:
        """Commit what is queued, close the file, stop the thread."""

        def closed(_: object) -> None:
            self._run.stop()

        flushed = self.flushed()
        self._closed = True  # an attempt answered after this stays in the file as it was: tried again later
        return flushed.addBoth(lambda _: self._run(self._store.close)).addBoth(closed)

    def flushed(self) -> Deferred[None]:
        """Fires once every change made so far is committed."""
        if not self._queue and self._writing is None:
            done: Deferred[None] = Deferred()
            done.callback(None)
            return done
        waiter: Deferred[None] = Deferred()
        self._queue.append((_MARK, waiter))
        self._flush()
        return waiter

    def _victim(self, incoming: Message) -> Message:
        """Oldest image first, then the oldest ordinary event, then the newcomer unless protected, then the oldest."""
        images, ordinary, protected = self._tiers
        if images:
            return next(iter(images.values()))
        if ordinary:
            return next(iter(ordinary.values()))
        if tier(incoming) < 2:
            return incoming
        return next(iter(protected.values()))

    def _drop(self, message: Message) -> Deferred[None]:
        self._tiers[tier(message)].pop(message.id, None)
        message.status = Status.DROPPED
        message.next_attempt_at = None
        level = self._log.error if tier(message) == 2 else self._log.warn
        level(
            "webhook {id} ({type}) dropped: webhooks.max_pending ({max}) reached",
            id=message.id,
            type=message.type,
            max=self._max_pending,
        )
        self._on_drop(message)
        return self._write(message)

    def _write(self, message: Message) -> Deferred[None]:
        waiter: Deferred[None] = Deferred()
        if self._closed:
            waiter.callback(None)
            return waiter
        self._queue.append((attrs.evolve(message), waiter))  # a copy: the reactor goes on changing the original
        self._flush()
        return waiter

    def _flush(self) -> None:
        if self._writing is not None or not self._queue:
            return
        batch, self._queue = self._queue, []
        rows = [message for message, _ in batch if message is not _MARK]
        self._writing = self._run(self._store.write, rows)

        def written(result: object) -> None:
            self._writing = None
            if isinstance(result, Failure):
                self._log.failure("webhook outbox write failed", result)  # once for the whole batch
            for _, waiter in batch:
                if isinstance(result, Failure):
                    waiter.errback(result)
                else:
                    waiter.callback(None)
            self._flush()

        self._writing.addBoth(written)


_MARK = Message("", "", b"", 0.0)  # a place in the write queue, for L{Outbox.flushed}
