"""
The /api/images routes (declared in L{voyager_proxy.rest.routes}; the REST
app registers them and hands each request here).

An image's URL names its bytes for good, so it is served as immutable with
its id as ETag; only C{/api/images/latest} changes, and it is a 307 that is
never cached. C{<img>} tags cannot send a key: each route also takes the
dashboard's token as C{?token=}, judged as the WebSocket judges it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, cast
from urllib.parse import urlencode

import pybase64
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer
from twisted.python.failure import Failure
from twisted.web.http import Request
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer

from ..auth import ApiKey
from ..keys import query_values
from ..rest.envelope import ApiError, invalid, write_json
from ..rest.guard import JSON_MEDIA, Guard, header_text
from ..rest.routes import Route
from .library import ImageLibrary, voyager_metadata
from .resize import Downscaler, Saturated
from .store import ID_PATTERN, StoredImage, image_url

IMMUTABLE = "private, max-age=31536000, immutable"
RETRY_AFTER = "1"
KEPT_QUERY = ("w", "token")  # what /latest passes on to the image's URL
CHUNK = 64 * 1024
# /api/camera/preview's X-Preview-<header>, from its metadata's <field>
PREVIEW_HEADERS = (
    ("File", "fileName"),
    ("Width", "width"),
    ("Height", "height"),
    ("Exposure", "exposure"),
    ("Filter", "filter"),
    ("HFD", "hfd"),
)

# (token, the request bearing it) -> the key the token acts as; raises ApiError when refused.
TokenKey = Callable[[str, IRequest], ApiKey]


def _first(request: IRequest, name: str) -> str | None:
    values = query_values(request.args, name)
    return values[0] if values else None


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether C{If-None-Match} names C{etag} (or is C{*})."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


@implementer(IPushProducer)
class _Sender:
    """Writes C{data} to the request C{CHUNK} bytes at a time while its socket takes them."""

    def __init__(self, request: Request, data: bytes) -> None:
        self._request: Request | None = request
        self._data = memoryview(data)
        self._sent = 0
        self._paused = False

    def start(self) -> None:
        assert self._request is not None
        self._request.registerProducer(self, True)
        self.resumeProducing()

    def resumeProducing(self) -> None:
        self._paused = False
        while not self._paused and self._request is not None:
            if self._sent >= len(self._data):
                request, self._request = self._request, None
                request.unregisterProducer()
                request.finish()
                return
            chunk = bytes(self._data[self._sent : self._sent + CHUNK])
            self._sent += len(chunk)
            self._request.write(chunk)  # may pause us, re-entrantly

    def pauseProducing(self) -> None:
        self._paused = True

    def stopProducing(self) -> None:
        self._request = None  # the client went away


class Streamed(Resource):
    """
    A JPEG written as the socket drains, 64 KB at a time: a hundred clients
    fetching a 2 MB preview at once hold a few MB of buffers, not 200.
    """

    isLeaf = True

    def __init__(self, jpeg: bytes) -> None:
        super().__init__()
        self._jpeg = jpeg

    def render_GET(self, request: IRequest) -> Any:  # noqa: N802 (Twisted's)
        _Sender(cast(Request, request), self._jpeg).start()  # Twisted Web's own request, which takes producers
        return NOT_DONE_YET


def _undecodable(failure: Failure) -> NoReturn:
    failure.trap(OSError, ValueError)  # what Pillow raises for bytes it cannot decode
    raise ApiError(422, "undecodable_image", "the preview is not a JPEG that can be downscaled; omit ?w=")


class ImageApi:
    """What each image route answers, from the L{ImageLibrary}'s store."""

    def __init__(self, library: ImageLibrary, downscaler: Downscaler, guard: Guard, token_key: TokenKey) -> None:
        self._library = library
        self._store = library.store
        self._downscaler = downscaler
        self._guard = guard
        self._token_key = token_key

    def admit(self, request: IRequest, declared: Route) -> None:
        """The key (X-API-Key, api_key) or the dashboard token (token) may read."""
        token = _first(request, "token")
        key = None if token is None else self._token_key(token, request)
        self._guard.admit(request, declared, key=key)

    def listed(self, request: IRequest, declared: Route) -> bytes:
        self.admit(request, declared)
        limit = declared.query[0].read(request.args)
        images = [self._library.metadata(image) for image in self._store.newest(limit)]
        return write_json(request, {"success": True, "images": images})

    def latest(self, request: IRequest, declared: Route) -> bytes:
        self.admit(request, declared)
        image = self._store.latest()
        if image is None:
            raise ApiError(404, "no_image", "no preview kept yet")
        kept = [(name, value) for name in KEPT_QUERY for value in query_values(request.args, name)]
        location = image_url(image.info.id) + (f"?{urlencode(kept)}" if kept else "")
        request.setResponseCode(307)
        request.setHeader("Location", location)
        request.setHeader("Cache-Control", "no-store")
        request.setHeader("Content-Length", "0")
        return b""

    def camera_preview(self, request: IRequest, declared: Route) -> bytes | Streamed:
        """
        The latest image, as C{/api/camera/preview} has always answered: the
        JPEG with C{X-Preview-*} headers, or JSON with its base64 (made from
        the stored bytes for the caller that asks) when C{Accept} wants JSON.
        """
        self._guard.admit(request, declared)
        image = self._store.latest()
        if image is None:
            raise ApiError(404, "no_preview", "no preview image kept")
        info = image.info
        metadata = voyager_metadata(info)
        if JSON_MEDIA in (header_text(request, "Accept") or ""):
            return write_json(
                request,
                {
                    "success": True,
                    "metadata": metadata,
                    "receivedAt": info.received_at,
                    "base64": pybase64.b64encode(image.jpeg).decode("ascii"),
                },
            )
        for header, field in PREVIEW_HEADERS:
            if metadata[field] is not None:
                request.setHeader(f"X-Preview-{header}", str(metadata[field]))
        request.setHeader("X-Preview-Received-At", str(info.received_at))
        request.setHeader("Cache-Control", "no-cache")
        return self._send(request, image.jpeg)

    def metadata(self, request: IRequest, declared: Route, image: str) -> bytes:
        self.admit(request, declared)
        return write_json(request, {"success": True, "image": self._library.metadata(self._find(image))})

    def jpeg(self, request: IRequest, declared: Route, image: str) -> bytes | Streamed | Deferred[Streamed]:
        """The original, or the copy C{?w=} asks for; 304 when the caller has it already."""
        self.admit(request, declared)
        found = self._find(image)
        width = self._width(request)
        etag = found.etag if width is None else f'"{found.info.id}-w{width}"'
        request.setHeader("ETag", etag)
        request.setHeader("Cache-Control", IMMUTABLE)
        if _matches(header_text(request, "If-None-Match"), etag):
            request.setResponseCode(304)
            return b""
        if width is None:
            return self._send(request, found.jpeg)
        try:
            copy = self._downscaler.copy(found, width)
        except Saturated:
            raise ApiError(
                503, "busy", "every resizing thread is busy; retry shortly", headers={"Retry-After": RETRY_AFTER}
            ) from None
        return copy.addCallbacks(lambda jpeg: self._send(request, jpeg), _undecodable)

    @staticmethod
    def _send(request: IRequest, jpeg: bytes) -> Streamed:
        request.setHeader("Content-Type", "image/jpeg")
        request.setHeader("Content-Length", str(len(jpeg)))
        return Streamed(jpeg)

    def _width(self, request: IRequest) -> int | None:
        text = _first(request, "w")
        if text is None:
            return None
        widths = {str(width): width for width in self._library.widths}  # exact ASCII text: no int() of any input
        if text not in widths:
            raise invalid("w", f"must be one of {', '.join(widths)} (images.widths)")
        return widths[text]

    def _find(self, identifier: str) -> StoredImage:
        image = self._store.get(identifier) if ID_PATTERN.fullmatch(identifier) else None
        if image is not None:
            return image
        if self._store.expired(identifier):
            raise ApiError(
                404, "image_expired", f"image {identifier} is no longer kept (images.keep, images.max_bytes)"
            )
        raise ApiError(404, "unknown_image", f"no image {identifier}")
