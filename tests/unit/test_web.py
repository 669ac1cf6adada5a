"""The HTTP access log never shows an API key."""

from __future__ import annotations

from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from voyager_proxy.web import access_log_line


def test_api_key_in_the_query_is_masked() -> None:
    """A key passed as ?api_key= is replaced by <SECRET> in the access log line."""
    request = Request(DummyChannel())  # a real Request: DummyRequest provides no IRequest for mypy
    request.uri = b"/api/dashboard/state?limit=5&api_key=control-key-0123456789&x=1"
    request.method = b"GET"
    request.clientproto = b"HTTP/1.1"
    request.code = 200
    request.sentLength = 10
    line = access_log_line("[24/Nov/2026:04:00:00 +0000]", request)
    assert "control-key-0123456789" not in line
    assert "api_key=<SECRET>&x=1" in line
