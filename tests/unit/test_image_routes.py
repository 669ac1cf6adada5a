"""The /api/images routes in memory: caching headers, the width allow-list, tokens, latest and eviction."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from treq.testing import StubTreq

from tests.support.fake_voyager import FakeVoyager
from tests.support.jpegs import jpeg, preview_event
from tests.support.keys import KEYS, READ
from tests.support.memory_proxy import BASE, decoded
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings, ImageSettings, WebSocketSettings
from voyager_proxy.images.store import image_id
from voyager_proxy.web import build_front

SECRET = "image-routes-jwt-secret-0123456789abcdef"


class ImageProxy:
    """The proxy's root on a FakeVoyager link, keys and tokens configured, previews said by Voyager."""

    def __init__(self, directory: str = "") -> None:
        self.voyager = FakeVoyager()
        settings = ApiSettings(keys=KEYS)
        root = build_front(
            self.voyager.link,
            self.voyager.clock,
            settings,
            KeyRing(parse_keys(settings.keys)),
            WebSocketSettings(jwt_secret=SECRET, allowed_origins=("https://app.example",)),
            images=ImageSettings(keep=2, dir=directory),
        ).root
        self.http = StubTreq(root)
        self.length: object = None  # the Content-Length of the last answer, as Twisted's client read it
        self.voyager.ready()

    def preview(self, seed: int) -> bytes:
        """Voyager sends a NewJPGReady; return its JPEG."""
        data = jpeg(64, 40, seed)
        self.voyager.say(preview_event(data))
        return data

    def get(self, path: str, headers: dict[str, str | bytes] | None = None) -> tuple[int, Any, Any]:
        """(status, body, headers) of one GET (redirects not followed), the read key unless C{headers} replace it."""
        answers: list[Any] = []
        sent: dict[str, str | bytes] = {"X-API-Key": READ} if headers is None else headers
        self.http.get(BASE + path, headers=sent, allow_redirects=False).addBoth(  # type: ignore[attr-defined]
            answers.append
        )
        self.http.flush()
        response = answers[0]
        contents: list[bytes] = []
        self.http.content(response).addCallback(contents.append)  # type: ignore[attr-defined]
        self.http.flush()
        self.length = response.length
        return response.code, decoded(response, contents[0]), response.headers


@pytest.fixture
def proxy() -> Iterator[ImageProxy]:
    running = ImageProxy()
    yield running
    running.voyager.stop()


def token(proxy: ImageProxy, scope: str = "read", expires_in: float = 60) -> str:
    """A dashboard token issued now on the proxy's clock."""
    now = proxy.voyager.clock.seconds()
    claims = {"sub": "renter-7", "scope": scope, "iat": now, "exp": now + expires_in, "rooms": []}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_original_is_immutable_with_etag_length_and_304(proxy: ImageProxy) -> None:
    """The original bytes, Content-Length, ETag and a year's immutable caching; If-None-Match gives 304."""
    data = proxy.preview(1)
    identifier = image_id(data)
    code, body, headers = proxy.get(f"/api/images/{identifier}.jpg")
    assert code == 200 and body == data
    assert headers.getRawHeaders("Content-Type") == ["image/jpeg"]
    assert proxy.length == len(data)
    assert headers.getRawHeaders("ETag") == [f'"{identifier}"']
    assert headers.getRawHeaders("Cache-Control") == ["private, max-age=31536000, immutable"]
    code, body, headers = proxy.get(
        f"/api/images/{identifier}.jpg", {"X-API-Key": READ, "If-None-Match": f'"other", "{identifier}"'}
    )
    assert code == 304 and body == b"" and headers.getRawHeaders("ETag") == [f'"{identifier}"']
    code, body, _ = proxy.get(f"/api/images/{identifier}.jpg", {"X-API-Key": READ, "If-None-Match": '"other"'})
    assert code == 200 and body == data


def test_width_outside_the_allow_list_is_400(proxy: ImageProxy) -> None:
    """
    ?w= must be one of images.widths, as ASCII digits: 500, text, a
    superscript, Arabic-Indic "640", 5,000 digits and "0640" are 400 naming
    the field (never a 500); 304 for a copy's ETag.
    """
    identifier = image_id(proxy.preview(2))
    for width in ("500", "abc", "-640", "%C2%B2", "%D9%A6%D9%A4%D9%A0", "9" * 5000, "0640", "640%20"):
        code, body, _ = proxy.get(f"/api/images/{identifier}.jpg?w={width}")
        assert code == 400 and body["error"]["field"] == "w" and "320, 640, 1280" in body["error"]["message"]
    etag = f'"{identifier}-w640"'
    code, _, headers = proxy.get(f"/api/images/{identifier}.jpg?w=640", {"X-API-Key": READ, "If-None-Match": etag})
    assert code == 304 and headers.getRawHeaders("ETag") == [etag]


def test_token_with_read_scope_passes_and_an_expired_one_is_401(proxy: ImageProxy) -> None:
    """?token= as for /ws: a valid read token serves the image; expired, forged or from a foreign origin is refused."""
    data = proxy.preview(3)
    path = f"/api/images/{image_id(data)}.jpg"
    code, body, _ = proxy.get(f"{path}?token={token(proxy)}", {})
    assert code == 200 and body == data
    code, body, _ = proxy.get(f"{path}?token={token(proxy, expires_in=-10)}", {})
    assert code == 401 and body["error"]["code"] == "unauthorized" and "expired" in body["error"]["message"]
    now = proxy.voyager.clock.seconds()
    forged = jwt.encode({"sub": "x", "scope": "read", "iat": now, "exp": now + 60}, "another-secret" * 4)
    assert proxy.get(f"{path}?token={forged}", {})[0] == 401
    assert proxy.get(f"{path}?token={token(proxy, scope='admin')}", {})[0] == 403
    assert proxy.get(f"{path}?token={token(proxy)}", {"Origin": "https://evil.example"})[0] == 403
    assert proxy.get(path, {})[0] == 401  # neither key nor token


