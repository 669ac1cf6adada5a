"""The HTTP access log never shows an API key."""

from __future__ import annotations

from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from voyager_proxy.accesslog import access_log_line


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


def _logged(uri: bytes, referer: bytes | None = None) -> str:
    request = Request(DummyChannel())
    request.uri = uri
    request.method = b"GET"
    request.clientproto = b"HTTP/1.1"
    request.code = 200
    request.sentLength = 10
    if referer is not None:
        request.requestHeaders.setRawHeaders(b"Referer", [referer])
    return access_log_line("[24/Nov/2026:04:00:00 +0000]", request)


def test_secrets_are_masked_after_percent_decoding() -> None:
    """C{?api%5Fkey=}, C{?api_key+=} and C{?token=} are what Twisted reads as api_key and token: each is masked."""
    line = _logged(b"/ws?api%5Fkey=control-key-0123456789&token=eyJhbGciOi.secret.part&fields=raw&api%5fkey=k2-secret")
    assert "control-key-0123456789" not in line and "eyJhbGciOi" not in line and "k2-secret" not in line
    assert "api%5Fkey=<SECRET>" in line and "token=<SECRET>" in line and "fields=raw" in line


def test_a_fragment_and_the_referer_are_masked() -> None:
    """A fragment is never logged; a Referer carrying a key is masked like the request's own URI."""
    line = _logged(b"/ws#api_key=control-key-0123456789", b"http://127.0.0.1:3000/page?api_key=read-key-0123456789")
    assert "control-key-0123456789" not in line and "read-key-0123456789" not in line
    assert "/ws#<SECRET>" in line and "page?api_key=<SECRET>" in line
