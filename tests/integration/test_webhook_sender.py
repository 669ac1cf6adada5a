"""One webhook attempt over real loopback HTTP (treq): redirects not followed, Retry-After, error text, time limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest_twisted  # type: ignore[import-untyped]  # pytest-twisted ships no py.typed or stubs
from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.defer import maybeDeferred
from twisted.internet.interfaces import IListeningPort
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from voyager_proxy.webhooks.sender import EXCERPT_BYTES, HttpSender


class Endpoint(Resource):
    """Answers by path: /ok 204, /moved 302 to /ok, /busy 503 + Retry-After, /long 400 with a long body, /slow never."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[bytes, bytes]] = []

    def render_POST(self, request: Request) -> bytes | int:
        assert request.path is not None and request.content is not None
        self.seen.append((request.path, request.content.read()))
        if request.path == b"/moved":
            request.redirect(b"/ok")
            return b""
        if request.path == b"/busy":
            request.setResponseCode(503)
            request.setHeader("Retry-After", "120")
            return b"down for maintenance"
        if request.path == b"/long":
            request.setResponseCode(400)
            return b"x" * 100_000
        if request.path == b"/slow":
            return NOT_DONE_YET
        request.setResponseCode(204)
        return b""


@attrs.define
class Running:
    endpoint: Endpoint
    port: IListeningPort
    sender: HttpSender

    def url(self, path: str) -> str:
        address = self.port.getHost()
        assert isinstance(address, IPv4Address)
        return f"http://127.0.0.1:{address.port}{path}"


def listen(endpoint: Endpoint) -> IListeningPort:
    """Serve C{endpoint} on a free loopback port."""
    site: Any = Site(endpoint)  # a ServerFactory, which Twisted's stubs do not say of Site
    return reactor.listenTCP(0, site, interface="127.0.0.1")


@pytest_twisted.async_yield_fixture
async def running() -> AsyncIterator[Running]:
    endpoint = Endpoint()
    port = listen(endpoint)
    sender = HttpSender(reactor, timeout=1.0, concurrency=4)
    running = Running(endpoint, port, sender)
    yield running
    await sender.close()
    await maybeDeferred(running.port.stopListening)


@pytest_twisted.ensureDeferred
async def test_answers_over_real_http(running: Running) -> None:
    """2xx, a redirect left unfollowed, 503 with Retry-After, a long error body cut to its excerpt."""
    send = running.sender.send
    ok = await send(running.url("/ok"), {"webhook-id": "msg_1"}, b'{"a":1}')
    assert (ok.status, ok.error) == (204, None)
    moved = await send(running.url("/moved"), {"webhook-id": "msg_2"}, b"{}")
    assert moved.status == 302
    busy = await send(running.url("/busy"), {"webhook-id": "msg_3"}, b"{}")
    assert (busy.status, busy.retry_after, busy.error) == (503, "120", "down for maintenance")
    long = await send(running.url("/long"), {"webhook-id": "msg_4"}, b"{}")
    assert long.status == 400 and long.error is not None and len(long.error) == EXCERPT_BYTES
    assert [path for path, _ in running.endpoint.seen] == [b"/ok", b"/moved", b"/busy", b"/long"]  # /ok once
    assert running.endpoint.seen[0][1] == b'{"a":1}'


@pytest_twisted.ensureDeferred
async def test_no_answer_within_the_time_limit_is_a_timeout(running: Running) -> None:
    """An endpoint that never answers gives, after webhooks.timeout, an answer without status."""
    started = reactor.seconds()
    answer = await running.sender.send(running.url("/slow"), {"webhook-id": "msg_5"}, b"{}")
    assert (answer.status, answer.error) == (None, "no answer within 1 s")
    assert 0.9 <= reactor.seconds() - started < 5


@pytest_twisted.ensureDeferred
async def test_refused_connection_is_an_answer_without_status(running: Running) -> None:
    """Nothing listening: no status, and the error says why."""
    address = running.port.getHost()
    assert isinstance(address, IPv4Address)
    await maybeDeferred(running.port.stopListening)
    answer = await running.sender.send(f"http://127.0.0.1:{address.port}/ok", {}, b"{}")
    assert answer.status is None and answer.error is not None and "refused" in answer.error.lower()
    running.port = listen(running.endpoint)  # for the teardown
