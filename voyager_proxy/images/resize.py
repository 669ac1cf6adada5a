"""
Downscaled copies of the kept previews, made off the reactor thread.

Pillow decodes a JPEG at 1/2, 1/4 or 1/8 of its size straight from its DCT
coefficients when asked for a draft, so a 640-wide copy of a 3000-wide
preview costs a fraction of a full decode. The work runs in a small pool of
threads of its own (Pillow releases the GIL while it decodes, resamples and
encodes); when every thread is busy and C{queue} more wait, L{Saturated} is
raised at once rather than letting requests pile up. Requests for the same
copy while it is being made share the one job.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TypeVar

from PIL import Image
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from .store import ImageStore, StoredImage

T = TypeVar("T")
QUALITY = 85


class Saturated(Exception):
    """Every resizing thread is busy and the queue is full."""


def downscale(jpeg: bytes, width: int) -> bytes:
    """C{jpeg} at C{width} pixels wide, its aspect ratio kept; the bytes themselves when it is no wider."""
    with Image.open(io.BytesIO(jpeg)) as image:
        if image.width <= width:
            return jpeg
        height = max(1, round(image.height * width / image.width))
        mode = image.mode if image.mode in ("L", "RGB") else "RGB"
        image.draft(mode, (width, height))  # decode at the smallest DCT scale still at least this big
        decoded = image.convert(mode)
        resized = decoded.resize((width, height), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    resized.save(output, "JPEG", quality=QUALITY)
    return output.getvalue()


class ResizePool:
    """A bounded thread pool: at most C{threads} jobs run and C{queue} wait; more raise L{Saturated}."""

    def __init__(self, reactor: IReactorFromThreads, threads: int, queue: int) -> None:
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=0, maxthreads=threads, name="voyager-proxy-resize")
        self.limit = threads + queue
        self.busy = 0

    def run(self, function: Callable[..., T], *args: object) -> Deferred[T]:
        """C{function(*args)} in a thread; L{Saturated} when the pool and its queue are full."""
        if self.busy >= self.limit:
            raise Saturated()
        if not self._pool.started:
            self._pool.start()
        self.busy += 1
        running: Deferred[T] = deferToThreadPool(self._reactor, self._pool, function, *args)
        running.addBoth(self._finished)
        return running

    def _finished(self, result: T) -> T:
        self.busy -= 1
        return result

    def stop(self) -> None:
        """Let the running jobs end and the threads go (at shutdown)."""
        if self._pool.started:
            self._pool.stop()


class Downscaler:
    """The copy of a kept image at a width: from the store's cache, else made once in the pool and cached."""

    def __init__(self, store: ImageStore, pool: ResizePool) -> None:
        self._store = store
        self._pool = pool
        self._making: dict[tuple[str, int], list[Deferred[bytes]]] = {}

    def copy(self, image: StoredImage, width: int) -> Deferred[bytes]:
        """C{image} at C{width}; raises L{Saturated} when a new job would not fit in the pool."""
        cached = image.variants.get(width)
        if cached is not None:
            return succeed(cached)
        key = (image.info.id, width)
        waiting = self._making.get(key)
        if waiting is None:
            running = self._pool.run(downscale, image.jpeg, width)
            waiting = self._making[key] = []
            running.addBoth(self._made, image, width)
        answer: Deferred[bytes] = Deferred()
        waiting.append(answer)
        return answer

    def _made(self, result: bytes | Failure, image: StoredImage, width: int) -> None:
        waiting = self._making.pop((image.info.id, width))
        if isinstance(result, bytes) and result is not image.jpeg:
            self._store.keep_variant(image.info.id, width, result)
        for answer in waiting:
            if isinstance(result, Failure):
                answer.errback(result)
            else:
                answer.callback(result)
