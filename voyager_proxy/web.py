"""The HTTP root served on the API port, measured for Prometheus, and the composition of what it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote_to_bytes

import attrs
from autobahn.twisted.resource import WebSocketResource
from twisted.internet.interfaces import IReactorCore, IReactorFromThreads, IReactorTime
from twisted.web.http import Request
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from zope.interface import implementer

from .auth import KeyRing
from .config import ApiSettings, ConsoleSettings, HttpSettings, ImageSettings, RoboTargetSettings, WebSocketSettings
from .console.bundle import Bundle
from .console.resource import ConsoleResource
from .console.resource import serves as serves_console
from .images import Downscaler, ImageApi, ImageLibrary, ImageStore, ResizePool
from .images.disk import ThreadedDisk
from .images.store import DiskProblems, InlineDisk
from .images.tokens import DashboardTokens
from .ledger import CommandDesk, CommandLedger
from .metrics import Metrics
from .origins import Hosts
from .push import PushFactory
from .ratelimit import FailedAuthentications
from .rest.api import RestApi
from .rest.envelope import ApiError
from .rest.guard import answer_error
from .robotarget import RoboTarget
from .rooms import Rooms
from .tokens import TokenIssuer
from .voyager import VoyagerLink
from .webhooks import EventSources, Webhooks
from .webhooks.routes import WebhookOperator


@implementer(IResource)
class MeasuredResource:
    """
    Counts every answered request under the name of the route it matched,
    after the checks every request passes (L{Guard.screen}), whatever its path;
    the console's paths go to C{console} (when it is on), the others to the API.
    """

    isLeaf = True

    def __init__(self, api: RestApi, metrics: Metrics, console: ConsoleResource | None = None) -> None:
        self._inner = api.app.resource()
        self._api = api
        self._metrics = metrics
        self._console = console

    def _console_for(self, request: IRequest) -> ConsoleResource | None:
        return self._console if serves_console(request.path.decode("utf-8", "replace")) else None

    def _route(self, request: IRequest) -> str:
        if self._console_for(request) is not None:
            return "console"
        return self._api.route_name(request.path.decode("utf-8", "replace"), request.method.decode("latin-1"))

    def refuses_unread(self, request: IRequest) -> bool:
        """Whether C{request} is refused from its headers alone, so its body need not be read."""
        route = self._api.route_of(request.path.decode("utf-8", "replace"), request.method.decode("latin-1"))
        return self._api.guard.refuses_unread(request, route)

    def render(self, request: IRequest) -> Any:
        route = self._route(request)
        served = cast(Request, request)  # Twisted Web's own request, which can say when it is finished
        served.notifyFinish().addBoth(lambda _: self._metrics.request_finished(served, route))
        try:
            self._api.guard.screen(request)
            _check_target(request)
        except ApiError as error:
            return answer_error(request, error)
        return (self._console_for(request) or self._inner).render(request)

    def getChildWithDefault(self, name: bytes, request: IRequest) -> IResource:
        return self

    def putChild(self, path: bytes, child: IResource) -> None:
        raise NotImplementedError("the API is a single Klein resource")


def _check_target(request: IRequest) -> None:
    """400 for a request target with a fragment, or a path that is not UTF-8 once percent-decoded."""
    if b"#" in request.uri:
        raise ApiError(400, "bad_request", "a request target carries no fragment")
    try:
        unquote_to_bytes(request.path).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_request", "the path is not UTF-8 once percent-decoded") from None


@attrs.frozen
class Front:
    """The resource tree, and what a clean stop must answer: the command desk and the dashboards."""

    root: MeasuredResource
    desk: CommandDesk
    push: PushFactory


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


def build_front(
    link: VoyagerLink,
    clock: IReactorTime,
    settings: ApiSettings,
    keys: KeyRing,
    websocket: WebSocketSettings | None = None,
    robotarget: RoboTargetSettings | None = None,
    images: ImageSettings | None = None,
    http: HttpSettings | None = None,
    webhooks: Webhooks | None = None,
    console: ConsoleSettings | None = None,
) -> Front:
    """
    The resource tree (C{.root}): /health, /metrics, /api (with
    /api/robotarget and /api/images) and the WebSocket at /ws; with
    C{webhooks}, the events they deliver are wired here. With it, the parts a
    clean stop needs.
    """
    websocket = websocket or WebSocketSettings()
    tokens = TokenIssuer.with_secret(websocket.jwt_secret)
    http = http or HttpSettings()
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
        tokens,
    )
    metrics.websocket_clients.set_function(lambda: push.subscribers)
    scheduler = RoboTarget(link, clock, robotarget or RoboTargetSettings())
    if webhooks is not None:
        webhooks.report = metrics.webhooks
        metrics.webhooks.watch(lambda: webhooks.pending)
        sources = EventSources(webhooks.publish)
        sources.watch_link(link)
        sources.watch_desk(desk)
        sources.watch_robotarget(scheduler)
        library.on_stored(sources.image_ready)
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
        Hosts.of(http.allowed_hosts, http.interface),
        images=lambda guard: ImageApi(library, downscaler, guard, DashboardTokens(push.gate, clock, failures).key_of),
        webhooks=WebhookOperator(webhooks),
        tokens=tokens,
    )
    shown = ConsoleResource(Bundle.shipped()) if (console or ConsoleSettings()).enabled else None
    return Front(MeasuredResource(api, metrics, shown), desk, push)
