"""
Request bodies of the focuser and autofocus routes turned into Voyager's params (pure).

These commands take many params; every one the protocol documents is sent,
with the defaults written here, so Voyager never falls back on a value of
its own that nobody chose. Every error is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import validation as check
from .envelope import invalid

MAX_FOCUSER_STEPS = 10_000_000
OUT, IN = 0, 1  # MoveDirection and BLCompVersus
FOCUS_STAR, ON_PLACE, ONLY_POINTING = 0, 2, 5  # FocusMode values this module treats apart
FOCUS_MODES = range(0, 6)  # 0 star, 1 FocusMax, 2 on place, 3 RoboStar, 4 LocalField, 5 pointing only


def _flag(body: Mapping[str, Any], field: str, default: bool) -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise invalid(field, "must be true or false")
    return value


def backlash(body: Mapping[str, Any]) -> dict[str, Any]:
    """The backlash and final-check params shared by both focuser methods (0 when compensation is off)."""
    compensate = _flag(body, "backlashCompensation", False)
    direction = check.integer(body, "backlashDirection", OUT, IN, OUT)
    steps = check.integer(body, "backlashSteps", 0, MAX_FOCUSER_STEPS, 0)
    return {
        "IsBLCompensation": compensate,
        "BLCompVersus": direction if compensate else OUT,
        "BLCompStep": steps if compensate else 0,
        "IsFinalPositionCheck": _flag(body, "finalPositionCheck", True),
    }


def focuser_move(body: Mapping[str, Any]) -> dict[str, Any]:
    """RemoteFocuserMoveTo to the absolute C{position} (MoveDirection is 0 for absolute moves)."""
    if "offset" in body:
        raise invalid("offset", "a relative move is POST /api/focuser/offset")
    return {
        "IsAbsoluteMove": True,
        "NewPosition": check.integer(body, "position", 0, MAX_FOCUSER_STEPS),
        "MoveDirection": OUT,
        **backlash(body),
    }


def focuser_offset(body: Mapping[str, Any]) -> dict[str, Any]:
    """RemoteFocuserOffset by the signed C{offset} in steps (positive or negative, never 0)."""
    offset = check.integer(body, "offset", -MAX_FOCUSER_STEPS, MAX_FOCUSER_STEPS)
    if offset == 0:
        raise invalid("offset", "must not be 0")
    return {"Offset": offset, **backlash(body)}


def _sexagesimal(value: float, places: int = 3) -> str:
    """C{value} as Voyager's C{"HH MM SS.sss"} text (a minus sign when negative, none otherwise)."""
    sign = "-" if value < 0 else ""
    scaled = round(abs(value) * 3600 * 10**places)
    whole, fraction = divmod(scaled, 10**places)
    minutes, seconds = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d} {minutes:02d} {seconds:02d}.{fraction:0{places}d}"


def autofocus(body: Mapping[str, Any]) -> dict[str, Any]:
    """
    RemoteFocusEx with every flag. C{mode} defaults to 2 (on place: no
    goto); mode 0 goes to the star at C{starRa}/C{starDec}, which only it takes.
    """
    mode = check.integer(body, "mode", FOCUS_MODES.start, FOCUS_MODES.stop - 1, ON_PLACE)
    ra = dec = ""
    if mode == FOCUS_STAR:
        ra = _sexagesimal(check.angle(body, "starRa", 0, 24, wraps=True))
        dec = _sexagesimal(check.angle(body, "starDec", -90, 90, wraps=False))
    else:
        for field in ("starRa", "starDec"):
            if field in body:
                raise invalid(field, f"is used only by mode {FOCUS_STAR} (focus on a given star)")
    max_hfd = body.get("maxHfd")
    return {
        "FocusMode": mode,
        "filtroFuocoIndex": check.integer(body, "filterIndex", 0, 31, 0),
        "IsWDMaxHFD": max_hfd is not None,
        "WDMaxHFDLimit": -1 if max_hfd is None else check.number(body, "maxHfd", 0, 100, above=True),
        "IsRetryFocusOnWD": _flag(body, "retryOnWatchdog", False),
        "PreviousPosition": check.integer(body, "previousPosition", -1, MAX_FOCUSER_STEPS, -1),
        "StarRAJ2000Str": ra,
        "StarDECJ2000Str": dec,
        "IsGoBack": _flag(body, "goBack", mode != ONLY_POINTING),
        "IsOnlyPointingStar": mode == ONLY_POINTING,
    }
