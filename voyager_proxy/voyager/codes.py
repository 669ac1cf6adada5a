"""Every constant of Voyager's protocol, in one place (pure).

Facts the protocol sheet marks [single] or [guess] carry a ``# sheet:`` comment:
they are the first place to look when a real Voyager disagrees.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping


class ActionResult(enum.IntEnum):
    """C{ActionResultInt} of RemoteActionResult."""

    NEED_INIT = 0
    READY = 1
    RUNNING = 2
    PAUSE = 3
    OK = 4
    FINISHED_ERROR = 5
    ABORTING = 6
    ABORTED = 7
    TIMEOUT = 8
    TIME_END = 9
    OK_PARTIAL = 10


# sheet: [guess] which codes end an action; only 4, 5, 7, 8 are promised.
_FINAL = frozenset({4, 5, 7, 8, 9, 10})
_SUCCESS = frozenset({4, 10})


def is_final(code: int) -> bool:
    """Whether a RemoteActionResult with this code ends its action."""
    return code in _FINAL


def is_success(code: int) -> bool:
    """Whether the action succeeded (OK or OK_PARTIAL)."""
    return code in _SUCCESS


def action_result_name(code: int) -> str:
    """The name of an ActionResultInt, C{UNKNOWN_<n>} when unknown."""
    try:
        return ActionResult(code).name
    except ValueError:
        return f"UNKNOWN_{code}"


def name_of(table: Mapping[int, str], code: object) -> str | None:
    """Look a code up in a name table; C{UNKNOWN_<n>} for unknown ints, None for non-ints."""
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    return table.get(code, f"UNKNOWN_{code}")


# Signal codes (as p.7-8).
SIGNALS: Mapping[int, str] = {
    1: "autofocus error",
    2: "action queue empty",
    3: "array: autofocus on all nodes",
    4: "precise pointing running",
    5: "autofocus running",
    6: "array: autoflat one node",
    7: "array: autofocus one node",
    8: "array: connect all nodes",
    9: "array: disconnect all nodes",
    10: "array: filter change",
    11: "array: get actual filter",
    12: "array: focuser move",
    13: "array: focuser offset",
    14: "array: rotator move",
    15: "setup connect running",
    16: "setup disconnect running",
    18: "camera shot running",
    19: "CCD cooling running",
    20: "focuser move-to running",
    21: "focuser offset running",
    22: "rotator goto running",
    23: "AutoFlat running",
    24: "filter change running",
    25: "plate solving of current position running",
    26: "array: sequence",
    27: "array: create directory",
    28: "array: cooling",
    29: "array: get CCD temperature",
    30: "array: camera shot",
    31: "telescope goto running",
    32: "external script/application running",
    33: "array: LocalField autofocus on all nodes",
    34: "array: LocalField autofocus one node",
    500: "general status: ERROR",
    501: "general status: IDLE",
    502: "general status: ACTION RUNNING",
    503: "general status: ACTION STOPPED",
    504: "general status: UNDEFINED",
    505: "general status: WARNING",
    506: "general status: UNKNOWN",
}

SIGNAL_STATUS: Mapping[int, str] = {
    500: "ERROR",
    501: "IDLE",
    502: "ACTION_RUNNING",
    503: "ACTION_STOPPED",
    504: "UNDEFINED",  # sheet: [clients]
    505: "WARNING",
    506: "UNKNOWN",  # sheet: [clients]
}


def signal_text(code: int) -> str:
    """Human text for a Signal code; never raises."""
    return SIGNALS.get(code, f"unknown signal {code}")


VOYSTAT: Mapping[int, str] = {
    0: "STOPPED",
    1: "IDLE",
    2: "RUN",
    3: "ERROR",
    4: "UNDEFINED",  # sheet: [guess]
    5: "WARNING",
}
CCDSTAT: Mapping[int, str] = {
    0: "INIT",
    1: "UNDEF",
    2: "NO_COOLER",
    3: "OFF",
    4: "COOLING",
    5: "COOLED",
    6: "TIMEOUT",
    7: "WARMUP_RUNNING",
    8: "WARMUP_END",
    9: "ERROR",
}
GUIDESTAT: Mapping[int, str] = {0: "STOPPED", 1: "WAITING_SETTLE", 2: "RUNNING", 3: "TIMEOUT_SETTLE"}
# as p.13 lists DITHSTAT with 1 and 2 the other way round from GUIDESTAT, and
# gives its 1 RUNNING row GUIDESTAT's "waiting to settle" note: the table is
# followed as printed, to be confirmed on a real Voyager.
DITHSTAT: Mapping[int, str] = {0: "STOPPED", 1: "RUNNING", 2: "WAITING_SETTLE", 3: "TIMEOUT_SETTLE"}
MNTSFLIP: Mapping[int, str] = {
    0: "NOT_NEEDED",
    1: "TO_DO",
    2: "RUNNING",
    3: "DONE",
    4: "FORK_MOUNT",  # sheet: [clients]
    5: "ERROR",  # sheet: [clients]
}
SHOT_STATUS: Mapping[int, str] = {0: "IDLE", 1: "EXPOSE", 2: "DOWNLOAD", 3: "WAIT_JPG", 4: "ERROR"}  # sheet: [single]
FRAME_TYPE: Mapping[int, str] = {0: "LIGHT", 1: "BIAS", 2: "DARK", 3: "FLAT"}
LOG_LEVEL: Mapping[int, str] = {  # sheet: [single]
    1: "DEBUG",
    2: "INFO",
    3: "WARNING",
    4: "CRITICAL",
    5: "TITLE",
    6: "SUBTITLE",
    7: "EVENT",
    8: "REQUEST",
    9: "EMERGENCY",
}

# Special numeric values, in any numeric field [clients + seed].
OFF = -123456789
ERROR = 123456789
UNKNOWN = -1
_SPECIAL_REASONS: Mapping[int, str] = {OFF: "off", ERROR: "error"}

# "-1 = unknown" is documented only for the rotator and dome angles (as p.12);
# anywhere else -1 is a reading.
UNKNOWN_MEANS_MISSING = frozenset({"ROTPA", "ROTSKYPA", "DOMEPA"})


def special_value_reason(field: str, value: object) -> str | None:
    """C{off}, C{error} or C{unknown} when C{value} is a placeholder rather than a reading."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    reason = _SPECIAL_REASONS.get(int(value)) if math.isfinite(value) and value == int(value) else None
    if reason is None and value == UNKNOWN and field in UNKNOWN_MEANS_MISSING:
        return "unknown"
    return reason