def test_latest_redirects_uncached_and_is_404_before_any_image(proxy: ImageProxy) -> None:
    """No image yet: 404 no_image; then 307 to the newest image's URL, no-store, the token passed on."""
    code, body, _ = proxy.get("/api/images/latest")
    assert code == 404 and body["error"]["code"] == "no_image"
    proxy.preview(4)
    newest = image_id(proxy.preview(5))
    code, _, headers = proxy.get("/api/images/latest")
    assert code == 307 and headers.getRawHeaders("Location") == [f"/api/images/{newest}.jpg"]
    assert headers.getRawHeaders("Cache-Control") == ["no-store"]
    dashboard = token(proxy)
    code, _, headers = proxy.get(f"/api/images/latest?token={dashboard}&w=320", {})
    assert code == 307 and headers.getRawHeaders("Location") == [f"/api/images/{newest}.jpg?w=320&token={dashboard}"]


def test_listing_metadata_and_eviction(proxy: ImageProxy) -> None:
    """The list is newest first with URLs; .json is one image's metadata; an evicted id is 404 image_expired."""
    first, second, third = (image_id(proxy.preview(seed)) for seed in (6, 7, 8))
    code, body, _ = proxy.get("/api/images?limit=5")
    assert code == 200 and [image["id"] for image in body["images"]] == [third, second]  # images.keep = 2
    assert body["images"][0]["thumbUrl"] == f"/api/images/{third}.jpg?w=320"
    code, body, _ = proxy.get(f"/api/images/{third}.json")
    assert code == 200 and body["image"]["width"] == 64 and body["image"]["target"] == "M42"
    for path in (f"/api/images/{first}.jpg", f"/api/images/{first}.json"):
        code, body, _ = proxy.get(path)
        assert code == 404 and body["error"]["code"] == "image_expired"
    code, body, _ = proxy.get("/api/images/0123456789abcdef.jpg")
    assert code == 404 and body["error"]["code"] == "unknown_image"
    assert proxy.get("/api/images?limit=0")[0] == 400


def test_image_headers_that_are_not_utf8_are_400(proxy: ImageProxy) -> None:
    """
    If-None-Match on an image, Accept on /api/camera/preview and Origin with
    a token, each sent as C{\\xff}, are 400 envelopes naming the header.
    """
    identifier = image_id(proxy.preview(2))
    cases: tuple[tuple[str, dict[str, str | bytes]], ...] = (
        (f"/api/images/{identifier}.jpg", {"X-API-Key": READ, "If-None-Match": b"\xff"}),
        ("/api/camera/preview", {"X-API-Key": READ, "Accept": b"\xff"}),
        (f"/api/images/{identifier}.jpg?token={token(proxy)}", {"Origin": b"\xff"}),
    )
    for path, headers in cases:
        code, body, _ = proxy.get(path, headers)
        assert code == 400 and body["error"]["code"] == "bad_header", path


def test_image_tokens_are_judged_by_the_websockets_origin_rule(proxy: ImageProxy) -> None:
    """A page served by the daemon itself (its own origin, let in on /ws) may use a token; a foreign origin may not."""
    path = f"/api/images/{image_id(proxy.preview(2))}.jpg?token={token(proxy)}"
    assert proxy.get(path, {"Origin": "http://localhost"})[0] == 200
    assert proxy.get(path, {"Origin": "https://app.example"})[0] == 200
    assert proxy.get(path, {"Origin": "https://evil.example"})[0] == 403


def test_refused_image_tokens_count_as_failed_authentications(proxy: ImageProxy) -> None:
    """
    Forged tokens from one address are counted with bad keys: past
    api.failed_auth_burst they are 429, and so is the next bad key.
    """
    path = f"/api/images/{image_id(proxy.preview(2))}.jpg"
    codes = [
        proxy.get(f"{path}?token=garbage{attempt}", {})[0] for attempt in range(ApiSettings().failed_auth_burst + 2)
    ]
    assert set(codes[: ApiSettings().failed_auth_burst]) == {401} and codes[-1] == 429
    assert proxy.get(path, {"X-API-Key": "wrong-key-0123456789"})[0] == 429
    assert proxy.get(path)[0] == 200  # a valid key is never held back


def test_camera_preview_is_the_stores_latest_image_also_after_a_restart(tmp_path: Path) -> None:
    """/api/camera/preview serves the image store's latest (JPEG and base64 JSON), also one loaded from images.dir."""
    first = ImageProxy(str(tmp_path))
    data = first.preview(11)
    parsed = first.voyager.link.cache.snapshot()["preview"]
    first.voyager.stop()
    restarted = ImageProxy(str(tmp_path))  # a new daemon: its cache has seen no NewJPGReady
    try:
        assert restarted.voyager.link.cache.snapshot()["preview"] is None
        code, body, headers = restarted.get("/api/camera/preview")
        assert code == 200 and body == data
        assert headers.getRawHeaders("X-Preview-File") == ["M42_LIGHT_001.fit"]
        assert headers.getRawHeaders("X-Preview-Width") == ["64"]
        code, body, _ = restarted.get("/api/camera/preview", {"X-API-Key": READ, "Accept": "application/json"})
        assert code == 200 and base64.b64decode(body["base64"]) == data
        assert body["metadata"] == {name: value for name, value in parsed.items() if name != "receivedAt"}
        assert body["receivedAt"] == parsed["receivedAt"]
    finally:
        restarted.voyager.stop()
