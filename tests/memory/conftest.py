"""The memory tier: simulator, link and API on one MemoryReactorClock (tests/support/observatory.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from prometheus_client import exposition
from twisted.web.wsgi import WSGIResource

from tests.support.observatory import Observatory


@pytest.fixture
def observatory() -> Iterator[Observatory]:
    """A simulator and a ready link, stopped afterwards with no timer left."""
    running = Observatory()
    running.ready()
    yield running
    running.stop()


class _InThisThread:
    """A thread pool and reactor-threads pair that run everything at once, in the caller's thread."""

    def callInThread(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        function(*args, **kwargs)

    def callFromThread(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        function(*args, **kwargs)


@pytest.fixture(autouse=True)
def metrics_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    /metrics is prometheus_client's WSGI app, which runs in the global
    reactor's thread pool; here it runs synchronously so that StubTreq gets
    its answer without a running reactor. The text is the same.
    """
    now = _InThisThread()
    monkeypatch.setattr(
        "voyager_proxy.rest.api.MetricsResource",
        lambda registry: WSGIResource(now, now, exposition.make_wsgi_app(registry)),
    )
