"""The JSON envelope every REST answer uses, and how failures map onto it."""

from __future__ import annotations

import json
from typing import Any

from twisted.web.iweb import IRequest

from ..robotarget import PlanConflict, PlanFailed, RoboTargetRefused, RoboTargetUnavailable
from ..voyager import (
    ActionFailed,
    CommandRejected,
    CommandTimeout,
    ConnectionLost,
    NotReady,
    VoyagerError,
)
from .errors import ApiError, invalid

__all__ = ["ApiError", "from_voyager_error", "invalid", "write_json"]

JSON_TYPE = "application/json; charset=utf-8"


def from_voyager_error(error: VoyagerError) -> ApiError:
    """503 not ready, 502 Voyager said no or went away, 504 timed out."""
    if isinstance(error, NotReady):
        return ApiError(503, "voyager_not_ready", str(error), {"state": error.state})
    if isinstance(error, RoboTargetUnavailable):
        return ApiError(503, error.kind, str(error), {"robotarget": error.status.as_dict()})
    if isinstance(error, RoboTargetRefused):
        return ApiError(502, error.kind, str(error), {"method": error.method, "reason": error.answer})
    if isinstance(error, PlanConflict):
        return ApiError(409, error.kind, str(error), {"setGuid": error.set_guid})
    if isinstance(error, PlanFailed):
        return ApiError(
            502, error.kind, str(error),
            {"step": error.step, "shotIndex": error.index, "reason": error.reason, "setGuid": error.set_guid,
             "rolledBack": error.rolled_back},
        )
    if isinstance(error, CommandTimeout):
        return ApiError(504, "timeout", str(error), {"uid": error.uid, "acknowledged": error.acknowledged})
    if isinstance(error, ActionFailed):
        return ApiError(
            502,
            "voyager_error",
            str(error),
            {
                "uid": error.uid,
                "actionResult": error.code,
                "status": error.name,
                "motivo": error.reason,
                "paramRet": error.param_ret,
            },
        )
    if isinstance(error, CommandRejected):
        return ApiError(502, "voyager_error", str(error), {"uid": error.uid, "rpcCode": error.code})
    if isinstance(error, ConnectionLost):
        return ApiError(502, "connection_lost", str(error), {"uid": error.uid, "acknowledged": error.acknowledged})
    return ApiError(502, error.kind, str(error))


def write_json(request: IRequest, body: Any, status: int = 200) -> bytes:
    """Set status and JSON headers; return the encoded body."""
    request.setResponseCode(status)
    request.setHeader("Content-Type", JSON_TYPE)
    request.setHeader("Cache-Control", "no-store")
    return json.dumps(body, separators=(",", ":"), default=str).encode("utf-8")
