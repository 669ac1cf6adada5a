"""Typed failures of Voyager commands (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class VoyagerError(Exception):
    """Base class of every command failure; L{voyager_proxy.failures} names each for callers."""


class NotReady(VoyagerError):
    """A command was refused because the Voyager session is not ready."""

    def __init__(self, state: str, last_error: str | None = None) -> None:
        detail = f" (last error: {last_error})" if last_error else ""
        super().__init__(f"Voyager session is not ready: {state}{detail}")
        self.state = state
        self.last_error = last_error


class CommandRejected(VoyagerError):
    """Voyager answered the request with a JSON-RPC error."""

    def __init__(self, method: str, uid: str, code: int | None, message: str) -> None:
        super().__init__(f"Voyager rejected {method}: {message} (code {code})")
        self.method = method
        self.uid = uid
        self.code = code
        self.message = message


class ActionFailed(VoyagerError):
    """The action ended with a RemoteActionResult that is not a success."""

    def __init__(self, method: str, uid: str, code: int, name: str, reason: str, param_ret: Any) -> None:
        super().__init__(f"{method} ended {name}: {reason or 'no reason given'}")
        self.method = method
        self.uid = uid
        self.code = code
        self.name = name
        self.reason = reason
        self.param_ret = param_ret


class CommandTimeout(VoyagerError):
    """
    No final answer arrived within the command's time limit. This is not a
    failure of the action: Voyager may still be running it.
    """

    def __init__(self, method: str, uid: str, seconds: float, acknowledged: bool) -> None:
        stage = "result" if acknowledged else "acknowledgement"
        super().__init__(
            f"{method} timed out after {seconds:g} s waiting for its {stage}; Voyager may still be running it"
        )
        self.method = method
        self.uid = uid
        self.seconds = seconds
        self.acknowledged = acknowledged


class ConnectionLost(VoyagerError):
    """The connection to Voyager closed before the command finished."""

    def __init__(self, method: str, uid: str, acknowledged: bool, reason: str) -> None:
        maybe = "; the action may still be running on Voyager" if acknowledged else ""
        super().__init__(f"connection to Voyager lost before {method} finished ({reason}){maybe}")
        self.method = method
        self.uid = uid
        self.acknowledged = acknowledged
        self.reason = reason


def describe_rpc_error(error: Any) -> tuple[int | None, str]:
    """Extract (code, message) from a JSON-RPC C{error} member of any shape."""
    if isinstance(error, Mapping):
        code = error.get("code")
        return (code if isinstance(code, int) else None), str(error.get("message", error))
    return None, str(error)
