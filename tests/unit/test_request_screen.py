"""
What every request passes before its route: Host (DNS rebinding), Origin of
state-changing requests, JSON bodies only, strict JSON, HEAD sending nothing,
and authorisation before validation. Each refusal is our JSON envelope.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from twisted.internet.testing import MemoryReactorClock
from twisted.web.http_headers import Headers
from twisted.web.iweb import IRequest
from twisted.web.test.requesthelper import DummyRequest

import voyager_proxy
from tests.support.keys import CONTROL, KEYS, RENTER
from tests.support.memory_proxy import BASE, SET_GUID, MemoryProxy
from voyager_proxy.auth import KeyRing
from voyager_proxy.config import ApiSettings, HttpSettings
from voyager_proxy.origins import Hosts
from voyager_proxy.ratelimit import FailedAuthentications
from voyager_proxy.rest.envelope import ApiError
from voyager_proxy.rest.guard import Guard
from voyager_proxy.rest.routes import ROUTES
from voyager_proxy.tokens import TokenIssuer

JSON = {"Content-Type": "application/json"}
PARK = "/api/telescope/park"


@pytest.fixture
def proxy() -> Iterator[MemoryProxy]:
    running = MemoryProxy(cors_origins=("https://app.example",), command_burst=1000, read_burst=1000)
    yield running
    running.stop()


@pytest.fixture
def keyed() -> Iterator[MemoryProxy]:
    running = MemoryProxy(keys=KEYS, command_burst=1000, read_burst=1000)
    yield running
    running.stop()


def test_a_host_not_ours_is_421_on_every_path(proxy: MemoryProxy) -> None:
    """DNS rebinding: C{Host: evil.example:3000} is a 421 envelope on /health, the API and /ws alike."""
    for path in ("/health", "/api/status/connection", "/ws", "/nowhere"):
        code, answer, _ = proxy.request("GET", path, base="http://evil.example:3000")
        assert code == 421 and answer["error"]["code"] == "misdirected_request", path
    code, answer, lines = proxy.request("POST", PARK, base="http://evil.example:3000")
    assert code == 421 and lines == []


def test_a_repeated_origin_is_400_on_every_path(proxy: MemoryProxy) -> None:
    """Two Origin headers (the screen would read only the first, empty one) are a 400; the mount is not parked."""
    for method, path in (("POST", PARK), ("GET", "/health"), ("GET", "/ws")):
        answers: list[Any] = []
        headers = Headers({"Origin": ["", "https://evil.example"], "Content-Type": ["application/json"]})
        proxy.http.request(method, BASE + path, headers=headers, data=b"{}").addBoth(answers.append)  # type: ignore[attr-defined]
        lines = proxy.serve()
        assert answers[0].code == 400 and lines == [], (method, path)


def test_a_repeated_host_is_400() -> None:
    """C{Host: localhost} then C{Host: evil.example} is refused, not judged by its first value."""
    clock = MemoryReactorClock()
    guard = Guard(
        clock,
        ApiSettings(),
        KeyRing(()),
        Hosts.of((), "127.0.0.1"),
        FailedAuthentications(clock, 1, 1),
        TokenIssuer("s" * 32),
    )
    request = cast(IRequest, DummyRequest([b"health"]))  # Twisted's test request, which does not declare IRequest
    request.requestHeaders.setRawHeaders(b"Host", [b"localhost", b"evil.example"])
    with pytest.raises(ApiError) as refused:
        guard.screen(request)
    assert refused.value.status == 400 and refused.value.code == "bad_header"
    request.requestHeaders.setRawHeaders(b"Host", [b"localhost"])
    guard.screen(request)


def test_loopback_names_are_ours(proxy: MemoryProxy) -> None:
    """localhost, 127.0.0.1 and [::1], with or without a port, are answered."""
    for base in ("http://localhost", "http://127.0.0.1:3000"):
        code, _, _ = proxy.request("GET", "/health", base=base)
        assert code == 200, base
    assert Hosts.of((), "127.0.0.1").allow("[::1]:3000") and Hosts.of((), "127.0.0.1").allow("LOCALHOST.")


def test_allowed_hosts_replace_the_default() -> None:
    """C{http.allowed_hosts} lists the names answered; C{*} answers any."""
    assert Hosts.of(("proxy.lan",), "0.0.0.0").allow("PROXY.lan:3000")
    assert not Hosts.of(("proxy.lan",), "0.0.0.0").allow("localhost")
    assert Hosts.of(("*",), "127.0.0.1").allow("anything.example")
    assert Hosts.of((), "192.168.1.5").allow("192.168.1.5:3000")
    assert not Hosts.of((), "0.0.0.0").allow("0.0.0.0")
    assert HttpSettings().allowed_hosts == ()


def test_a_state_changing_request_from_another_origin_is_403(proxy: MemoryProxy) -> None:
    """A page on evil.example cannot park the mount; the listed origin and the daemon's own can."""
    code, answer, lines = proxy.request("POST", PARK + "?wait=false", headers={"Origin": "https://evil.example"})
    assert code == 403 and answer["error"]["code"] == "origin_not_allowed" and lines == []
    for origin in ("https://app.example", "http://localhost"):
        code, _, lines = proxy.request("POST", PARK + "?wait=false", headers={"Origin": origin})
        assert code == 202 and [line["method"] for line in lines] == ["RemoteMountFastCommand"], origin


