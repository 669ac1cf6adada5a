"""
The routes Laravel calls, each declared once in L{voyager_proxy.rest.routes}.
Paths are a contract: Laravel code already uses them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from klein import Klein
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from werkzeug.exceptions import HTTPException

from .. import client_json
from ..auth import LOCAL, ApiKey, KeyRing
from ..config import ApiSettings
from ..images.api import ImageApi
from ..keys import is_narrowed
from ..ledger import CommandDesk, event_body
from ..metrics import Metrics
from ..origins import Hosts
from ..ratelimit import FailedAuthentications
from ..robotarget import PlanDesk, RoboTarget
from ..rooms import Rooms, room_name_problem
from ..tokens import TokenIssuer
from ..voyager import VoyagerLink
from ..webhooks.routes import WebhookOperator
from .document import build_document, encode
from .envelope import ApiError, invalid, write_json
from .guard import Guard, answer_in_envelope, header_text
from .recent import RecentEvents
from .robotarget_routes import RoboTargetApi
from .routes import COMMAND_QUERY, ROBOTARGET, ROUTES, Route, route

F = TypeVar("F", bound=Callable[..., Any])


def serves(app: Klein, method: str, path: str, mount: str = "") -> Callable[[F], F]:
    """
    Register the handler of the table's route C{method path} on C{app} (at
    C{path} less the C{mount} point). The handler is given the route, its
    bounds read from the settings, after the request itself.
    """
    declared = route(method, path)

    def register(handler: F) -> F:
        def endpoint(self: Any, request: IRequest, **kwargs: Any) -> Any:
            return handler(self, request, self.routes[declared.name], **kwargs)

        app.route(path[len(mount) :], methods=[method], endpoint=declared.name)(endpoint)
        return handler

    return register


class RestApi:
    """
    Every HTTP route: health, state, commands, ledger; /api/robotarget is
    L{RoboTargetApi}, mounted by one route.

    State is given to the constructor (Klein's non-global-state pattern); each
    route is admitted by the shared L{Guard}, validates, then answers from the
    cache or through the Voyager link.
    """

    app = Klein()
    answer_in_envelope(app)

    def __init__(
        self,
        link: VoyagerLink,
        clock: IReactorTime,
        settings: ApiSettings,
        keys: KeyRing,
        metrics: Metrics,
        desk: CommandDesk,
        rooms: Rooms,
        websocket: IResource,
        robotarget: RoboTarget,
        failures: FailedAuthentications,
        hosts: Hosts,
        images: Callable[[Guard], ImageApi],
        tokens: TokenIssuer,
        webhooks: WebhookOperator | None = None,
    ) -> None:
        self._tokens = tokens
        self._rooms = rooms
        self._webhooks = webhooks or WebhookOperator(None)
        self._robotarget = robotarget
        self._link = link
        self._desk = desk
        self._ledger = desk.ledger
        self._websocket = websocket
        self._metrics = metrics
        self._clock = clock
        self._settings = settings
        self._started_at = clock.seconds()
        self._allowed_methods = frozenset(settings.allowed_methods)
        self._recent = RecentEvents(link.events, settings.recent_events, desk.ledger.owner_of)
        self._run_id = secrets.token_hex(4)
        self._state_body: tuple[int, bytes] | None = None
        self.routes = {declared.name: declared.resolve(settings) for declared in ROUTES}
        self._command_query = tuple(query.resolve(settings) for query in COMMAND_QUERY)
        self.guard = Guard(clock, settings, keys, hosts, failures, tokens)
        self.document = encode(build_document(ROUTES, settings))
        self._images = images(self.guard)
        self._robotarget_api = RoboTargetApi(
            self.guard, self.routes, clock, robotarget, PlanDesk(robotarget, self._ledger.idempotency), desk
        )
        self._robotarget_resource = self._robotarget_api.app.resource()
        self._maps = (self.app.url_map.bind("proxy"), self._robotarget_api.app.url_map.bind("proxy"))

    def route_of(self, path: str, method: str) -> Route | None:
        """The route of the table C{path} matches, if any."""
        return self.routes.get(self.route_name(path, method))

    def route_name(self, path: str, method: str) -> str:
        """The name of the route C{path} matches (a metrics label), or C{unmatched}."""
        maps = [(self._maps[1], path[len(ROBOTARGET) :])] if path.startswith(ROBOTARGET + "/") else []
        for routes, rest in [*maps, (self._maps[0], path)]:
            try:
                endpoint, _ = routes.match(rest, method=method)
            except HTTPException:
                continue
            return str(endpoint)
        return "unmatched"

    # Commands: ?wait= (and any other parameter of every command) is read here only.

    async def _command(self, request: IRequest, method: str, params: dict[str, Any], *, key: ApiKey) -> bytes:
        """Send a command for the caller; answer its final result (or 202 after the ack)."""
        idempotency_key = header_text(request, "Idempotency-Key")
        sent = (request.method, request.path, params)  # what an Idempotency-Key is bound to
        if idempotency_key:
            earlier = self._ledger.replay(key.name, idempotency_key, sent)
            if earlier is not None:
                request.setHeader("Idempotent-Replay", "true")
                return write_json(
                    request, {"success": True, **earlier.as_dict()}, 200 if earlier.command.is_final else 202
                )
        options = {query.name: query.read(request.args) for query in self._command_query}
        entry = self._desk.submit(
            method, params, key.name, idempotency_key, options["timeout"], narrowed=is_narrowed(key), request=sent
        )
        command = entry.command
        if not options["wait"]:
            await self._desk.answer(command, acknowledged=True)
            request.setHeader("Location", f"/api/commands/{command.uid}")
            return write_json(request, {"success": True, **entry.as_dict()}, 202)
        await self._desk.answer(command)
        return write_json(request, {"success": True, **entry.as_dict()})

    def _key(self, request: IRequest, declared: Route) -> ApiKey:
        return self.guard.admit(request, declared) or LOCAL

    async def command(self, request: IRequest, declared: Route) -> bytes:
        """Any command route of the table: admit, read the body's fields, send."""
        key = self._key(request, declared)
        body = self.guard.body(request)
        values = declared.body.read(body) if declared.body is not None else {}
        (method,) = declared.sends
        assert declared.params is not None
        return await self._command(request, method, declared.params(values), key=key)

    # Health (no authentication).

    def _voyager_health(self) -> dict[str, Any]:
        status = self._link.status
        return {
            "connected": status.connected,
            "authenticated": status.authenticated,
            "ready": status.ready,
            "status": status.state.value,
            "since": status.since,
            "lastError": status.last_error,
        }

    @serves(app, "GET", "/health")
    def health(self, request: IRequest, declared: Route) -> bytes:
        now = self._clock.seconds()
        voyager = self._voyager_health()
        return write_json(
            request,
            {
                "status": "ok" if voyager["ready"] else "degraded",
                "timestamp": now,
                "uptime": now - self._started_at,
                "voyager": voyager,
                "robotarget": self._robotarget.describe(),
                "webhooks": self._webhooks.state(),
            },
        )

    @serves(app, "GET", "/health/ready")
    def health_ready(self, request: IRequest, declared: Route) -> bytes:
        voyager = self._voyager_health()
        return write_json(request, {"ready": voyager["ready"], "voyager": voyager}, 200 if voyager["ready"] else 503)

    @serves(app, "GET", "/metrics")
    def metrics(self, request: IRequest, declared: Route) -> bytes:
        """
        Prometheus text format; needs a key when keys are configured (api_key
        works for scrapers). Rendered here, in the reactor (our registry is
        small), so HEAD is answered as GET is, which the WSGI exporter refuses.
        """
        self._key(request, declared)
        request.setHeader("Content-Type", CONTENT_TYPE_LATEST)
        return generate_latest(self._metrics.registry)

    @app.route("/ws", methods=["GET"])
    def websocket(self, request: IRequest) -> IResource:
        """The dashboards' WebSocket (see voyager_proxy.push)."""
        return self._websocket

    @serves(app, "GET", "/api/openapi.json")
    def openapi(self, request: IRequest, declared: Route) -> bytes:
        """This API's OpenAPI 3.1 document, built from the route table at start-up."""
        self.guard.admit(request, declared)
        request.setHeader("Content-Type", "application/json; charset=utf-8")
        return self.document

    @serves(app, "POST", "/api/tokens")
    def tokens(self, request: IRequest, declared: Route) -> bytes:
        """A token for the key presented, so that a browser need not keep the key."""
        key = self._key(request, declared)
        token, expires = self._tokens.issue(key, self._clock.seconds())
        request.setHeader("Cache-Control", "no-store")
        return write_json(request, {"success": True, "token": token, "exp": expires})

    @app.route("/api/<path:anything>", methods=["OPTIONS"])
    def preflight(self, request: IRequest, anything: str) -> bytes:
        return self.guard.preflight(request)

    @app.route(ROBOTARGET, branch=True)
    def robotarget(self, request: IRequest) -> IResource:
        """Every /api/robotarget route: L{RoboTargetApi}, over the same guard."""
        return self._robotarget_resource

    # Reads, from the cache.

    @serves(app, "GET", "/api/status/connection")
    def connection(self, request: IRequest, declared: Route) -> bytes:
        self._key(request, declared)
        return write_json(request, {"success": True, "connection": self._link.status.as_dict()})

    @serves(app, "GET", "/api/dashboard/state")
    def dashboard_state(self, request: IRequest, declared: Route) -> bytes:
        self._key(request, declared)
        state = self._link.cache
        generation = state.generation
        if self._state_body is None or self._state_body[0] != generation:
            self._state_body = (generation, client_json.dumps({"success": True, "state": state.snapshot()}))
        etag = f'"{self._run_id}-{generation}"'
        request.setHeader("ETag", etag)
        request.setHeader("Cache-Control", "no-cache")
        if header_text(request, "If-None-Match") == etag:
            request.setResponseCode(304)
            return b""
        request.setHeader("Content-Type", "application/json; charset=utf-8")
        return self._state_body[1]

    @serves(app, "GET", "/api/camera/preview")
    def preview(self, request: IRequest, declared: Route) -> Any:
        return self._images.camera_preview(request, declared)

    # Images (voyager_proxy.images answers them).

    @serves(app, "GET", "/api/images")
    def images(self, request: IRequest, declared: Route) -> bytes:
        return self._images.listed(request, declared)

    @serves(app, "GET", "/api/images/latest")
    def latest_image(self, request: IRequest, declared: Route) -> bytes:
        return self._images.latest(request, declared)

    @serves(app, "GET", "/api/images/<image>.jpg")
    def image_jpeg(self, request: IRequest, declared: Route, image: str) -> Any:
        return self._images.jpeg(request, declared, image)

    @serves(app, "GET", "/api/images/<image>.json")
    def image_metadata(self, request: IRequest, declared: Route, image: str) -> bytes:
        return self._images.metadata(request, declared, image)

    @serves(app, "GET", "/api/events/recent")
    def recent_events(self, request: IRequest, declared: Route) -> bytes:
        key = self._key(request, declared)
        limit, name = (query.read(request.args) for query in declared.query)
        return write_json(request, {"success": True, "events": self._recent.latest(limit, name, key)})

    @serves(app, "GET", "/api/commands")
    def commands(self, request: IRequest, declared: Route) -> bytes:
        key = self._key(request, declared)
        (limit,) = (query.read(request.args) for query in declared.query)
        entries = self._ledger.latest(limit, key.name if is_narrowed(key) else None)
        return write_json(request, {"success": True, "commands": [e.as_dict() for e in entries]})

    @serves(app, "GET", "/api/commands/<uid>")
    def command_entry(self, request: IRequest, declared: Route, uid: str) -> bytes:
        key = self._key(request, declared)
        entry = self._ledger.get(uid)
        if entry is None or (is_narrowed(key) and entry.sender != key.name):
            raise ApiError(404, "unknown_command", f"no command {uid} in the ledger")
        return write_json(request, {"success": True, **entry.as_dict()})

    @serves(app, "GET", "/api/telescope/status")
    async def telescope_status(self, request: IRequest, declared: Route) -> bytes:
        key = self._key(request, declared)
        (method,) = declared.sends
        event = await self._desk.answer(self._desk.submit(method, {}, key.name).command)
        return write_json(
            request, {"success": True, "mount": event.fields.get("ParamRet"), "result": event_body(event)}
        )

    @serves(app, "POST", "/api/rooms/<room>/events")
    def room_event(self, request: IRequest, declared: Route, room: str) -> bytes:
        """Push C{{event, data}} to every WebSocket client in a booking room."""
        self._key(request, declared)
        problem = room_name_problem(room)
        if problem is not None:
            raise invalid("room", problem)
        assert declared.body is not None
        body = declared.body.read(self.guard.body(request))
        delivered = self._rooms.post(room, body["event"], body["data"])
        return write_json(request, {"success": True, "room": room, "delivered": delivered})

    @serves(app, "POST", "/api/commands/<method>")
    async def passthrough(self, request: IRequest, declared: Route, method: str) -> bytes:
        key = self._key(request, declared)
        if method not in self._allowed_methods:
            raise ApiError(
                403, "method_not_allowed", f"{method} is not on the command allow-list (api.allowed_methods)"
            )
        self.guard.check_methods(key, (method,))
        params = self.guard.body(request)
        return await self._command(request, method, params, key=key)

    # Webhooks: the outbox of deliveries to Laravel (see voyager_proxy.webhooks).

    @serves(app, "GET", "/api/webhooks/deliveries")
    async def webhook_deliveries(self, request: IRequest, declared: Route) -> bytes:
        self._key(request, declared)
        status, limit = (query.read(request.args) for query in declared.query)
        return write_json(request, {"success": True, **await self._webhooks.deliveries(status, limit)})

    @serves(app, "GET", "/api/webhooks/deliveries/<id>")
    async def webhook_delivery(self, request: IRequest, declared: Route, id: str) -> bytes:
        self._key(request, declared)
        return write_json(request, {"success": True, **await self._webhooks.delivery(id)})

    @serves(app, "POST", "/api/webhooks/deliveries/<id>/retry")
    async def webhook_retry(self, request: IRequest, declared: Route, id: str) -> bytes:
        self._key(request, declared)
        return write_json(request, {"success": True, **await self._webhooks.retry(id)})

    @serves(app, "POST", "/api/webhooks/test")
    async def webhook_test(self, request: IRequest, declared: Route) -> bytes:
        key = self._key(request, declared)
        return write_json(request, {"success": True, **await self._webhooks.test(key.name)}, 202)

    @serves(app, "POST", "/api/webhooks/enable")
    async def webhook_enable(self, request: IRequest, declared: Route) -> bytes:
        self._key(request, declared)
        return write_json(request, {"success": True, **await self._webhooks.enable()})


def _command_route(declared: Route) -> None:
    """Register the generic command handler for one command route of the table."""

    def handler(self: RestApi, request: IRequest, declared: Route) -> Any:
        return self.command(request, declared)

    serves(RestApi.app, declared.method, declared.path)(handler)


for _declared in ROUTES:
    if _declared.is_command and not _declared.path_parameters:
        _command_route(_declared)


def klein_rules() -> set[tuple[str, str]]:
    """Every (HTTP method, path) served by the Klein apps, the mount and CORS preflights aside."""
    found = set()
    for app, prefix in ((RestApi.app, ""), (RoboTargetApi.app, ROBOTARGET)):
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ("robotarget", "robotarget_branch", "preflight"):
                continue
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((method, prefix + rule.rule))
    return found
