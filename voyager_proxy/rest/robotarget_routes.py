"""
The /api/robotarget routes: sets, targets, shots, progress and plans.

Their own Klein app, mounted by one route of L{RestApi}, over the same
L{Guard} (keys, roles, CORS, rate limits, body parsing) and the same error
envelope. Each route is declared in L{voyager_proxy.rest.routes}: reads need
a key; writes the control role and, on a narrowed key, each method they send.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from klein import Klein
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest

from ..ledger import CommandDesk
from ..robotarget import PlanDesk, RoboTarget
from . import robotarget_bodies as bodies
from .envelope import ApiError, write_json
from .fields import guid as checked_guid
from .guard import Guard, answer_in_envelope, header_text
from .routes import ROBOTARGET, RT, Route, route

SET, TARGET, SHOT = 2, 1, 0  # EnableDisableObject ObjectType
ENABLE, DISABLE = 0, 1  # EnableDisableObject OperationType
SHOT_HEADERS = (("HFD", "HFD"), ("Star-Index", "StarIndex"), ("Width", "PixelDimX"), ("Height", "PixelDimY"))

# (api, request, the route, the path's GUID) -> Voyager's params
Params = Callable[["RoboTargetApi", IRequest, Route, "str | None"], dict[str, Any]]


def _path_guid(field: str) -> Params:
    """Params naming the object of the path: C{{field: guid}}."""
    return lambda api, request, declared, guid: {field: checked_guid(guid, "guid")}


def _query(*names: str) -> Params:
    """Params read from the route's query fields, sent as C{names} in order."""
    return lambda api, request, declared, guid: {
        name: query.read(request.args) for name, query in zip(names, declared.query, strict=True)
    }


def _switch(object_type: int, operation: int) -> Params:
    """EnableDisableObject on the set, target or shot of the path."""
    return lambda api, request, declared, guid: {
        "RefGuidObject": checked_guid(guid, "guid"),
        "ObjectType": object_type,
        "OperationType": operation,
    }


def _shots_done_since(api: RoboTargetApi, request: IRequest, declared: Route, guid: str | None) -> dict[str, Any]:
    """C{since} is UTC epoch seconds: sent as SinceUTC, and as Since, the only one the protocol's example sends."""
    since, set_guid, target_guid = (query.read(request.args) for query in declared.query)
    return {"Since": since, "SinceUTC": since, "RefGuidSet": set_guid, "RefGuidTarget": target_guid}


def _body(read: Callable[[RoboTargetApi, Mapping[str, Any], str | None], dict[str, Any]]) -> Params:
    """Params read from the JSON body (and the path's GUID)."""
    return lambda api, request, declared, guid: read(api, api.guard.body(request), guid)


class RoboTargetApi:
    """The /api/robotarget Klein app; its paths are relative to the mount point."""

    app = Klein()
    answer_in_envelope(app)

    def __init__(
        self,
        guard: Guard,
        routes: Mapping[str, Route],
        clock: IReactorTime,
        robotarget: RoboTarget,
        plans: PlanDesk,
        desk: CommandDesk,
    ) -> None:
        self.guard = guard
        self.routes = routes
        self._clock = clock
        self._robotarget = robotarget
        self._plans = plans
        self._desk = desk

    def _call(self, name: str, params: Mapping[str, Any]) -> Deferred[dict[str, Any]]:
        """C{RemoteRoboTarget<name>}'s ParamRet, or 503 C{shutting_down} when the proxy stops first (L{CommandDesk})."""
        self._desk.refuse_when_stopping(RT + name)
        return self._desk.waiting_on(RT + name, self._robotarget.call(name, params))

    @app.route("/<path:anything>", methods=["OPTIONS"])
    def preflight(self, request: IRequest, anything: str) -> bytes:
        return self.guard.preflight(request)


def _serves(method: str, path: str) -> Callable[[Any], Any]:
    """Register a handler of the table's route C{method /api/robotarget<path>}; it is given the route."""
    declared = route(method, ROBOTARGET + path)

    def register(handler: Any) -> Any:
        def endpoint(self: RoboTargetApi, request: IRequest, **kwargs: Any) -> Any:
            return handler(self, request, self.routes[declared.name], **kwargs)

        RoboTargetApi.app.route(path, methods=[method], endpoint=declared.name)(endpoint)
        return handler

    return register


def _name(declared: Route) -> str:
    """The RoboTarget method a route sends or reads, without its prefix."""
    (method,) = declared.sends or declared.reads
    return method.removeprefix(RT)


def read(path: str, field: str, params: Params) -> None:
    """A GET answering C{{field: ParamRet.list}} of one RoboTarget method."""

    @_serves("GET", path)
    async def listed(self: RoboTargetApi, request: IRequest, declared: Route, guid: str | None = None) -> bytes:
        self.guard.admit(request, declared)
        answer = await self._call(_name(declared), params(self, request, declared, guid))
        return write_json(request, {"success": True, field: answer.get("list", [])})


def shots_done(path: str, params: Params) -> None:
    """A GET answering C{{"shotsDone": {"done": [...], "deleted": [...]}}}: Voyager's two lists, kept apart."""

    @_serves("GET", path)
    async def listed(self: RoboTargetApi, request: IRequest, declared: Route, guid: str | None = None) -> bytes:
        self.guard.admit(request, declared)
        name = _name(declared)
        answer = (await self._call(name, params(self, request, declared, guid))).get("list") or {}
        if not isinstance(answer, dict):
            raise ApiError(502, "bad_answer", f"Voyager's {name} list is not an object of done and deleted shots")
        lists = {part: answer.get(part) or [] for part in ("done", "deleted")}
        return write_json(request, {"success": True, "shotsDone": lists})


