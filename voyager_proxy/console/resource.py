"""The console over HTTP: / redirects, /console/ the page, its files immutable under their version."""

from __future__ import annotations

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from zope.interface import implementer

from ..rest.envelope import ApiError, write_json
from .bundle import Asset, Bundle, media_of

CONSOLE = "/console"
# Scripts, styles, images and connections from the daemon only; no frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; connect-src 'self';"
    " frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
FOREVER = "public, max-age=31536000, immutable"
STABLE = ("client.js",)  # also at /console/<name>, for dashboards importing it (no-cache)


def serves(path: str) -> bool:
    """Whether C{path} is the console's: C{/} or under C{/console}."""
    return path in ("/", CONSOLE) or path.startswith(CONSOLE + "/")


@implementer(IResource)
class ConsoleResource:
    """Answers every path L{serves} names, with the security headers on each answer."""

    isLeaf = True

    def __init__(self, bundle: Bundle) -> None:
        self._bundle = bundle

    def render(self, request: IRequest) -> bytes:
        for name, value in SECURITY_HEADERS.items():
            request.setHeader(name, value)
        method = request.method.decode()
        if method not in ("GET", "HEAD"):
            request.setHeader("Allow", "GET, HEAD")
            return write_json(request, ApiError(405, "method_not_allowed", "use GET").body(), 405)
        path = request.path.decode("utf-8", "replace")
        if path in ("/", CONSOLE):
            request.setResponseCode(302)
            request.setHeader("Location", CONSOLE + "/")
            return b""
        if path in (CONSOLE + "/", CONSOLE + "/index.html"):
            return self._send(request, Asset(self._bundle.index, media_of("index.html")), "no-cache")
        name = path[len(CONSOLE) + 1 :]
        if name in STABLE:
            return self._send(request, self._bundle.files[name], "no-cache")
        version, _, name = name.partition("/")
        asset = self._bundle.files.get(name) if version == self._bundle.version else None
        if asset is None:
            return write_json(request, ApiError(404, "not_found", "no such console file").body(), 404)
        return self._send(request, asset, FOREVER)

    @staticmethod
    def _send(request: IRequest, asset: Asset, caching: str) -> bytes:
        request.setHeader("Content-Type", asset.media)
        request.setHeader("Cache-Control", caching)
        return asset.body

    def getChildWithDefault(self, name: bytes, request: IRequest) -> IResource:
        return self

    def putChild(self, path: bytes, child: IResource) -> None:
        raise NotImplementedError("the console is a single resource")
