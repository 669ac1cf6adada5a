"""
The /api/robotarget routes: sets, targets, shots, progress and plans.

Registered on L{RestApi}'s Klein app, so they share its keys, rate limits,
body checks and error envelope. Reads need a key; writes the control role.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any, Callable

from klein import Klein
from twisted.web.iweb import IRequest

from ..auth import ApiKey
from ..robotarget.manager import PREFIX
from . import robotarget_bodies as bodies
from . import validation as check
from .envelope import ApiError, invalid, write_json

if TYPE_CHECKING:
    from .api import RestApi

BASE = "/api/robotarget"
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
SET, TARGET, SHOT = 2, 1, 0  # EnableDisableObject ObjectType
ENABLE, DISABLE = 0, 1  # EnableDisableObject OperationType
SHOT_HEADERS = (("HFD", "HFD"), ("Star-Index", "StarIndex"), ("Width", "PixelDimX"), ("Height", "PixelDimY"))


def _query(request: IRequest, name: str, default: str | None = None) -> str | None:
    values = request.args.get(name.encode())
    return values[0].decode("utf-8", "replace") if values else default


def _authorise(api: RestApi, request: IRequest, *names: str, write: bool = False) -> ApiKey:
    """
    The caller's key. Any key may read; a write needs the control role and,
    on a key narrowed to some methods, each RoboTarget method it sends.
    """
    key = api._caller(request, control=write, command=write)
    for name in names if write else ():
        if not key.may_call(PREFIX + name):
            raise ApiError(403, "forbidden", f"the key {key.name!r} may not call {PREFIX}{name}")
    return key


def _optional_guid(request: IRequest, name: str) -> str:
    """A GUID query parameter, or "" (Voyager's "any") when absent."""
    value = _query(request, name)
    return bodies.guid(value, name) if value else ""


def _required_guid(request: IRequest, name: str) -> str:
    value = _query(request, name)
    if value is None:
        raise invalid(name, "is required")
    return bodies.guid(value, name)


Params = Callable[["RestApi", IRequest, "str | None"], dict[str, Any]]  # (api, request, path GUID)


def _path_guid(field: str) -> Params:
    """Params naming the object of the path: C{{field: guid}}."""
    return lambda api, request, guid: {field: bodies.guid(guid, "guid")}


def _profile(api: RestApi, request: IRequest, guid: str | None) -> dict[str, Any]:
    return {"ProfileName": _query(request, "profile", "")}


def _switch(object_type: int, operation: int) -> Params:
    """EnableDisableObject on the set, target or shot of the path."""
    return lambda api, request, guid: {
        "RefGuidObject": bodies.guid(guid, "guid"), "ObjectType": object_type, "OperationType": operation,
    }


def _shots_done_since(api: RestApi, request: IRequest, guid: str | None) -> dict[str, Any]:
    """C{since} is UTC epoch seconds: sent as SinceUTC, and as Since, the only one the protocol's example sends."""
    since = _query(request, "since")
    moment = bodies.epoch({"since": float(since) if since and _NUMBER.match(since) else since}, "since")
    return {
        "Since": moment,
        "SinceUTC": moment,
        "RefGuidSet": _optional_guid(request, "setGuid"),
        "RefGuidTarget": _optional_guid(request, "targetGuid"),
    }


def add_robotarget_routes(app: Klein) -> None:
    """Register every /api/robotarget route on C{app}."""

    def route(path: str, method: str) -> Any:
        def register(function: Any) -> Any:
            # Klein names endpoints after their function: each needs its own name.
            name = re.sub(r"[^a-z]+", "_", f"{method.lower()}{BASE}{path}".lower()).strip("_")
            function.__name__ = function.__qualname__ = name
            return app.route(BASE + path, methods=[method])(function)

        return register

    def read(path: str, name: str, field: str, params: Params) -> None:
        """A GET answering C{{field: ParamRet.list}} of one RoboTarget method."""

        @route(path, "GET")
        async def listed(self: RestApi, request: IRequest, guid: str | None = None) -> bytes:
            _authorise(self, request, name)
            answer = await self._robotarget.call(name, params(self, request, guid))
            return write_json(request, {"success": True, field: answer.get("list", [])})

    def shots_done(path: str, name: str, params: Params) -> None:
        """A GET answering C{{"shotsDone": {"done": [...], "deleted": [...]}}}: Voyager's two lists, kept apart."""

        @route(path, "GET")
        async def listed(self: RestApi, request: IRequest, guid: str | None = None) -> bytes:
            _authorise(self, request, name)
            answer = (await self._robotarget.call(name, params(self, request, guid))).get("list") or {}
            if not isinstance(answer, dict):
                raise ApiError(502, "bad_answer", f"Voyager's {name} list is not an object of done and deleted shots")
            lists = {part: answer.get(part) or [] for part in ("done", "deleted")}
            return write_json(request, {"success": True, "shotsDone": lists})

    def write(path: str, method: str, name: str, params: Params, status: int = 200, returns: str | None = None) -> None:
        """A write sending one RoboTarget method; C{returns} names the param answered as C{guid}."""

        @route(path, method)
        async def written(self: RestApi, request: IRequest, guid: str | None = None) -> bytes:
            _authorise(self, request, name, write=True)
            sent = params(self, request, guid)
            await self._robotarget.call(name, sent)
            return write_json(request, {"success": True, **({"guid": sent[returns]} if returns else {})}, status)

    @route("/status", "GET")
    def status(self: RestApi, request: IRequest) -> bytes:
        self._caller(request)
        return write_json(request, {"success": True, "robotarget": self._robotarget.describe()})

    # Sets and base sequences.
    read("/sets", "GetSet", "sets", _profile)
    write("/sets", "POST", "AddSet", lambda api, request, guid: bodies.set_params(api._body(request)), 201, "Guid")
    write("/sets/<guid>", "PUT", "UpdateSet",
          lambda api, request, guid: bodies.set_params(api._body(request), guid_from_path=guid), returns="RefGuidSet")
    write("/sets/<guid>", "DELETE", "RemoveSet", _path_guid("RefGuidSet"))
    write("/sets/<guid>/enable", "POST", "EnableDisableObject", _switch(SET, ENABLE))
    write("/sets/<guid>/disable", "POST", "EnableDisableObject", _switch(SET, DISABLE))
    read("/base-sequences", "GetBaseSequence", "baseSequences", _profile)

    # Targets.
    read("/targets", "GetTarget", "targets",
         lambda api, request, guid: {"RefGuidSet": _required_guid(request, "setGuid")})
    write("/targets", "POST", "AddTarget",
          lambda api, request, guid: bodies.target_params(api._body(request), api._clock.seconds()), 201, "GuidTarget")
    write("/targets/<guid>", "PUT", "UpdateTarget",
          lambda api, request, guid: bodies.target_params(api._body(request), api._clock.seconds(), guid_from_path=guid),
          returns="RefGuidTarget")
    write("/targets/<guid>", "DELETE", "RemoveTarget", _path_guid("RefGuidTarget"))
    write("/targets/<guid>/activate", "POST", "EnableDisableObject", _switch(TARGET, ENABLE))
    write("/targets/<guid>/deactivate", "POST", "EnableDisableObject", _switch(TARGET, DISABLE))
    read("/targets/<guid>/shots", "GetShot", "shots", _path_guid("RefGuidTarget"))
    read("/targets/<guid>/sessions", "GetSessionListByTarget", "sessions", _path_guid("RefGuidTarget"))

    @route("/targets/<guid>", "GET")
    async def get_target(self: RestApi, request: IRequest, guid: str) -> bytes:
        """Voyager lists targets by set only: look through every set."""
        _authorise(self, request)
        wanted = bodies.guid(guid, "guid")
        sets = (await self._robotarget.call("GetSet", {"ProfileName": ""})).get("list", [])
        for found_set in sets:
            targets = await self._robotarget.call("GetTarget", {"RefGuidSet": found_set.get("guid", "")})
            for target in targets.get("list", []):
                if str(target.get("guid", "")).lower() == wanted:
                    return write_json(request, {"success": True, "target": target})
        raise ApiError(404, "unknown_target", f"no target {wanted} in any set")

    # Shots.
    write("/shots", "POST", "AddShot", lambda api, request, guid: bodies.shot_params(api._body(request)), 201, "GuidShot")
    write("/shots/<guid>", "PUT", "UpdateShot",
          lambda api, request, guid: bodies.shot_params(api._body(request), guid_from_path=guid), returns="RefGuidShot")
    write("/shots/<guid>", "DELETE", "RemoveShot", _path_guid("RefGuidShot"))

    # Progress and results.
    read("/runs", "GetRunList", "runs", lambda api, request, guid: {
        **_profile(api, request, guid), "Days": check.query_int(request.args, "days", 0, 3650, 0),
    })
    shots_done("/sessions/<guid>/shots-done", "GetShotDoneBySessionList", _path_guid("RefGuidSession"))
    shots_done("/sets/<guid>/shots-done", "GetShotDoneBySetList", _path_guid("RefGuidSet"))
    shots_done("/shots-done", "GetShotDoneSinceList", _shots_done_since)

    @route("/shots-done/<guid>/jpeg", "GET")
    async def shot_done_jpeg(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request)
        params = {"RefGuidShotDone": bodies.guid(guid, "guid"), "FITFileName": ""}
        answer = await self._robotarget.call("GetShotJpg", params)
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
    @route("/plans", "POST")
    async def add_plan(self: RestApi, request: IRequest) -> bytes:
        key = _authorise(self, request, "AddSet", "AddTarget", "AddShot", "RemoveSet", write=True)
        plan = bodies.plan(self._body(request), self._clock.seconds())
        outcome, replayed = self._plans.submit(plan, key.name, request.getHeader("Idempotency-Key"))
        created = await outcome
        if replayed:
            request.setHeader("Idempotent-Replay", "true")
        return write_json(request, {"success": True, **created}, 201)

    write("/plans/<guid>", "DELETE", "RemoveSet", _path_guid("RefGuidSet"))
