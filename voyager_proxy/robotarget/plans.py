"""A booking's set, target and shots created all together, or not at all."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import attrs
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..observer import SingleObserver
from ..refused import IdempotencyKeys
from ..voyager import ActionFailed, VoyagerError
from .manager import RoboTarget, RoboTargetRefused

_log = Logger()
_Step = tuple[str, "int | None", dict[str, Any]]  # method, shot index, params


@attrs.frozen
class Plan:
    """One booking, checked whole: its set, its target in that set, the target's shots (Voyager params)."""

    set: dict[str, Any]
    target: dict[str, Any]
    shots: list[dict[str, Any]]


class PlanConflict(VoyagerError):
    """The plan's set GUID is already a set in Voyager: nothing was created."""

    def __init__(self, set_guid: str) -> None:
        super().__init__(f"a set {set_guid} already exists; nothing was created")
        self.set_guid = set_guid


class PlanFailed(VoyagerError):
    """One step of a plan failed; what it had created was removed (or will be)."""

    def __init__(self, step: str, index: int | None, reason: str, set_guid: str, rolled_back: bool) -> None:
        where = step if index is None else f"{step} (shot {index})"
        outcome = (
            "nothing was left behind"
            if rolled_back
            else f"set {set_guid} could not be removed yet; the proxy removes it once RoboTarget is ready again"
        )
        super().__init__(f"{where} failed: {reason}; {outcome}")
        self.step = step
        self.index = index
        self.reason = reason
        self.set_guid = set_guid
        self.rolled_back = rolled_back


async def create_plan(robotarget: RoboTarget, plan: Plan) -> dict[str, Any]:
    """
    AddSet, AddTarget, then each AddShot. On any failure after the check that
    the set is new, RemoveSet takes everything created (Voyager removes a
    set's targets and shots with it); if even that fails, it is retried later.
    """
    robotarget.ensure_ready()  # unavailable before the first step: nothing to undo
    set_guid = plan.set["Guid"]
    existing = (await robotarget.call("GetSet", {"ProfileName": ""})).get("list", [])
    if any(str(found.get("guid", "")).lower() == set_guid for found in existing):
        raise PlanConflict(set_guid)
    steps: list[_Step] = [("AddSet", None, plan.set), ("AddTarget", None, plan.target)]
    steps += [("AddShot", index, shot) for index, shot in enumerate(plan.shots)]
    for step, index, params in steps:
        try:
            await robotarget.call(step, params)
        except Exception as error:
            # Only a refused AddSet surely created nothing; a timeout, a lost
            # connection or a cancellation may have (the set was new: safe to remove).
            refused = isinstance(error, (RoboTargetRefused, ActionFailed))
            created = step != "AddSet" or not refused
            rolled_back = await _remove_set(robotarget, set_guid) if created else True
            reason = error.answer if isinstance(error, RoboTargetRefused) else str(error) or type(error).__name__
            raise PlanFailed(step, index, reason, set_guid, rolled_back) from error
    return {
        "setGuid": set_guid,
        "targetGuid": plan.target["GuidTarget"],
        "shotGuids": [shot["GuidShot"] for shot in plan.shots],
    }


async def _remove_set(robotarget: RoboTarget, set_guid: str) -> bool:
    try:
        await robotarget.call("RemoveSet", {"RefGuidSet": set_guid})
    except Exception as error:
        _log.error("Could not remove set {guid} of a failed plan ({error}); will retry", guid=set_guid, error=error)
        robotarget.remove_later(set_guid)
        return False
    return True


class PlanDesk:
    """
    Runs each plan to its end, even when the HTTP client leaves (a cancelled
    request waits on its own Deferred, never on the plan), and answers a repeat
    of an C{Idempotency-Key} with the first request's outcome. A failed plan
    is forgotten, so it may be sent again.
    """

    def __init__(self, robotarget: RoboTarget, idempotency: IdempotencyKeys, remembered: int = 200) -> None:
        self._robotarget = robotarget
        self._idempotency = idempotency
        self._remembered = remembered
        self._outcomes: OrderedDict[tuple[str, str], SingleObserver[dict[str, Any]]] = OrderedDict()

    def submit(
        self, plan: Plan, caller: str, idempotency_key: str | None, request: object = None
    ) -> tuple[Deferred[dict[str, Any]], bool]:
        """
        The plan's result to wait on, and whether it replays an earlier
        request; L{IdempotencyKeyReused} when the key came with another C{request} (body).
        """
        key = (caller, idempotency_key) if idempotency_key else None
        if idempotency_key:
            self._idempotency.check(caller, idempotency_key, request)
        earlier = self._outcomes.get(key) if key else None
        if earlier is not None:
            return earlier.when_fired(), True
        outcome: SingleObserver[dict[str, Any]] = SingleObserver()
        if key is not None:
            self._idempotency.bind(caller, key[1], request)
            self._outcomes[key] = outcome
            while len(self._outcomes) > self._remembered:
                self._outcomes.popitem(last=False)
        work = Deferred.fromCoroutine(create_plan(self._robotarget, plan))
        work.addErrback(self._forget, key, outcome)
        work.addBoth(outcome.fire)
        return outcome.when_fired(), False

    def _forget(
        self, failure: Failure, key: tuple[str, str] | None, outcome: SingleObserver[dict[str, Any]]
    ) -> Failure:
        """A failed plan may be sent again under the same key."""
        if key is not None and self._outcomes.get(key) is outcome:
            del self._outcomes[key]
        return failure
