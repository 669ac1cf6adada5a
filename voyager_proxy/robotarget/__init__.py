"""RoboTarget: manager mode, signed calls, and plans created all or nothing.

The names load on first use, so C{signing} imports alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .manager import (
        RoboTarget,
        RoboTargetRefused,
        RoboTargetState,
        RoboTargetStatus,
        RoboTargetUnavailable,
    )
    from .plans import Plan, PlanConflict, PlanDesk, PlanFailed, create_plan

_EXPORTS = {
    "RoboTarget": "manager",
    "RoboTargetRefused": "manager",
    "RoboTargetState": "manager",
    "RoboTargetStatus": "manager",
    "RoboTargetUnavailable": "manager",
    "Plan": "plans",
    "PlanConflict": "plans",
    "PlanDesk": "plans",
    "PlanFailed": "plans",
    "create_plan": "plans",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
