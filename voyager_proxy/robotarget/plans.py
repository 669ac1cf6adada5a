"""A booking's set, target and shots created all together, or not at all."""

from __future__ import annotations

from typing import Any

import attrs
from twisted.logger import Logger

from ..voyager import ActionFailed, VoyagerError
from .manager import RoboTarget, RoboTargetRefused

_log = Logger()


@attrs.frozen
class Plan:
    """One booking, checked whole: its set, its target in that set, the target's shots (Voyager params)."""

    set: dict[str, Any]
    target: dict[str, Any]
    shots: list[dict[str, Any]]


class PlanFailed(VoyagerError):
    """One step of a plan failed; what it had created was removed (or could not be)."""

    kind = "plan_failed"

    def __init__(self, step: str, index: int | None, reason: str, set_guid: str, rolled_back: bool) -> None:
        where = step if index is None else f"{step} (shot {index})"
        outcome = "nothing was left behind" if rolled_back else f"set {set_guid} may remain: DELETE /api/robotarget/plans/{set_guid}"
        super().__init__(f"{where} failed: {reason}; {outcome}")
        self.step = step
        self.index = index
        self.reason = reason
        self.set_guid = set_guid
        self.rolled_back = rolled_back


async def create_plan(robotarget: RoboTarget, plan: Plan) -> dict[str, Any]:
    """AddSet, AddTarget, then each AddShot; on a failure, RemoveSet takes everything created."""
    robotarget.ensure_ready()  # unavailable before the first step: nothing to undo
    set_guid = plan.set["Guid"]
    steps = [("AddSet", None, plan.set), ("AddTarget", None, plan.target)]
    steps += [("AddShot", index, shot) for index, shot in enumerate(plan.shots)]
    for step, index, params in steps:
        try:
            await robotarget.call(step, params)
        except VoyagerError as error:
            # A refusal of AddSet created nothing; anything else may have.
            refused = isinstance(error, (RoboTargetRefused, ActionFailed))
            created = step != "AddSet" or not refused
            rolled_back = await _remove_set(robotarget, set_guid) if created else True
            reason = error.answer if isinstance(error, RoboTargetRefused) else str(error)
            raise PlanFailed(step, index, reason, set_guid, rolled_back) from error
    return {
        "setGuid": set_guid,
        "targetGuid": plan.target["GuidTarget"],
        "shotGuids": [shot["GuidShot"] for shot in plan.shots],
    }


async def _remove_set(robotarget: RoboTarget, set_guid: str) -> bool:
    """RemoveSet also removes the set's targets and shots (protocol sheet §7)."""
    try:
        await robotarget.call("RemoveSet", {"RefGuidSet": set_guid})
    except VoyagerError as error:
        _log.error("Could not remove set {guid} of a failed plan: {error}", guid=set_guid, error=error)
        return False
    return True