def test_a_read_from_another_origin_is_answered_without_cors(proxy: MemoryProxy) -> None:
    """GET changes nothing: answered, but the browser is given no Access-Control-Allow-Origin to read it."""
    code, _, _ = proxy.request("GET", "/api/status/connection", headers={"Origin": "https://evil.example"})
    assert code == 200


@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_post_that_is_not_json_is_415_even_empty(proxy: MemoryProxy, media: str) -> None:
    """A "simple" cross-site request (a form's Content-Type) is 415 and sends nothing, body or not."""
    for data in (b"", b'{"wait": false}'):
        code, answer, lines = proxy.request("POST", PARK + "?wait=false", headers={"Content-Type": media}, data=data)
        assert code == 415 and answer["error"]["code"] == "unsupported_media_type" and lines == []


def test_a_bare_post_without_content_type_is_415(proxy: MemoryProxy) -> None:
    """No Content-Type at all, no body: 415, nothing sent to Voyager."""
    code, answer, lines = proxy.request("POST", PARK, headers={"Content-Type": ""})
    assert code == 415 and lines == []


@pytest.mark.parametrize("data", [b"{}", b"[]", b""])
def test_empty_json_bodies_are_accepted(proxy: MemoryProxy, data: bytes) -> None:
    """C{{}}, PHP's C{[]} and no body at all, as application/json, are the empty body."""
    code, _, lines = proxy.request("POST", PARK + "?wait=false", headers=JSON, data=data)
    assert code == 202 and len(lines) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b'{"exposure": NaN, "binning": 1}', "exposure"),
        (b'{"exposure": Infinity, "binning": 1}', "exposure"),
        (b'{"exposure": -Infinity, "binning": 1}', "exposure"),
        (b'{"exposure": 1e999, "binning": 1}', "exposure"),
    ],
)
def test_numbers_that_are_not_finite_are_400_naming_the_field(proxy: MemoryProxy, data: bytes, field: str) -> None:
    """NaN, Infinity and 1e999 never reach Voyager: 400 naming the field."""
    code, answer, lines = proxy.request("POST", "/api/camera/shot", headers=JSON, data=data)
    assert code == 400 and answer["error"]["field"] == field and lines == []


def test_not_finite_numbers_in_a_passthrough_body_are_refused(proxy: MemoryProxy) -> None:
    """POST /api/commands/{method} passes its body through, so its NaN must be caught on the way in."""
    code, answer, lines = proxy.request(
        "POST", "/api/commands/RemoteCooling", headers=JSON, data=b'{"IsSetPoint": true, "Temperature": NaN}'
    )
    assert code == 400 and answer["error"]["field"] == "Temperature" and lines == []
    code, answer, _ = proxy.request("POST", "/api/commands/RemoteCooling", headers=JSON, data=b'{"a": {"b": [NaN]}}')
    assert code == 400 and answer["error"]["field"] == "a.b[0]"


