"""The routes Laravel calls. Paths are a contract: Laravel code already uses them."""

from __future__ import annotations

import importlib.resources
import json
import secrets
from typing import Any, Callable

from klein import Klein
from prometheus_client.twisted import MetricsResource
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from werkzeug.exceptions import HTTPException

from ..auth import LOCAL, ApiKey, KeyRing
from ..config import ApiSettings
from ..ledger import CommandDesk, event_body
from ..metrics import Metrics
from ..push import PushFactory
from ..ratelimit import RateLimiter
from ..robotarget import PlanDesk, RoboTarget
from ..voyager import VoyagerError, VoyagerLink
from . import command_bodies as bodies
from . import validation as check
from .envelope import ApiError, from_voyager_error, invalid, write_json
from .recent import RecentEvents
from .robotarget_routes import add_robotarget_routes

JSON_MEDIA = "application/json"
OPENAPI_DOCUMENT = importlib.resources.files(__package__).joinpath("openapi.json").read_bytes()
CORS_ALLOWED_HEADERS = "Content-Type, X-API-Key, Idempotency-Key, If-None-Match"


def _post(app: Klein, path: str, method: str, params: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A POST route sending one Voyager method, its params built from the JSON body."""

    async def route(self: RestApi, request: IRequest) -> bytes:
        key = self._caller(request, control=True, command=True)
        return await self._command(request, method, params(self._body(request)), key=key)

    # Klein names endpoints after their function: each needs its own name.
    route.__name__ = route.__qualname__ = "post" + path.replace("/", "_").replace("-", "_")
    return app.route(path, methods=["POST"])(route)


class RestApi:
    """
    Every HTTP route: health, state, commands, ledger.

    State is given to the constructor (Klein's non-global-state pattern); each
    route authenticates, rate-limits, validates, then answers from the cache
    or through the Voyager link.
    """

    app = Klein()
    _log = Logger()

    def __init__(
        self,
        link: VoyagerLink,
        clock: IReactorTime,
        settings: ApiSettings,
        keys: KeyRing,
        metrics: Metrics,
        desk: CommandDesk,
        push: PushFactory,
        websocket: IResource,
        robotarget: RoboTarget,
    ) -> None:
        self._push = push
        self._robotarget = robotarget
        self._plans = PlanDesk(robotarget)
        self._link = link
        self._desk = desk
        self._ledger = desk.ledger
        self._websocket = websocket
        self._metrics = metrics
        self._clock = clock
        self._settings = settings
        self._keys = keys
        self._started_at = clock.seconds()
        self._allowed_methods = frozenset(settings.allowed_methods)
        self._recent = RecentEvents(link.events, settings.recent_events)
        self._read_limits = RateLimiter(clock, settings.read_rate, settings.read_burst)
        self._command_limits = RateLimiter(clock, settings.command_rate, settings.command_burst)
        self._run_id = secrets.token_hex(4)
        self._state_body: tuple[int, bytes] | None = None

    # Plumbing.

    def _caller(self, request: IRequest, control: bool = False, command: bool = False) -> ApiKey:
        """Authenticate, check the role, spend a rate-limit token."""
        self._cors(request)
        key = self._authenticate(request)
        if control and not key.can_control:
            raise ApiError(403, "forbidden", f"the key {key.name!r} has the read role; this needs control")
        limiter = self._command_limits if command else self._read_limits
        wait = limiter.take(key.name)
        if wait:
            raise ApiError(
                429, "rate_limited", "too many requests; slow down",
                headers={"Retry-After": RateLimiter.retry_after(wait)},
            )
        return key

    def _authenticate(self, request: IRequest) -> ApiKey:
        if not self._keys.enabled:
            return LOCAL
        presented = request.getHeader("X-API-Key")
        if presented is None:
            values = request.args.get(b"api_key")
            presented = values[0].decode("utf-8", "replace") if values else None
        client = request.getClientAddress()
        address = getattr(client, "host", str(client))
        if not presented:
            self._log.warn("API request without a key from {address}", address=address)
            raise ApiError(401, "unauthorized", "an API key is required (X-API-Key header)")
        key = self._keys.find(presented)
        if key is None:
            self._log.warn("API request with an unknown key from {address}", address=address)
            raise ApiError(403, "forbidden", "the API key is not valid")
        return key

    def _cors(self, request: IRequest) -> None:
        origin = request.getHeader("Origin")
        if origin and origin in self._settings.cors_origins:
            request.setHeader("Access-Control-Allow-Origin", origin)
            request.setHeader("Vary", "Origin")

    def _body(self, request: IRequest) -> dict[str, Any]:
        """The JSON object sent, C{{}} for an empty body; 413, 415 and 400 otherwise."""
        content = request.content
        content.seek(0, 2)
        size = content.tell()
        if size > self._settings.max_body_bytes:
            raise ApiError(413, "body_too_large", f"the body is over {self._settings.max_body_bytes} bytes")
        if size == 0:
            return {}
        media = (request.getHeader("Content-Type") or "").split(";")[0].strip().lower()
        if media != JSON_MEDIA:
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        content.seek(0)
        try:
            body = json.loads(content.read())
        except ValueError as error:
            raise ApiError(400, "invalid_json", f"the body is not valid JSON: {error}") from None
        if body == []:
            return {}  # PHP encodes an empty array, Laravel's default body, as []
        return check.json_object(body)

    async def _command(
        self, request: IRequest, method: str, params: dict[str, Any], *, key: ApiKey | None = None
    ) -> bytes:
        """Send a command for the caller; answer its final result (or 202 after the ack)."""
        if key is None:
            key = self._caller(request, control=True, command=True)
        if not key.may_call(method):
            raise ApiError(403, "forbidden", f"the key {key.name!r} may not call {method}")
        idempotency_key = request.getHeader("Idempotency-Key")
        if idempotency_key:
            earlier = self._ledger.replay(key.name, idempotency_key)
            if earlier is not None:
                request.setHeader("Idempotent-Replay", "true")
                return write_json(request, {"success": True, **earlier.as_dict()}, 200 if earlier.command.is_final else 202)
        wait = request.args.get(b"wait", [b"true"])[0].lower() not in (b"false", b"0", b"no")
        timeout = check.query_seconds(request.args, "timeout", self._link.max_timeout)
        entry = self._desk.submit(method, params, key.name, idempotency_key, timeout=timeout)
        command = entry.command
        if not wait:
            await command.acknowledged()
            request.setHeader("Location", f"/api/commands/{command.uid}")
            return write_json(request, {"success": True, **entry.as_dict()}, 202)
        await command.finished()
        return write_json(request, {"success": True, **entry.as_dict()})

    # Errors: always our envelope, never an HTML page or a traceback.

    @app.handle_errors(ApiError)
    def _api_error(self, request: IRequest, failure: Failure) -> bytes:
        error = failure.value
        for name, value in error.headers.items():
            request.setHeader(name, value)
        return write_json(request, error.body(), error.status)

    @app.handle_errors(VoyagerError)
    def _voyager_error(self, request: IRequest, failure: Failure) -> bytes:
        return self._api_error(request, Failure(from_voyager_error(failure.value)))

    @app.handle_errors(HTTPException)
    def _http_error(self, request: IRequest, failure: Failure) -> bytes:
        error = failure.value
        status = error.code
        allowed = [m for m in getattr(error, "valid_methods", None) or [] if m != "OPTIONS"]
        if status == 405 and not allowed:
            status = 404  # only the CORS preflight route matched: the path does not exist
        if status == 404:
            body = ApiError(404, "not_found", "no such route").body()
        elif status == 405:
            request.setHeader("Allow", ", ".join(allowed))
            body = ApiError(405, "method_not_allowed", f"use {', '.join(allowed)}").body()
        else:
            body = ApiError(status, "http_error", error.description or "HTTP error").body()
        return write_json(request, body, status)

    @app.handle_errors(Exception)
    def _internal_error(self, request: IRequest, failure: Failure) -> bytes:
        self._log.failure("unexpected error answering {uri}", failure, uri=request.uri)
        return write_json(request, ApiError(500, "internal_error", "internal error; see the proxy's log").body(), 500)

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

    @app.route("/health", methods=["GET"])
    def health(self, request: IRequest) -> bytes:
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
            },
        )

    @app.route("/health/ready", methods=["GET"])
    def health_ready(self, request: IRequest) -> bytes:
        voyager = self._voyager_health()
        return write_json(request, {"ready": voyager["ready"], "voyager": voyager}, 200 if voyager["ready"] else 503)

    @app.route("/metrics", methods=["GET"])
    def metrics(self, request: IRequest) -> Any:
        """Prometheus text format; needs a key when keys are configured (api_key works for scrapers)."""
        self._caller(request)
        return MetricsResource(self._metrics.registry)

    @app.route("/ws", methods=["GET"])
    def websocket(self, request: IRequest) -> IResource:
        """The dashboards' WebSocket (see voyager_proxy.push)."""
        return self._websocket

    @app.route("/api/openapi.json", methods=["GET"])
    def openapi(self, request: IRequest) -> bytes:
        """This API's OpenAPI 3.1 document."""
        self._cors(request)
        request.setHeader("Content-Type", "application/json; charset=utf-8")
        return OPENAPI_DOCUMENT

    # CORS preflight.

    @app.route("/api/<path:anything>", methods=["OPTIONS"])
    def preflight(self, request: IRequest, anything: str) -> bytes:
        self._cors(request)
        request.setResponseCode(204)
        request.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
        request.setHeader("Access-Control-Allow-Headers", CORS_ALLOWED_HEADERS)
        request.setHeader("Access-Control-Max-Age", "600")
        return b""

    # Reads, from the cache.

    @app.route("/api/status/connection", methods=["GET"])
    def connection(self, request: IRequest) -> bytes:
        self._caller(request)
        return write_json(request, {"success": True, "connection": self._link.status.as_dict()})

    @app.route("/api/dashboard/state", methods=["GET"])
    def dashboard_state(self, request: IRequest) -> bytes:
        self._caller(request)
        state = self._link.cache
        generation = state.generation
        if self._state_body is None or self._state_body[0] != generation:
            self._state_body = (generation, json.dumps({"success": True, "state": state.snapshot()}).encode())
        etag = f'"{self._run_id}-{generation}"'
        request.setHeader("ETag", etag)
        request.setHeader("Cache-Control", "no-cache")
        if request.getHeader("If-None-Match") == etag:
            request.setResponseCode(304)
            return b""
        request.setHeader("Content-Type", "application/json; charset=utf-8")
        return self._state_body[1]

    @app.route("/api/camera/preview", methods=["GET"])
    def preview(self, request: IRequest) -> bytes:
        self._caller(request)
        preview = self._link.cache.preview
        if preview is None:
            raise ApiError(404, "no_preview", "no preview image since the proxy started")
        if JSON_MEDIA in (request.getHeader("Accept") or ""):
            return write_json(
                request,
                {"success": True, "metadata": preview.metadata, "receivedAt": preview.received_at,
                 "base64": preview.base64_data},
            )
        metadata = preview.metadata
        for header, field in (("File", "fileName"), ("Width", "width"), ("Height", "height"),
                              ("Exposure", "exposure"), ("Filter", "filter"), ("HFD", "hfd")):
            if metadata.get(field) is not None:
                request.setHeader(f"X-Preview-{header}", str(metadata[field]))
        request.setHeader("X-Preview-Received-At", str(preview.received_at))
        request.setHeader("Content-Type", "image/jpeg")
        request.setHeader("Cache-Control", "no-cache")
        return preview.jpeg

    @app.route("/api/events/recent", methods=["GET"])
    def recent_events(self, request: IRequest) -> bytes:
        self._caller(request)
        limit = check.query_int(request.args, "limit", 1, self._settings.recent_events, 50)
        kinds = request.args.get(b"type")
        name = kinds[0].decode("utf-8", "replace") if kinds else None
        return write_json(request, {"success": True, "events": self._recent.latest(limit, name)})

    @app.route("/api/commands", methods=["GET"])
    def commands(self, request: IRequest) -> bytes:
        self._caller(request)
        limit = check.query_int(request.args, "limit", 1, self._settings.ledger_size, 50)
        return write_json(request, {"success": True, "commands": [e.as_dict() for e in self._ledger.latest(limit)]})

    @app.route("/api/commands/<uid>", methods=["GET"])
    def command_entry(self, request: IRequest, uid: str) -> bytes:
        self._caller(request)
        entry = self._ledger.get(uid)
        if entry is None:
            raise ApiError(404, "unknown_command", f"no command {uid} in the ledger")
        return write_json(request, {"success": True, **entry.as_dict()})

    # Commands.

    dashboard_enable = _post(app, "/api/dashboard/enable", "RemoteSetDashboardMode", lambda body: {"IsOn": True})
    dashboard_disable = _post(app, "/api/dashboard/disable", "RemoteSetDashboardMode", lambda body: {"IsOn": False})
    abort = _post(app, "/api/control/abort", "Abort", lambda body: {"IsHalt": True})
    setup_connect = _post(
        app,
        "/api/setup/connect",
        "RemoteSetupConnect",
        lambda body: {"TimeoutConnect": check.integer(body, "timeout", 1, 600, 60)},
    )
    setup_disconnect = _post(
        app,
        "/api/setup/disconnect",
        "RemoteSetupDisconnect",
        lambda body: {"TimeoutDisconnect": check.integer(body, "timeout", 1, 600, 60)},
    )
    park = _post(app, "/api/telescope/park", "RemoteMountFastCommand", lambda body: {"CommandType": 3})
    unpark = _post(app, "/api/telescope/unpark", "RemoteMountFastCommand", lambda body: {"CommandType": 4})
    tracking_start = _post(app, "/api/telescope/tracking/start", "RemoteMountFastCommand", lambda body: {"CommandType": 1})
    tracking_stop = _post(app, "/api/telescope/tracking/stop", "RemoteMountFastCommand", lambda body: {"CommandType": 2})
    goto = _post(
        app,
        "/api/telescope/goto",
        "RemotePrecisePointTarget",
        lambda body: {
            "IsText": False,
            "RA": check.angle(body, "ra", 0, 24, wraps=True),
            "DEC": check.angle(body, "dec", -90, 90, wraps=False),
            "RAText": "",
            "DECText": "",
            "Parallelized": False,
        },
    )
    camera_shot = _post(
        app,
        "/api/camera/shot",
        "RemoteCameraShot",
        lambda body: {
            "Expo": check.number(body, "exposure", 0, 3600, above=True),
            "Bin": check.integer(body, "binning", 1, 4, 1),
            "IsROI": False, "ROITYPE": 0, "ROIX": 0, "ROIY": 0, "ROIDX": 0, "ROIDY": 0,
            "FilterIndex": check.integer(body, "filterIndex", 0, 31, 0),
            "ExpoType": check.integer(body, "type", 0, 3, 0),
            "SpeedIndex": 0,
            "ReadoutIndex": 0,
            "IsSaveFile": True,
            "FitFileName": "%%fitdir%%\\voyager-proxy.fit",
            "Gain": check.gain_or_offset(body, "gain"),
            "Offset": check.gain_or_offset(body, "offset"),
            "Parallelized": False,
        },
    )
    camera_cool = _post(
        app,
        "/api/camera/cool",
        "RemoteCooling",
        lambda body: {
            "IsSetPoint": False, "IsCoolDown": True, "IsASync": True, "IsWarmup": False, "IsCoolerOFF": False,
            "Temperature": check.number(body, "temperature", -60, 40),
        },
    )
    camera_warm = _post(
        app,
        "/api/camera/warm",
        "RemoteCooling",
        lambda body: {
            "IsSetPoint": False, "IsCoolDown": False, "IsASync": True, "IsWarmup": True, "IsCoolerOFF": False,
            "Temperature": 0,
        },
    )
    autofocus = _post(app, "/api/utils/autofocus", "RemoteFocusEx", bodies.autofocus)
    platesolve = _post(
        app,
        "/api/utils/platesolve", "RemoteSolveActualPosition", lambda body: {"IsBlind": False, "IsSync": False}
    )
    focuser_move = _post(app, "/api/focuser/move", "RemoteFocuserMoveTo", bodies.focuser_move)
    focuser_offset = _post(app, "/api/focuser/offset", "RemoteFocuserOffset", bodies.focuser_offset)
    filter_change = _post(
        app,
        "/api/filter/change",
        "RemoteFilterChangeTo",
        lambda body: {"FilterIndex": check.integer(body, "filterIndex", 0, 31)},
    )

    @app.route("/api/rooms/<room>/events", methods=["POST"])
    def room_event(self, request: IRequest, room: str) -> bytes:
        """Push C{{event, data}} to every WebSocket client in a booking room."""
        self._caller(request, control=True)
        body = self._body(request)
        event = body.get("event")
        if not isinstance(event, str) or not event:
            raise invalid("event", "must be a non-empty string")
        data = body.get("data", {})
        if not isinstance(data, dict):
            raise invalid("data", "must be a JSON object")
        delivered = self._push.publish_to_room(room, event, data)
        return write_json(request, {"success": True, "room": room, "delivered": delivered})

    @app.route("/api/telescope/status", methods=["GET"])
    async def telescope_status(self, request: IRequest) -> bytes:
        key = self._caller(request, command=True)
        event = await self._desk.submit("RemoteMountStatusGetInfo", {}, key.name).command.finished()
        return write_json(request, {"success": True, "mount": event.fields.get("ParamRet"), "result": event_body(event)})

    @app.route("/api/commands/<method>", methods=["POST"])
    async def passthrough(self, request: IRequest, method: str) -> bytes:
        key = self._caller(request, control=True, command=True)
        if method not in self._allowed_methods:
            raise ApiError(403, "method_not_allowed", f"{method} is not on the command allow-list (api.allowed_methods)")
        params = self._body(request)
        if "UID" in params and method != "RemoteActionAbort":
            raise invalid("UID", "is chosen by the proxy")
        return await self._command(request, method, params, key=key)


add_robotarget_routes(RestApi.app)
