"""
Request bodies of the focuser and autofocus routes turned into Voyager's params (pure).

These commands take many params; every one the protocol documents is sent,
with the defaults written here, so Voyager never falls back on a value of
its own that nobody chose. Every error is a 400 naming the field. Each body
is declared once (L{FOCUSER_MOVE}, L{FOCUSER_OFFSET}, L{AUTOFOCUS}): its
reader uses those fields and the OpenAPI document is built from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid
from .fields import Angle, Body, Flag, Integer, Number

MAX_FOCUSER_STEPS = 10_000_000
OUT, IN = 0, 1  # MoveDirection and BLCompVersus
FOCUS_STAR, ON_PLACE, ONLY_POINTING = 0, 2, 5  # FocusMode values this module treats apart
FOCUS_MODES = range(0, 6)  # 0 star, 1 FocusMax, 2 on place, 3 RoboStar, 4 LocalField, 5 pointing only

COMPENSATE = Flag("backlashCompensation", default=False, description="IsBLCompensation")
DIRECTION = Integer(
    "backlashDirection",
    OUT,
    IN,
    default=OUT,
    description="BLCompVersus: 0 OUT, 1 IN; sent as 0 unless backlashCompensation",
)
STEPS = Integer(
    "backlashSteps", 0, MAX_FOCUSER_STEPS, default=0, description="BLCompStep; sent as 0 unless backlashCompensation"
)
FINAL_CHECK = Flag(
    "finalPositionCheck",
    default=True,
    description="IsFinalPositionCheck: check the position reached and retry if it differs",
)
BACKLASH = (COMPENSATE, DIRECTION, STEPS, FINAL_CHECK)

POSITION = Integer("position", 0, MAX_FOCUSER_STEPS, description="NewPosition, steps")
OFFSET = Integer("offset", -MAX_FOCUSER_STEPS, MAX_FOCUSER_STEPS, description="Offset, signed steps; not 0")

MODE = Integer(
    "mode",
    FOCUS_MODES.start,
    FOCUS_MODES.stop - 1,
    default=ON_PLACE,
    description="FocusMode: 0 star at starRa/starDec, 1 FocusMax, 2 on place, 3 RoboStar, "
    "4 LocalField, 5 only point to a RoboStar star",
)
FOCUS_FILTER = Integer("filterIndex", 0, 31, default=0, description="filtroFuocoIndex, 0-based")
STAR_RA = Angle(
    "starRa",
    0,
    24,
    wraps=True,
    optional=True,
    description='mode 0 only: hours, decimal or sexagesimal; sent as StarRAJ2000Str "HH MM SS.sss"',
)
STAR_DEC = Angle(
    "starDec",
    -90,
    90,
    optional=True,
    description='mode 0 only: degrees, decimal or sexagesimal; sent as StarDECJ2000Str "DD MM SS.sss"',
)
MAX_HFD = Number(
    "maxHfd",
    0,
    100,
    above=True,
    optional=True,
    description="IsWDMaxHFD and WDMaxHFDLimit (pixels): refocus above it; absent: off, limit -1",
)
RETRY = Flag(
    "retryOnWatchdog", default=False, description="IsRetryFocusOnWD: retry when a watchdog trips, else go back"
)
PREVIOUS = Integer("previousPosition", -1, MAX_FOCUSER_STEPS, default=-1, description="PreviousPosition, -1 unknown")
GO_BACK = Flag(
    "goBack",
    optional=True,
    description="IsGoBack: return to where the telescope pointed after a goto; default true, false for mode 5",
)


def backlash(body: Mapping[str, Any]) -> dict[str, Any]:
    """The backlash and final-check params shared by both focuser methods (0 when compensation is off)."""
    compensate = COMPENSATE.read(body)
    direction = DIRECTION.read(body)
    steps = STEPS.read(body)
    return {
        "IsBLCompensation": compensate,
        "BLCompVersus": direction if compensate else OUT,
        "BLCompStep": steps if compensate else 0,
        "IsFinalPositionCheck": FINAL_CHECK.read(body),
    }


def focuser_move(body: Mapping[str, Any]) -> dict[str, Any]:
    """RemoteFocuserMoveTo to the absolute C{position} (MoveDirection is 0 for absolute moves)."""
    if "offset" in body:
        raise invalid("offset", "a relative move is POST /api/focuser/offset")
    return {
        "IsAbsoluteMove": True,
        "NewPosition": POSITION.read(body),
        "MoveDirection": OUT,
        **backlash(body),
    }


def focuser_offset(body: Mapping[str, Any]) -> dict[str, Any]:
    """RemoteFocuserOffset by the signed C{offset} in steps (positive or negative, never 0)."""
    offset = OFFSET.read(body)
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
    mode = MODE.read(body)
    ra = dec = ""
    if mode == FOCUS_STAR:
        for field in (STAR_RA, STAR_DEC):
            if body.get(field.name) is None:
                raise invalid(field.name, "is required")
        ra = _sexagesimal(STAR_RA.read(body))
        dec = _sexagesimal(STAR_DEC.read(body))
    else:
        for name in ("starRa", "starDec"):
            if name in body:
                raise invalid(name, f"is used only by mode {FOCUS_STAR} (focus on a given star)")
    max_hfd = MAX_HFD.read(body)
    go_back = GO_BACK.read(body)
    return {
        "FocusMode": mode,
        "filtroFuocoIndex": FOCUS_FILTER.read(body),
        "IsWDMaxHFD": max_hfd is not None,
        "WDMaxHFDLimit": -1 if max_hfd is None else max_hfd,
        "IsRetryFocusOnWD": RETRY.read(body),
        "PreviousPosition": PREVIOUS.read(body),
        "StarRAJ2000Str": ra,
        "StarDECJ2000Str": dec,
        "IsGoBack": mode != ONLY_POINTING if go_back is None else go_back,
        "IsOnlyPointingStar": mode == ONLY_POINTING,
    }


FOCUSER_MOVE = Body((POSITION, *BACKLASH), rules={"not": {"required": ["offset"]}}, reader=focuser_move)
FOCUSER_OFFSET = Body(
    (OFFSET, *BACKLASH),
    rules={"not": {"properties": {"offset": {"const": 0}}, "required": ["offset"]}},
    reader=focuser_offset,
)
AUTOFOCUS = Body(
    (MODE, FOCUS_FILTER, STAR_RA, STAR_DEC, MAX_HFD, RETRY, PREVIOUS, GO_BACK),
    rules={
        "if": {"properties": {"mode": {"const": FOCUS_STAR}}, "required": ["mode"]},
        "then": {"required": ["starRa", "starDec"]},
        "else": {"not": {"anyOf": [{"required": ["starRa"]}, {"required": ["starDec"]}]}},
    },
    reader=autofocus,
)
