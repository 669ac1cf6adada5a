"""The console's HTTP side in memory: the page and its files, and REST with tokens from POST /api/tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.keys import CONTROL, KEYS, READ
from tests.support.memory_proxy import MemoryProxy
from voyager_proxy.config import ConsoleSettings
from voyager_proxy.console.bundle import Bundle
from voyager_proxy.tokens import LIFETIME

CSP = "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'"


@pytest.fixture
def proxy() -> Iterator[MemoryProxy]:
    running = MemoryProxy(keys=KEYS)
    yield running
    running.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(proxy: MemoryProxy, key: str) -> str:
    code, answer, _ = proxy.request("POST", "/api/tokens", headers={"X-API-Key": key})
    assert code == 200, answer
    return str(answer["token"])


def test_root_redirects_and_the_page_is_served_with_its_security_headers(proxy: MemoryProxy) -> None:
    """/ and /console go to /console/; the page is no-cache, with the CSP, nosniff and no referrer, keys or not."""
    for path in ("/", "/console"):
        code, _, _ = proxy.request("GET", path)
        assert code == 302 and proxy.headers["location"] == "/console/"
        assert proxy.headers["content-security-policy"] == CSP
    code, page, _ = proxy.request("GET", "/console/")
    assert code == 200 and proxy.headers["cache-control"] == "no-cache"
    assert proxy.headers["content-type"] == "text/html; charset=utf-8"
    assert proxy.headers["content-security-policy"] == CSP
    assert proxy.headers["x-content-type-options"] == "nosniff" and proxy.headers["referrer-policy"] == "no-referrer"
    version = Bundle.shipped().version
    assert f'src="/console/{version}/app.js"'.encode() in page and b"{{bundle}}" not in page


def test_every_file_is_immutable_under_its_version_and_unknown_ones_are_404(proxy: MemoryProxy) -> None:
    """Each file answers under /console/<version>/ for good; another version or name is a JSON 404."""
    bundle = Bundle.shipped()
    assert {"app.js", "client.js", "console.css", "icon.svg", "booking.json"} <= set(bundle.files)
    for name, asset in bundle.files.items():
        code, body, _ = proxy.request("GET", f"{bundle.folder}/{name}")
        assert code == 200 and proxy.headers["cache-control"] == "public, max-age=31536000, immutable", name
        assert proxy.headers["content-type"] == asset.media and (body == asset.body or name.endswith(".json"))
    code, _, _ = proxy.request("GET", "/console/client.js")
    assert code == 200 and proxy.headers["cache-control"] == "no-cache"
    for path in ("/console/0123456789abcdef/app.js", f"{bundle.folder}/missing.js", "/console/app.js"):
        code, answer, _ = proxy.request("GET", path)
        assert code == 404 and answer["error"]["code"] == "not_found", path
    code, answer, _ = proxy.request("POST", "/console/")
    assert code == 405 and proxy.headers["allow"] == "GET, HEAD"


def test_the_version_changes_with_any_file() -> None:
    """One changed byte in any file gives every file a new folder; index.html names it."""
    files = {"index.html": b"<script src='{{bundle}}/a.js'>", "a.js": b"1", "b.css": b"x"}
    first = Bundle.from_files(files)
    second = Bundle.from_files({**files, "b.css": b"y"})
    assert first.version != second.version and re.fullmatch(r"[0-9a-f]{16}", first.version)
    assert first.index == f"<script src='/console/{first.version}/a.js'>".encode()
    assert set(first.files) == {"a.js", "b.css"} and first.files["b.css"].media == "text/css; charset=utf-8"


def test_console_switched_off_answers_404() -> None:
    """[console] enabled = false: / and /console/ are the API's JSON 404."""
    proxy = MemoryProxy(console=ConsoleSettings(enabled=False))
    try:
        for path in ("/", "/console/", f"{Bundle.shipped().folder}/app.js"):
            code, answer, _ = proxy.request("GET", path)
            assert code == 404 and answer["error"]["code"] == "not_found", path
    finally:
        proxy.stop()


def test_a_key_is_exchanged_for_a_token_that_rest_accepts_with_the_key_rights(proxy: MemoryProxy) -> None:
    """POST /api/tokens answers {token, exp} (no-store); Bearer acts as that key: a read token reads but not commands."""
    code, answer, _ = proxy.request("POST", "/api/tokens", headers={"X-API-Key": READ})
    assert code == 200 and set(answer) == {"success", "token", "exp"}
    assert answer["exp"] == int(proxy.voyager.clock.seconds()) + LIFETIME
    assert proxy.headers["cache-control"] == "no-store"
    reader = bearer(answer["token"])
    assert proxy.request("GET", "/api/status/connection", headers=reader)[0] == 200
    code, refused, lines = proxy.request("POST", "/api/telescope/park", headers=reader)
    assert code == 403 and "read role" in refused["error"]["message"] and lines == []
    code, entry, _ = proxy.request("POST", "/api/telescope/park", headers=bearer(token_for(proxy, CONTROL)))
    assert code == 200 and entry["sender"] == "token:laravel"


def test_tokens_are_refused_where_they_must_be(proxy: MemoryProxy) -> None:
    """No key 401, unknown key 403; a token cannot buy a token; a tampered or expired token is 401."""
    assert proxy.request("POST", "/api/tokens")[0] == 401
    assert proxy.request("POST", "/api/tokens", headers={"X-API-Key": "wrong-key-0123456789"})[0] == 403
    token = token_for(proxy, CONTROL)
    code, answer, _ = proxy.request("POST", "/api/tokens", headers=bearer(token))
    assert code == 401 and "not a token" in answer["error"]["message"]
    code, answer, _ = proxy.request("GET", "/api/commands", headers=bearer(token[:-2] + "xx"))
    assert code == 401 and answer["error"]["code"] == "unauthorized"
    proxy.voyager.clock.advance(LIFETIME)
    code, answer, _ = proxy.request("GET", "/api/commands", headers=bearer(token))
    assert code == 401 and answer["error"]["message"] == "the token has expired"


def test_without_keys_the_console_needs_no_token() -> None:
    """With no key configured every caller is the local key, a token too (loopback only)."""
    proxy = MemoryProxy()
    try:
        code, answer, _ = proxy.request("POST", "/api/tokens")
        assert code == 200
        assert proxy.request("GET", "/api/commands", headers=bearer(answer["token"]))[0] == 200
        assert proxy.request("GET", "/api/commands", headers=bearer("junk"))[0] == 200
    finally:
        proxy.stop()
