"""The failure every REST answer reports: a status, a code, a message (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """A failure answered as C{{"success": false, "error": {code, message, ...}}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": {"code": self.code, "message": self.message, **self.details}}


def invalid(field: str, message: str) -> ApiError:
    """A 400 naming the field."""
    return ApiError(400, "validation_error", f"{field}: {message}", {"field": field})