def write(method: str, path: str, params: Params, status: int = 200, returns: str | None = None) -> None:
    """A write sending one RoboTarget method; C{returns} names the param answered as C{guid}."""

    @_serves(method, path)
    async def written(self: RoboTargetApi, request: IRequest, declared: Route, guid: str | None = None) -> bytes:
        self.guard.admit(request, declared)
        sent = params(self, request, declared, guid)
        await self._call(_name(declared), sent)
        return write_json(request, {"success": True, **({"guid": sent[returns]} if returns else {})}, status)


@_serves("GET", "/status")
def status(self: RoboTargetApi, request: IRequest, declared: Route) -> bytes:
    self.guard.admit(request, declared)
    return write_json(request, {"success": True, "robotarget": self._robotarget.describe()})


# Sets and base sequences.
read("/sets", "sets", _query("ProfileName"))
write("POST", "/sets", _body(lambda api, body, guid: bodies.set_params(body)), 201, "Guid")
write(
    "PUT",
    "/sets/<guid>",
    _body(lambda api, body, guid: bodies.set_params(body, guid_from_path=guid)),
    returns="RefGuidSet",
)
write("DELETE", "/sets/<guid>", _path_guid("RefGuidSet"))
write("POST", "/sets/<guid>/enable", _switch(SET, ENABLE))
write("POST", "/sets/<guid>/disable", _switch(SET, DISABLE))
read("/base-sequences", "baseSequences", _query("ProfileName"))

# Targets.
read("/targets", "targets", _query("RefGuidSet"))
write(
    "POST",
    "/targets",
    _body(lambda api, body, guid: bodies.target_params(body, api._clock.seconds())),
    201,
    "GuidTarget",
)
write(
    "PUT",
    "/targets/<guid>",
    _body(lambda api, body, guid: bodies.target_params(body, api._clock.seconds(), guid_from_path=guid)),
    returns="RefGuidTarget",
)
write("DELETE", "/targets/<guid>", _path_guid("RefGuidTarget"))
write("POST", "/targets/<guid>/activate", _switch(TARGET, ENABLE))
write("POST", "/targets/<guid>/deactivate", _switch(TARGET, DISABLE))
read("/targets/<guid>/shots", "shots", _path_guid("RefGuidTarget"))
read("/targets/<guid>/sessions", "sessions", _path_guid("RefGuidTarget"))


@_serves("GET", "/targets/<guid>")
async def get_target(self: RoboTargetApi, request: IRequest, declared: Route, guid: str) -> bytes:
    """Voyager lists targets by set only: look through every set."""
    self.guard.admit(request, declared)
    wanted = checked_guid(guid, "guid")
    sets = (await self._call("GetSet", {"ProfileName": ""})).get("list", [])
    for found_set in sets:
        targets = await self._call("GetTarget", {"RefGuidSet": found_set.get("guid", "")})
        for target in targets.get("list", []):
            if str(target.get("guid", "")).lower() == wanted:
                return write_json(request, {"success": True, "target": target})
    raise ApiError(404, "unknown_target", f"no target {wanted} in any set")


# Shots.
write("POST", "/shots", _body(lambda api, body, guid: bodies.shot_params(body)), 201, "GuidShot")
write(
    "PUT",
    "/shots/<guid>",
    _body(lambda api, body, guid: bodies.shot_params(body, guid_from_path=guid)),
    returns="RefGuidShot",
)
write("DELETE", "/shots/<guid>", _path_guid("RefGuidShot"))

# Progress and results.
read("/runs", "runs", _query("ProfileName", "Days"))
shots_done("/sessions/<guid>/shots-done", _path_guid("RefGuidSession"))
shots_done("/sets/<guid>/shots-done", _path_guid("RefGuidSet"))
shots_done("/shots-done", _shots_done_since)


@_serves("GET", "/shots-done/<guid>/jpeg")
async def shot_done_jpeg(self: RoboTargetApi, request: IRequest, declared: Route, guid: str) -> bytes:
    self.guard.admit(request, declared)
    params = {"RefGuidShotDone": checked_guid(guid, "guid"), "FITFileName": ""}
    answer = await self._call(_name(declared), params)
    # The table names it BaseData, the protocol's example answers Base64Data: read both.
    data = answer.get("BaseData") or answer.get("Base64Data") or ""
    try:
        jpeg = base64.b64decode(str(data), validate=True)
    except binascii.Error:
        raise ApiError(502, "bad_image", "Voyager's BaseData is not base64") from None
    if not jpeg:
        raise ApiError(404, "no_image", f"Voyager has no JPEG for shot {guid}")
    for header, field in SHOT_HEADERS:
        if answer.get(field) is not None:
            request.setHeader(f"X-Shot-{header}", str(answer[field]))
    request.setHeader("Content-Type", "image/jpeg")
    return jpeg


# Plans: one booking, all or nothing.
@_serves("POST", "/plans")
async def add_plan(self: RoboTargetApi, request: IRequest, declared: Route) -> bytes:
    key = self.guard.admit(request, declared)
    assert key is not None
    idempotency_key = header_text(request, "Idempotency-Key")
    body = self.guard.body(request)
    plan = bodies.plan(body, self._clock.seconds())
    self._desk.refuse_when_stopping("RoboTarget plan")
    outcome, replayed = self._plans.submit(plan, key.name, idempotency_key, (request.method, request.path, body))
    created = await self._desk.waiting_on("RoboTarget plan", outcome)
    if replayed:
        request.setHeader("Idempotent-Replay", "true")
    return write_json(request, {"success": True, **created}, 201)


write("DELETE", "/plans/<guid>", _path_guid("RefGuidSet"))
