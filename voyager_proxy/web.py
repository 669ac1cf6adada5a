"""The HTTP root: health checks; the REST API and WebSocket mount here too."""

from __future__ import annotations

import json
from typing import Any

from klein import Klein
from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from .voyager.link import VoyagerLink

JSON_TYPE = "application/json; charset=utf-8"


class HttpRoot:
    """
    Everything served on the HTTP port.

    C{GET /health} (always 200) and C{GET /health/ready} (200 only while the
    Voyager session is ready, 503 otherwise).
    """

    app = Klein()

    def __init__(self, link: VoyagerLink, clock: IReactorTime) -> None:
        self._link = link
        self._clock = clock
        self._started_at = clock.seconds()

    def _voyager(self) -> dict[str, Any]:
        status = self._link.status
        return {
            "connected": status.connected,
            "authenticated": status.authenticated,
            "ready": status.ready,
            "status": status.state.value,
            "since": status.since,
            "lastError": status.last_error,
        }

    def _json(self, request: IRequest, body: dict[str, Any], code: int = 200) -> bytes:
        request.setResponseCode(code)
        request.setHeader("Content-Type", JSON_TYPE)
        request.setHeader("Cache-Control", "no-store")
        return json.dumps(body).encode("utf-8")

    @app.route("/health", methods=["GET"])
    def health(self, request: IRequest) -> bytes:
        now = self._clock.seconds()
        voyager = self._voyager()
        return self._json(
            request,
            {
                "status": "ok" if voyager["ready"] else "degraded",
                "timestamp": now,
                "uptime": now - self._started_at,
                "voyager": voyager,
            },
        )

    @app.route("/health/ready", methods=["GET"])
    def ready(self, request: IRequest) -> bytes:
        voyager = self._voyager()
        return self._json(request, {"ready": voyager["ready"], "voyager": voyager}, 200 if voyager["ready"] else 503)


def build_root(link: VoyagerLink, clock: IReactorTime) -> IResource:
    """The resource tree served on the HTTP port."""
    return HttpRoot(link, clock).app.resource()
