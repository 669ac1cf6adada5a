"""
One vocabulary for failures: the code, message, details and HTTP
status that REST answers, the command ledger and WebSocket replies all give.

Like AMP's C{PROTOCOL_ERRORS}, one table maps exception classes to what
they are called; L{describe} walks the exception's MRO, so a subclass is
described as its nearest listed ancestor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .refused import ForeignUid, IdempotencyKeyReused, ShuttingDown
from .robotarget.manager import RoboTargetRefused, RoboTargetUnavailable
from .robotarget.plans import PlanConflict, PlanFailed
from .voyager.errors import ActionFailed, CommandRejected, CommandTimeout, ConnectionLost, NotReady, VoyagerError


@attrs.frozen
class Described:
    """A failure as every caller sees it."""

    status: int
    code: str
    message: str
    details: Mapping[str, Any] = attrs.field(factory=dict)

    def as_error(self) -> dict[str, Any]:
        """The C{error} member of a REST envelope, a ledger entry or a WebSocket reply."""
        return {"code": self.code, "message": self.message, **self.details}


@attrs.frozen
class _Kind:
    status: int
    code: str
    details: Callable[[Any], Mapping[str, Any]] = lambda error: {}


FAILURES: Mapping[type[BaseException], _Kind] = {
    ForeignUid: _Kind(400, "validation_error", lambda e: {"field": "UID"}),
    ShuttingDown: _Kind(503, "shutting_down", lambda e: {"uid": e.uid, "acknowledged": e.acknowledged}),
    IdempotencyKeyReused: _Kind(422, "idempotency_key_reused", lambda e: {"uid": e.uid} if e.uid else {}),
    NotReady: _Kind(503, "voyager_not_ready", lambda e: {"state": e.state}),
    CommandTimeout: _Kind(504, "timeout", lambda e: {"uid": e.uid, "acknowledged": e.acknowledged}),
    ActionFailed: _Kind(
        502,
        "voyager_error",
        lambda e: {"uid": e.uid, "actionResult": e.code, "status": e.name, "motivo": e.reason, "paramRet": e.param_ret},
    ),
    CommandRejected: _Kind(502, "voyager_error", lambda e: {"uid": e.uid, "rpcCode": e.code}),
    ConnectionLost: _Kind(502, "connection_lost", lambda e: {"uid": e.uid, "acknowledged": e.acknowledged}),
    RoboTargetUnavailable: _Kind(503, "robotarget_unavailable", lambda e: {"robotarget": e.status.as_dict()}),
    RoboTargetRefused: _Kind(502, "robotarget_refused", lambda e: {"method": e.method, "reason": e.answer}),
    PlanConflict: _Kind(409, "plan_conflict", lambda e: {"setGuid": e.set_guid}),
    PlanFailed: _Kind(
        502,
        "plan_failed",
        lambda e: {
            "step": e.step,
            "shotIndex": e.index,
            "reason": e.reason,
            "setGuid": e.set_guid,
            "rolledBack": e.rolled_back,
        },
    ),
    VoyagerError: _Kind(502, "voyager_error"),
}

INTERNAL = Described(500, "internal_error", "internal error; see the proxy's log")


def describe(error: BaseException | None) -> Described:
    """What C{error} is called, by its nearest class in L{FAILURES}; L{INTERNAL} for anything else."""
    for cls in type(error).__mro__:
        kind = FAILURES.get(cls)
        if kind is not None:
            return Described(kind.status, kind.code, str(error), dict(kind.details(error)))
    return INTERNAL
