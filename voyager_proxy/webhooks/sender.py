"""One delivery attempt over HTTP, with treq on the reactor: no redirects followed, one time limit for it all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from treq.client import HTTPClient
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool, _HTTP11ClientFactory
from twisted.web.http_headers import Headers
from twisted.web.iweb import IResponse

EXCERPT_BYTES = 512  # of an answer's body, kept as the last error's text


@attrs.frozen
class Answer:
    """What came back: an HTTP status (None when nothing did), Retry-After, and an error text."""

    status: int | None
    retry_after: str | None = None
    error: str | None = None


class _Excerpt(Protocol):
    """Keeps the first bytes of a body and hangs up on the rest."""

    def __init__(self) -> None:
        self.done: Deferred[bytes] = Deferred(canceller=lambda _: self._hang_up())
        self._kept = b""

    def dataReceived(self, data: bytes) -> None:
        self._kept += data[: EXCERPT_BYTES - len(self._kept)]
        if len(self._kept) >= EXCERPT_BYTES:
            self._hang_up()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self.done.called:
            self.done.callback(self._kept)

    def _hang_up(self) -> None:
        if self.transport is not None:
            self.transport.stopProducing()  # type: ignore[attr-defined]  # the response body's transport


class _QuietFactory(_HTTP11ClientFactory):
    """Connection factory that does not log each connection it opens and closes."""

    noisy = False


class HttpSender:
    """POSTs a message; its Deferred always fires with an L{Answer}, never fails."""

    def __init__(self, reactor: Any, timeout: float, concurrency: int) -> None:
        self._reactor = reactor
        self._clock: IReactorTime = reactor
        self._timeout = timeout
        pool = HTTPConnectionPool(reactor, persistent=True)
        pool.maxPersistentPerHost = concurrency
        pool._factory = _QuietFactory  # receivers that close after each answer would log two lines per attempt
        self._pool = pool
        self._client = HTTPClient(Agent(reactor, connectTimeout=timeout, pool=pool))

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Deferred[Answer]:
        attempt = self._attempt(url, headers, body)
        attempt.addTimeout(self._timeout, self._clock, onTimeoutCancel=self._timed_out)
        return attempt.addErrback(self._no_answer)

    def close(self) -> Deferred[None]:
        """Let go of the kept-alive connections."""
        closed: Deferred[None] = self._pool.closeCachedConnections()
        return closed

    def _attempt(self, url: str, headers: Mapping[str, str], body: bytes) -> Deferred[Answer]:
        sent = self._client.post(
            url,
            data=body,
            headers=Headers({name: [value] for name, value in headers.items()}),
            allow_redirects=False,
            unbuffered=True,
            reactor=self._reactor,
        )
        return sent.addCallback(self._read)

    @staticmethod
    def _read(response: IResponse) -> Deferred[Answer]:
        excerpt = _Excerpt()
        response.deliverBody(excerpt)
        status = response.code
        values = response.headers.getRawHeaders("Retry-After")
        retry_after = values[-1] if values else None

        def answered(text: bytes) -> Answer:
            error = None if 200 <= status < 300 else text.decode("utf-8", "replace").strip()[:EXCERPT_BYTES] or None
            return Answer(status, retry_after, error)

        return excerpt.done.addCallback(answered)

    @staticmethod
    def _timed_out(result: object, timeout: float) -> Answer:
        """The attempt was cancelled at the time limit: whatever the cancelling raised, it timed out."""
        return Answer(None, error=f"no answer within {timeout:g} s")

    @staticmethod
    def _no_answer(failure: Failure) -> Answer:
        return Answer(None, error=failure.getErrorMessage() or repr(failure.value))
