"""
The running daemon attacked as a web page or a local program would: Host and
Origin, slow and oversized requests, inputs that once gave tracebacks, and
what the access log shows. Real sockets, a real WebSocket client, real twistd.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.support.daemon import Daemon, until
from tests.support.keys import CONTROL, KEYS

TIMEOUT = 2.0
SECRETS = ("query-secret-0123456789", "eyJtoken-secret", "fragment-secret-0123")


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    """No keys (the default), the access log on, a 2 s request deadline."""
    running = Daemon.start(
        "--simulator",
        env={"VOYAGER_PROXY_HTTP_ACCESS_LOG": "true", "VOYAGER_PROXY_HTTP_REQUEST_TIMEOUT": str(TIMEOUT)},
    )
    yield running
    running.kill()


@pytest.fixture(scope="module")
def keyed() -> Iterator[Daemon]:
    running = Daemon.start("--simulator", env={"VOYAGER_PROXY_API_KEYS": ",".join(KEYS)})
    yield running
    running.kill()


def raw(daemon: Daemon, request: bytes, wait: float = 5.0) -> bytes:
    """Send C{request} as it is; everything answered until the daemon closes (or C{wait} passes)."""
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=wait) as sock:
        sock.sendall(request)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
        return answer


def envelope(answer: bytes) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of a raw answer, chunked or not."""
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        chunks = b""
        while body:
            size, _, rest = body.partition(b"\r\n")
            length = int(size, 16)
            chunks, body = chunks + rest[:length], rest[length + 2 :]
        body = chunks
    return int(head.split()[1]), json.loads(body)


def call(
    daemon: Daemon, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        return response.status, json.loads(content) if content else {}
    finally:
        connection.close()


def ws_url(daemon: Daemon, query: str = "") -> str:
    return f"ws://127.0.0.1:{daemon.port}/ws{query}"


def test_a_rebound_host_is_421_on_the_api_and_the_websocket(daemon: Daemon) -> None:
    """DNS rebinding: C{Host: evil.example} gets a 421 envelope, on /health and on /ws's handshake."""
    for path, extra in (("/health", b""), ("/ws", b"Upgrade: websocket\r\nConnection: Upgrade\r\n")):
        answer = raw(
            daemon,
            b"GET %s HTTP/1.1\r\nHost: evil.example:%d\r\n%sSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n"
            % (path.encode(), daemon.port, extra),
        )
        status, body = envelope(answer)
        assert status == 421 and body["error"]["code"] == "misdirected_request", path


def test_a_web_page_cannot_park_the_mount(daemon: Daemon) -> None:
    """A cross-site POST is 403 (Origin) or 415 (a form's Content-Type); the daemon's own origin may."""
    status, body = call(
        daemon,
        "POST",
        "/api/telescope/park?wait=false",
        b"{}",
        {"Origin": "https://evil.example", "Content-Type": "application/json"},
    )
    assert status == 403 and body["error"]["code"] == "origin_not_allowed"
    status, body = call(daemon, "POST", "/api/telescope/park?wait=false", b"{}", {"Content-Type": "text/plain"})
    assert status == 415
    status, _ = call(
        daemon,
        "POST",
        "/api/control/abort",
        b"{}",
        {"Origin": f"http://127.0.0.1:{daemon.port}", "Content-Type": "application/json"},
    )
    assert status == 200


def test_the_websocket_takes_no_foreign_page_without_keys(daemon: Daemon) -> None:
    """With no keys, /ws from https://evil.example is refused 403; a page the daemon served opens."""
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(daemon), origin=Origin("https://evil.example"), open_timeout=10)
    assert refused.value.response.status_code == 403
    with connect(ws_url(daemon), origin=Origin(f"http://127.0.0.1:{daemon.port}"), open_timeout=10) as client:
        assert json.loads(client.recv(timeout=10))["event"] == "initialState"


