"""CORS headers of the HTTP API, through the whole API in memory."""

from __future__ import annotations

from typing import Any

from twisted.web.http_headers import Headers

from tests.support.memory_proxy import BASE, MemoryProxy

ORIGIN = "https://app.example"


def answer_headers(proxy: MemoryProxy, method: str, path: str, origin: str) -> Headers:
    """The headers of the answer to one request sent from C{origin}."""
    responses: list[Any] = []
    # StubTreq sets treq's functions on itself with setattr, so its type names none of them.
    proxy.http.request(method, BASE + path, headers={"Origin": origin}).addBoth(responses.append)  # type: ignore[attr-defined]
    proxy.serve()
    (response,) = responses
    assert hasattr(response, "headers"), response
    proxy.http.content(response)  # type: ignore[attr-defined]
    proxy.http.flush()
    headers: Headers = response.headers
    return headers


def varies_by(headers: Headers) -> set[str]:
    return {name.strip().lower() for line in headers.getRawHeaders("Vary", []) for name in line.split(",")}


def test_an_answer_allowing_an_origin_varies_by_origin() -> None:
    """A read and a preflight allowing the app's origin say Vary: Origin, so no cache serves them to another origin."""
    proxy = MemoryProxy(cors_origins=(ORIGIN,))
    for method, path in (("GET", "/api/status/connection"), ("OPTIONS", "/api/camera/shot")):
        headers = answer_headers(proxy, method, path, ORIGIN)
        assert headers.getRawHeaders("Access-Control-Allow-Origin") == [ORIGIN], (method, path)
        assert "origin" in varies_by(headers), (method, path)
        other = answer_headers(proxy, method, path, "https://evil.example")
        assert other.getRawHeaders("Access-Control-Allow-Origin") is None, (method, path)
    proxy.stop()
