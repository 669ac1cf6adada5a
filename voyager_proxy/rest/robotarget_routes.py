"""
The /api/robotarget routes: sets, targets, shots, progress and plans.

Registered on L{RestApi}'s Klein app, so they share its keys, rate limits,
body checks and error envelope. Reads need a key; writes the control role.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

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


async def _list(api: RestApi, request: IRequest, name: str, params: dict[str, Any], field: str) -> bytes:
    answer = await api._robotarget.call(name, params)
    return write_json(request, {"success": True, field: answer.get("list", [])})


async def _write(api: RestApi, request: IRequest, name: str, params: dict[str, Any], status: int = 200,
                 **extra: Any) -> bytes:
    await api._robotarget.call(name, params)
    return write_json(request, {"success": True, **extra}, status)


def add_robotarget_routes(app: Klein) -> None:
    """Register every /api/robotarget route on C{app}."""

    def route(path: str, method: str) -> Any:
        def register(function: Any) -> Any:
            function.__name__ = function.__qualname__ = "robotarget_" + function.__name__
            return app.route(BASE + path, methods=[method])(function)

        return register

    @route("/status", "GET")
    def status(self: RestApi, request: IRequest) -> bytes:
        self._caller(request)
        return write_json(request, {"success": True, "robotarget": self._robotarget.describe()})

    # Sets.

    @route("/sets", "GET")
    async def list_sets(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "GetSet")
        return await _list(self, request, "GetSet", {"ProfileName": _query(request, "profile", "")}, "sets")

    @route("/sets", "POST")
    async def add_set(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "AddSet", write=True)
        params = bodies.set_params(self._body(request))
        return await _write(self, request, "AddSet", params, 201, guid=params["Guid"])

    @route("/sets/<guid>", "PUT")
    async def update_set(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "UpdateSet", write=True)
        params = bodies.set_params(self._body(request), guid_from_path=guid)
        return await _write(self, request, "UpdateSet", params, guid=params["RefGuidSet"])

    @route("/sets/<guid>", "DELETE")
    async def remove_set(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "RemoveSet", write=True)
        return await _write(self, request, "RemoveSet", {"RefGuidSet": bodies.guid(guid, "guid")})

    @route("/sets/<guid>/enable", "POST")
    async def enable_set(self: RestApi, request: IRequest, guid: str) -> bytes:
        return await _switch(self, request, guid, SET, ENABLE)

    @route("/sets/<guid>/disable", "POST")
    async def disable_set(self: RestApi, request: IRequest, guid: str) -> bytes:
        return await _switch(self, request, guid, SET, DISABLE)

    @route("/base-sequences", "GET")
    async def list_base_sequences(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "GetBaseSequence")
        params = {"ProfileName": _query(request, "profile", "")}
        return await _list(self, request, "GetBaseSequence", params, "baseSequences")

    # Targets.

    @route("/targets", "GET")
    async def list_targets(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "GetTarget")
        params = {"RefGuidSet": _required_guid(request, "setGuid")}
        return await _list(self, request, "GetTarget", params, "targets")

    @route("/targets/<guid>", "GET")
    async def get_target(self: RestApi, request: IRequest, guid: str) -> bytes:
        """Voyager lists targets by set only: look through every set."""
        _authorise(self, request, "GetSet", "GetTarget")
        wanted = bodies.guid(guid, "guid")
        sets = (await self._robotarget.call("GetSet", {"ProfileName": ""})).get("list", [])
        for found_set in sets:
            targets = await self._robotarget.call("GetTarget", {"RefGuidSet": found_set.get("guid", "")})
            for target in targets.get("list", []):
                if str(target.get("guid", "")).lower() == wanted:
                    return write_json(request, {"success": True, "target": target})
        raise ApiError(404, "unknown_target", f"no target {wanted} in any set")

    @route("/targets", "POST")
    async def add_target(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "AddTarget", write=True)
        params = bodies.target_params(self._body(request), self._clock.seconds())
        return await _write(self, request, "AddTarget", params, 201, guid=params["GuidTarget"])

    @route("/targets/<guid>", "PUT")
    async def update_target(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "UpdateTarget", write=True)
        params = bodies.target_params(self._body(request), self._clock.seconds(), guid_from_path=guid)
        return await _write(self, request, "UpdateTarget", params, guid=params["RefGuidTarget"])

    @route("/targets/<guid>", "DELETE")
    async def remove_target(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "RemoveTarget", write=True)
        return await _write(self, request, "RemoveTarget", {"RefGuidTarget": bodies.guid(guid, "guid")})

    @route("/targets/<guid>/activate", "POST")
    async def activate_target(self: RestApi, request: IRequest, guid: str) -> bytes:
        return await _switch(self, request, guid, TARGET, ENABLE)

    @route("/targets/<guid>/deactivate", "POST")
    async def deactivate_target(self: RestApi, request: IRequest, guid: str) -> bytes:
        return await _switch(self, request, guid, TARGET, DISABLE)

    @route("/targets/<guid>/shots", "GET")
    async def list_shots(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "GetShot")
        return await _list(self, request, "GetShot", {"RefGuidTarget": bodies.guid(guid, "guid")}, "shots")

    @route("/targets/<guid>/sessions", "GET")
    async def list_sessions(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "GetSessionListByTarget")
        params = {"RefGuidTarget": bodies.guid(guid, "guid")}
        return await _list(self, request, "GetSessionListByTarget", params, "sessions")

    # Shots.

    @route("/shots", "POST")
    async def add_shot(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "AddShot", write=True)
        params = bodies.shot_params(self._body(request))
        return await _write(self, request, "AddShot", params, 201, guid=params["GuidShot"])

    @route("/shots/<guid>", "PUT")
    async def update_shot(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "UpdateShot", write=True)
        params = bodies.shot_params(self._body(request), guid_from_path=guid)
        return await _write(self, request, "UpdateShot", params, guid=params["RefGuidShot"])

    @route("/shots/<guid>", "DELETE")
    async def remove_shot(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "RemoveShot", write=True)
        return await _write(self, request, "RemoveShot", {"RefGuidShot": bodies.guid(guid, "guid")})

    # Progress and results.

    @route("/runs", "GET")
    async def list_runs(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "GetRunList")
        params = {
            "ProfileName": _query(request, "profile", ""),
            "Days": check.query_int(request.args, "days", 0, 3650, 0),
        }
        return await _list(self, request, "GetRunList", params, "runs")

    @route("/sessions/<guid>/shots-done", "GET")
    async def shots_done_by_session(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "GetShotDoneBySessionList")
        params = {"RefGuidSession": bodies.guid(guid, "guid")}
        return await _list(self, request, "GetShotDoneBySessionList", params, "shotsDone")

    @route("/sets/<guid>/shots-done", "GET")
    async def shots_done_by_set(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "GetShotDoneBySetList")
        params = {"RefGuidSet": bodies.guid(guid, "guid")}
        return await _list(self, request, "GetShotDoneBySetList", params, "shotsDone")

    @route("/shots-done", "GET")
    async def shots_done_since(self: RestApi, request: IRequest) -> bytes:
        _authorise(self, request, "GetShotDoneSinceList")
        since = _query(request, "since")
        params = {
            "Since": bodies.epoch({"since": float(since) if since and _NUMBER.match(since) else since}, "since"),
            "RefGuidSet": _optional_guid(request, "setGuid"),
            "RefGuidTarget": _optional_guid(request, "targetGuid"),
        }
        return await _list(self, request, "GetShotDoneSinceList", params, "shotsDone")

    @route("/shots-done/<guid>/jpeg", "GET")
    async def shot_done_jpeg(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "GetShotJpg")
        params = {"RefGuidShotDone": bodies.guid(guid, "guid"), "FITFileName": ""}
        answer = await self._robotarget.call("GetShotJpg", params)
        try:
            jpeg = base64.b64decode(str(answer.get("BaseData", "")), validate=True)
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

    @route("/plans/<guid>", "DELETE")
    async def remove_plan(self: RestApi, request: IRequest, guid: str) -> bytes:
        _authorise(self, request, "RemoveSet", write=True)
        return await _write(self, request, "RemoveSet", {"RefGuidSet": bodies.guid(guid, "guid")})


async def _switch(api: RestApi, request: IRequest, guid: str, object_type: int, operation: int) -> bytes:
    """EnableDisableObject on a set, target or shot."""
    _authorise(api, request, "EnableDisableObject", write=True)
    params = {"RefGuidObject": bodies.guid(guid, "guid"), "ObjectType": object_type, "OperationType": operation}
    return await _write(api, request, "EnableDisableObject", params)