def test_a_half_sent_request_is_answered_408_and_closed(daemon: Daemon) -> None:
    """A slowloris request (headers never finished) gets 408 and is closed at http.request_timeout."""
    started = time.monotonic()
    answer = raw(daemon, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a", wait=TIMEOUT + 10)
    took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408") and TIMEOUT - 0.5 < took < TIMEOUT + 5


def test_an_idle_connection_is_closed(daemon: Daemon) -> None:
    """A connection that sends nothing is closed at http.request_timeout, without an answer."""
    started = time.monotonic()
    assert raw(daemon, b"", wait=TIMEOUT + 10) == b""
    assert time.monotonic() - started < TIMEOUT + 5


def test_inputs_that_gave_tracebacks_get_clean_4xx(daemon: Daemon) -> None:
    """
    Deep nesting, NaN, a C{%ff} path, a C{since} of C{²} or 5,000 digits: each a
    4xx (the envelope, or the WebSocket's error event), and no traceback in the log.
    """
    json_headers = {"Content-Type": "application/json"}
    status, body = call(daemon, "POST", "/api/commands/RemoteCooling", b"[" * 100000, json_headers)
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = call(daemon, "POST", "/api/camera/shot", b'{"exposure": NaN, "binning": 1}', json_headers)
    assert status == 400 and body["error"]["field"] == "exposure"
    status, body = envelope(
        raw(daemon, b"GET /api/commands/%ff HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    )
    assert status == 400 and body["error"]["code"] == "bad_request"
    for since in ("%C2%B2", "9" * 5000):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(daemon, f"?since={since}&epoch=x"), open_timeout=10)
        assert refused.value.response.status_code == 400
    with connect(ws_url(daemon), open_timeout=10) as client:
        client.recv(timeout=10)  # initialState
        client.send("[" * 60000)
        problem = json.loads(client.recv(timeout=10))
        assert problem["event"] == "error" and "nested" in problem["data"]["message"]
        client.send(json.dumps({"action": "ping"}))
        assert json.loads(client.recv(timeout=10))["event"] == "pong"
    log = daemon.text()
    assert "Traceback" not in log and "Unhandled" not in log


def test_head_sends_nothing_and_head_metrics_is_like_get(daemon: Daemon) -> None:
    """HEAD /api/telescope/status is 405 (it would send Voyager a command); HEAD /metrics is 200."""
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        connection.request("HEAD", "/api/telescope/status")
        response = connection.getresponse()
        response.read()
        assert response.status == 405
        connection.request("HEAD", "/metrics")
        response = connection.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/plain")
    finally:
        connection.close()


def test_the_access_log_shows_no_secret(daemon: Daemon) -> None:
    """C{?api%5Fkey=}, C{?token=} and a fragment (refused before Autobahn sees it) never reach the log."""
    call(daemon, "GET", f"/api/status/connection?api%5Fkey={SECRETS[0]}&token={SECRETS[1]}")
    answer = raw(
        daemon,
        b"GET /ws#api_key=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % SECRETS[2].encode(),
    )
    assert envelope(answer)[0] == 400 and SECRETS[2].encode() not in answer
    log = until(lambda: "/ws#<SECRET>" in daemon.text() and daemon.text(), "the log line of the /ws request")
    assert "api%5Fkey=<SECRET>" in log
    assert not [secret for secret in SECRETS if secret in log]


def test_a_content_length_of_thousands_of_digits_is_a_400_without_a_traceback(daemon: Daemon) -> None:
    """
    5,000 digits of Content-Length (past Python's int() limit, which Twisted
    would raise from, logged as an Unhandled Error) are answered 400 in our
    envelope; the daemon logs no traceback and goes on answering.
    """
    for digits in ("9" * 5000, "1" * 20):
        answer = raw(
            daemon,
            b"POST /api/telescope/park HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %s\r\n\r\n" % digits.encode(),
        )
        assert envelope(answer) == (
            400,
            {"success": False, "error": {"code": "bad_header", "message": "the Content-Length is not a size"}},
        )
    assert call(daemon, "GET", "/health")[0] == 200
    assert "Traceback" not in daemon.text() and "Unhandled" not in daemon.text()


def test_a_body_is_refused_from_its_headers_before_it_is_sent(keyed: Daemon) -> None:
    """
    An unauthenticated upload and one over api.max_body_bytes are answered
    (401, 413) from their headers alone: the client never sends the body.
    """
    for length, key, expected in ((900_000, None, 401), (50_000_000, CONTROL, 413)):
        key_line = b"X-API-Key: %s\r\n" % key.encode() if key else b""
        answer = raw(
            keyed,
            b"POST /api/commands/RemoteSetupConnect HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (key_line, length),
        )
        assert envelope(answer)[0] == expected


def test_a_key_header_that_is_not_utf8_is_a_400(keyed: Daemon) -> None:
    """A non-UTF-8 X-API-Key is a 400 envelope, on every request, and no traceback."""
    answer = raw(
        keyed,
        b"GET /api/status/connection HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: \xff\xfe\r\nConnection: close\r\n\r\n",
    )
    status, body = envelope(answer)
    assert status == 400 and body["error"]["code"] == "bad_header"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(keyed, "?since=%C2%B2&epoch=x"), open_timeout=10)
    assert refused.value.response.status_code == 400  # before the key check (none was given)
    assert "Traceback" not in keyed.text()