@pytest.mark.parametrize("data", [b"[" * 100000, b"[" * 65 + b"]" * 65, b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_deeply_nested_json_is_400(proxy: MemoryProxy, data: bytes) -> None:
    """JSON nested deeper than 64 levels is a 400 envelope (never the parser's RecursionError and a 500)."""
    code, answer, lines = proxy.request("POST", "/api/commands/RemoteCooling", headers=JSON, data=data)
    assert code == 400 and answer["error"]["code"] == "invalid_json" and "64" in answer["error"]["message"]
    assert lines == []


def test_a_key_header_that_is_not_utf8_is_400(keyed: MemoryProxy) -> None:
    """A non-UTF-8 X-API-Key is a 400 envelope, not a 500 before authentication."""
    code, answer, _ = keyed.request(
        "GET",
        "/api/status/connection",
        headers={"X-API-Key": b"\xff\xfe"},
    )
    assert code == 400 and answer["error"]["code"] == "bad_header"


def test_a_path_that_is_not_utf8_is_400_in_the_envelope(proxy: MemoryProxy) -> None:
    """A C{%ff} path segment is our 400 envelope, not Twisted's plain-text page."""
    code, answer, _ = proxy.request("GET", "/api/commands/%ff")
    assert code == 400 and answer["error"]["code"] == "bad_request"


def test_head_on_any_route_reaching_voyager_is_405_and_sends_nothing(proxy: MemoryProxy) -> None:
    """
    HEAD on every GET route of the table tells Voyager nothing: a route that
    sends or reads through Voyager (RoboTarget reads included) is 405 naming
    GET; the others are answered.
    """
    for declared in ROUTES:
        if declared.method != "GET":
            continue
        code, _, lines = proxy.request("HEAD", _concrete(declared.path))
        assert lines == [], declared.name
        if declared.sends or declared.reads:
            assert code == 405, (declared.name, code)
    code, _, lines = proxy.request("GET", "/api/robotarget/sets")
    assert code == 200 and [line["method"] for line in lines] == ["RemoteRoboTargetGetSet"]


@pytest.mark.parametrize(
    "method, path, header",
    [
        ("GET", "/api/dashboard/state", "If-None-Match"),
        ("POST", "/api/commands/RemoteSetDashboardMode", "Idempotency-Key"),
        ("POST", "/api/robotarget/plans", "Idempotency-Key"),
    ],
)
def test_a_header_read_that_is_not_utf8_is_400(proxy: MemoryProxy, method: str, path: str, header: str) -> None:
    """A client header the route reads, sent as C{\\xff\\xfe}, is a 400 envelope naming it; nothing is sent."""
    code, answer, lines = proxy.request(method, path, {"IsOn": True}, headers={header: b"\xff\xfe"})
    assert code == 400 and answer["error"] == {"code": "bad_header", "message": f"the {header} header is not UTF-8"}
    assert lines == []


def test_client_headers_are_read_only_through_header_text() -> None:
    """No module reads a client header with C{getHeader}, which decodes as UTF-8 and raises (a 500)."""
    package = Path(voyager_proxy.__file__).parent
    readers = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if "simulator" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.getHeader\(\s*[\"']", line)
    ]
    assert readers == []


def _concrete(path: str) -> str:
    return re.sub(r"<[^>]+>", lambda part: "RemoteFilterChangeTo" if "method" in part[0] else SET_GUID, path)


def test_a_narrowed_key_is_403_before_any_body_is_validated(keyed: MemoryProxy) -> None:
    """
    On every route a renter key (RemoteCameraShot|Abort) may not use, an
    empty body is a 403, never a 400 naming the route's fields.
    """
    renter_sends = {"RemoteCameraShot", "Abort"}
    for declared in ROUTES:
        sends_to_voyager = bool(declared.sends) or declared.path.startswith("/api/commands/")
        if declared.method == "GET" or not sends_to_voyager or (declared.sends and set(declared.sends) <= renter_sends):
            continue
        code, answer, lines = keyed.request(
            declared.method, _concrete(declared.path), headers={"X-API-Key": RENTER, **JSON}, data=b""
        )
        assert code == 403, (declared.name, code, answer)
        assert lines == [], declared.name
    code, _, _ = keyed.request("POST", "/api/camera/shot", headers={"X-API-Key": CONTROL, **JSON}, data=b"")
    assert code == 400
