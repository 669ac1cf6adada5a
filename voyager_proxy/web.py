"""The HTTP root served on the API port, measured for Prometheus."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import attrs
from autobahn.twisted.resource import WebSocketResource
from twisted.internet.interfaces import IReactorCore, IReactorFromThreads, IReactorTime
from twisted.web.http import Request, combinedLogFormatter
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from zope.interface import implementer

from .auth import ApiKey, KeyRing
from .config import ApiSettings, ImageSettings, RoboTargetSettings, WebSocketSettings
from .images import Downscaler, ImageApi, ImageLibrary, ImageStore, ResizePool
from .images.api import TokenKey
from .images.disk import ThreadedDisk
from .images.store import DiskProblems, InlineDisk
from .ledger import CommandDesk, CommandLedger
from .metrics import Metrics
from .push import PushFactory
from .push.auth import Refused, identify_token
from .ratelimit import FailedAuthentications
from .rest.api import RestApi
from .rest.envelope import ApiError
from .robotarget import RoboTarget
from .rooms import Rooms
from .voyager import VoyagerLink

_KEY_IN_QUERY = re.compile(r"(api_key=)[^&\s\"]*")


def access_log_line(timestamp: str, request: IRequest) -> str:
    """The combined log format, with an C{api_key} query parameter masked."""
    return _KEY_IN_QUERY.sub(r"\1<SECRET>", combinedLogFormatter(timestamp, request))


@implementer(IResource)
class MeasuredResource:
    """Counts every answered request under the name of the route it matched."""

    isLeaf = True

    def __init__(self, api: RestApi, metrics: Metrics) -> None:
        self._inner = api.app.resource()
        self._api = api
        self._metrics = metrics

    def _route(self, request: IRequest) -> str:
        return self._api.route_name(request.path.decode("utf-8", "replace"), request.method.decode())

    def render(self, request: IRequest) -> Any:
        route = self._route(request)
        served = cast(Request, request)  # Twisted Web's own request, which can say when it is finished
        served.notifyFinish().addBoth(lambda _: self._metrics.request_finished(served, route))
        return self._inner.render(request)

    def getChildWithDefault(self, name: bytes, request: IRequest) -> IResource:
        return self

    def putChild(self, path: bytes, child: IResource) -> None:
        raise NotImplementedError("the API is a single Klein resource")


@attrs.frozen
class Front:
    """The resource tree, and what a clean stop must answer: the command desk and the dashboards."""

    root: IResource
    desk: CommandDesk
    push: PushFactory


def token_key(websocket: WebSocketSettings, clock: IReactorTime) -> TokenKey:
    """How the image routes judge a dashboard token: as the WebSocket handshake does (origin, then the JWT)."""

    def key_of(token: str, origin: str | None) -> ApiKey:
        allowed = websocket.allowed_origins
        if origin and "*" not in allowed and origin not in allowed:
            raise ApiError(403, "forbidden", f"the origin {origin} is not allowed")
        found = identify_token(token, websocket.jwt_secret, clock.seconds(), websocket.max_token_lifetime)
        if isinstance(found, Refused):
            raise ApiError(found.status, "unauthorized" if found.status == 401 else "forbidden", found.reason)
        return found.key

    return key_of


def image_library(
    link: VoyagerLink, clock: IReactorTime, settings: ImageSettings, metrics: Metrics
) -> tuple[ImageLibrary, Downscaler]:
    """
    The store fed by the link's previews, its disk writer and its resizing
    pool (both stopped when the reactor shuts down, the writer once its
    writes are done).
    """
    reactor = cast(IReactorFromThreads, clock)
    problems = DiskProblems(metrics.image_write_failures.inc)
    # A reactor without threads (the in-memory tests' clock) has its writes made at once.
    threaded = IReactorFromThreads.providedBy(clock)
    disk = ThreadedDisk(reactor, problems) if threaded else InlineDisk(problems)
    store = ImageStore(settings.keep, settings.max_bytes, Path(settings.dir) if settings.dir else None, disk)
    library = ImageLibrary(link.events, store, settings.widths)
    pool = ResizePool(reactor, settings.resize_threads, settings.resize_queue)
    if IReactorCore.providedBy(clock):
        cast(IReactorCore, clock).addSystemEventTrigger("during", "shutdown", pool.stop)
        if isinstance(disk, ThreadedDisk):
            cast(IReactorCore, clock).addSystemEventTrigger("during", "shutdown", disk.stop)
    return library, Downscaler(store, pool)


def build_root(
    link: VoyagerLink,
    clock: IReactorTime,
    settings: ApiSettings,
    keys: KeyRing,
    websocket: WebSocketSettings | None = None,
    robotarget: RoboTargetSettings | None = None,
    images: ImageSettings | None = None,
) -> IResource:
    """The resource tree: /health, /metrics, /api (with /api/robotarget and /api/images) and the WebSocket at /ws."""
    return build_front(link, clock, settings, keys, websocket, robotarget, images).root


def build_front(
    link: VoyagerLink,
    clock: IReactorTime,
    settings: ApiSettings,
    keys: KeyRing,
    websocket: WebSocketSettings | None = None,
    robotarget: RoboTargetSettings | None = None,
    images: ImageSettings | None = None,
) -> Front:
    """L{build_root}'s tree with the parts a clean stop needs."""
    websocket = websocket or WebSocketSettings()
    metrics = Metrics(link)
    library, downscaler = image_library(link, clock, images or ImageSettings(), metrics)
    desk = CommandDesk(link, clock, metrics, CommandLedger(settings.ledger_size), settings.max_command_timeout)
    rooms = Rooms(websocket.max_rooms_per_client, websocket.max_rooms)
    failures = FailedAuthentications(clock, settings.failed_auth_rate, settings.failed_auth_burst)
    push = PushFactory(
        link,
        clock,
        keys,
        websocket,
        desk,
        frozenset(settings.allowed_methods),
        metrics,
        rooms,
        failures,
        library,
        downscaler,
    )
    metrics.websocket_clients.set_function(lambda: push.subscribers)
    scheduler = RoboTarget(link, clock, robotarget or RoboTargetSettings())
    api = RestApi(
        link,
        clock,
        settings,
        keys,
        metrics,
        desk,
        rooms,
        WebSocketResource(push),
        scheduler,
        failures,
        images=lambda guard: ImageApi(library, downscaler, guard, token_key(websocket, clock)),
    )
    return Front(MeasuredResource(api, metrics), desk, push)
