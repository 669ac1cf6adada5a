"""RoboTarget: manager mode, signed calls, and plans created all or nothing."""

from .manager import RoboTarget, RoboTargetRefused, RoboTargetState, RoboTargetStatus, RoboTargetUnavailable
from .plans import Plan, PlanConflict, PlanDesk, PlanFailed, create_plan

__all__ = [
    "Plan",
    "PlanConflict",
    "PlanDesk",
    "PlanFailed",
    "RoboTarget",
    "RoboTargetRefused",
    "RoboTargetState",
    "RoboTargetStatus",
    "RoboTargetUnavailable",
    "create_plan",
]
