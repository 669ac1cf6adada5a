"""The JSON envelope every REST answer uses, and how failures map onto it."""

from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest

from .. import client_json
from ..failures import describe
from .errors import ApiError, invalid

__all__ = ["ApiError", "from_failure", "invalid", "write_json"]

JSON_TYPE = "application/json; charset=utf-8"


def from_failure(error: BaseException | None) -> ApiError:
    """The envelope of any failure, as L{describe} names it."""
    described = describe(error)
    return ApiError(described.status, described.code, described.message, described.details)


def write_json(request: IRequest, body: Any, status: int = 200) -> bytes:
    """Set status and JSON headers; return the encoded body."""
    request.setResponseCode(status)
    request.setHeader("Content-Type", JSON_TYPE)
    request.setHeader("Cache-Control", "no-store")
    return client_json.dumps(body)
