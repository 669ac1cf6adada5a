"""
The REST API over real HTTP (treq, loopback TCP), against the proxy connected
to the simulator: one smoke test. The API's behaviour is proven in memory, in
tests/memory/test_rest.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest_twisted  # type: ignore[import-untyped]  # pytest-twisted ships no py.typed or stubs
import treq
from twisted.internet import reactor
from twisted.internet.interfaces import IListeningPort
from twisted.web.server import Site

from tests.integration.conftest import RunningSimulator, make_link
from tests.support.keys import CONTROL, KEYS
from tests.support.loopback import listen_locally, stop_listening
from tests.support.waiting import ready
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings
from voyager_proxy.voyager import VoyagerLink
from voyager_proxy.web import build_front


@attrs.define
class Proxy:
    """A link, its HTTP API on a loopback port, and the simulator behind it."""

    simulator: RunningSimulator
    link: VoyagerLink
    base: str

    async def call(
        self, method: str, path: str, body: Any = None, key: str | None = CONTROL, **kwargs: Any
    ) -> tuple[int, Any, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["X-API-Key"] = key
        if body is not None:
            kwargs["data"] = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        response = await treq.request(method, self.base + path, headers=headers, **kwargs)
        content = await response.content()
        kind = response.headers.getRawHeaders("Content-Type", [""])[0]
        parsed = json.loads(content) if kind.startswith("application/json") else content
        return response.code, parsed, response.headers


async def start_proxy(simulator: RunningSimulator, **settings: Any) -> tuple[Proxy, IListeningPort]:
    link = make_link(simulator, **settings.pop("link", {}))
    api = ApiSettings(**{"keys": KEYS, "cors_origins": ("https://app.example",), **settings})
    site = Site(build_front(link, reactor, api, KeyRing(parse_keys(api.keys))).root)
    port, number = await listen_locally(site)
    link.startService()
    await ready(link)
    return Proxy(simulator, link, f"http://127.0.0.1:{number}"), port


@pytest_twisted.async_yield_fixture
async def proxy(simulator: RunningSimulator) -> AsyncIterator[Proxy]:
    running, port = await start_proxy(simulator)
    yield running
    await running.link.stopService()
    await stop_listening(port)


@pytest_twisted.ensureDeferred
async def test_shot_and_preview(proxy: Proxy) -> None:
    """A shot answers with its final result; the preview is served as JPEG and as JSON."""
    code, body, _ = await proxy.call("GET", "/api/camera/preview")
    assert code == 404 and body["error"]["code"] == "no_preview"
    code, body, _ = await proxy.call("POST", "/api/camera/shot", {"exposure": 0.3, "binning": 2})
    assert code == 200 and body["success"] is True and body["state"] == "ok"
    assert body["method"] == "RemoteCameraShot" and body["params"]["Bin"] == 2
    assert body["result"]["parsed"]["name"] == "OK"
    code, image, headers = await proxy.call("GET", "/api/camera/preview")
    assert code == 200 and image[:2] == b"\xff\xd8"
    assert headers.getRawHeaders("X-Preview-Width") == [str(proxy.simulator.settings.preview_width)]
    code, body, _ = await proxy.call("GET", "/api/camera/preview", headers={"Accept": "application/json"})
    assert code == 200 and body["base64"] and body["metadata"]["fileName"] == "voyager-proxy.fit"
