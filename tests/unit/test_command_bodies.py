"""Focuser and autofocus bodies: every documented param sent, defaults chosen here, bad fields a 400 naming them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from voyager_proxy.rest import command_bodies as bodies
from voyager_proxy.rest.envelope import ApiError


def refused(build: Callable[[], Any]) -> str:
    with pytest.raises(ApiError) as raised:
        build()
    assert raised.value.status == 400
    return str(raised.value.details["field"])


def test_focuser_move_is_absolute_with_every_param() -> None:
    """A move sends IsAbsoluteMove, NewPosition, MoveDirection 0 and the backlash and check flags."""
    assert bodies.focuser_move({"position": 15000}) == {
        "IsAbsoluteMove": True,
        "NewPosition": 15000,
        "MoveDirection": 0,
        "IsBLCompensation": False,
        "BLCompVersus": 0,
        "BLCompStep": 0,
        "IsFinalPositionCheck": True,
    }
    params = bodies.focuser_move(
        {
            "position": 1,
            "backlashCompensation": True,
            "backlashDirection": 1,
            "backlashSteps": 40,
            "finalPositionCheck": False,
        }
    )
    assert (params["IsBLCompensation"], params["BLCompVersus"], params["BLCompStep"]) == (True, 1, 40)
    assert params["IsFinalPositionCheck"] is False and "Position" not in params


def test_backlash_values_are_zero_while_compensation_is_off() -> None:
    """BLCompVersus and BLCompStep are 0 when no compensation is asked for, as the protocol says."""
    params = bodies.focuser_move({"position": 1, "backlashDirection": 1, "backlashSteps": 40})
    assert (params["IsBLCompensation"], params["BLCompVersus"], params["BLCompStep"]) == (False, 0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "position"),
        ({"position": -1}, "position"),
        ({"position": 1.5}, "position"),
        ({"position": 1, "offset": 5}, "offset"),
        ({"position": 1, "backlashDirection": 2}, "backlashDirection"),
        ({"position": 1, "backlashCompensation": "yes"}, "backlashCompensation"),
        ({"position": 1, "backlashSteps": -1}, "backlashSteps"),
        ({"position": 1, "finalPositionCheck": 1}, "finalPositionCheck"),
    ],
)
def test_focuser_move_refuses(body: dict[str, Any], field: str) -> None:
    """A bad move body is a 400 naming the field (an offset belongs to POST /api/focuser/offset)."""
    assert refused(lambda: bodies.focuser_move(body)) == field


def test_focuser_offset_is_signed() -> None:
    """An offset sends Offset (negative allowed) with the backlash flags, never MoveDirection; 0 is refused."""
    assert bodies.focuser_offset({"offset": -200}) == {
        "Offset": -200,
        "IsBLCompensation": False,
        "BLCompVersus": 0,
        "BLCompStep": 0,
        "IsFinalPositionCheck": True,
    }
    assert refused(lambda: bodies.focuser_offset({"offset": 0})) == "offset"
    assert refused(lambda: bodies.focuser_offset({})) == "offset"


def test_autofocus_defaults_to_on_place_with_every_flag() -> None:
    """No body: mode 2 (no goto), empty star coordinates, -1 where the value is unknown."""
    assert bodies.autofocus({}) == {
        "FocusMode": 2,
        "filtroFuocoIndex": 0,
        "IsWDMaxHFD": False,
        "WDMaxHFDLimit": -1,
        "IsRetryFocusOnWD": False,
        "PreviousPosition": -1,
        "StarRAJ2000Str": "",
        "StarDECJ2000Str": "",
        "IsGoBack": True,
        "IsOnlyPointingStar": False,
    }


def test_autofocus_on_a_star_needs_its_coordinates() -> None:
    """Mode 0 sends the star as Voyager's text; each missing coordinate is a 400 naming it."""
    params = bodies.autofocus({"mode": 0, "starRa": "11:22:32.123", "starDec": -22.184479, "maxHfd": 9.4})
    assert (params["StarRAJ2000Str"], params["StarDECJ2000Str"]) == ("11 22 32.123", "-22 11 04.124")
    assert (params["IsWDMaxHFD"], params["WDMaxHFDLimit"]) == (True, 9.4)
    assert bodies.autofocus({"mode": 0, "starRa": 0, "starDec": 89.99999999})["StarDECJ2000Str"] == "90 00 00.000"
    assert refused(lambda: bodies.autofocus({"mode": 0, "starDec": 10})) == "starRa"
    assert refused(lambda: bodies.autofocus({"mode": 0, "starRa": 10})) == "starDec"
    assert refused(lambda: bodies.autofocus({"mode": 3, "starRa": 10})) == "starRa"


def test_autofocus_modes_come_from_the_documented_list() -> None:
    """Modes 0 to 5 are taken (5 points only, without going back); 6 and text are refused."""
    pointing = bodies.autofocus({"mode": 5})
    assert (pointing["FocusMode"], pointing["IsOnlyPointingStar"], pointing["IsGoBack"]) == (5, True, False)
    assert bodies.autofocus({"mode": 1, "goBack": False})["IsGoBack"] is False
    for bad in (6, -1, "2", True):
        assert refused(lambda: bodies.autofocus({"mode": bad})) == "mode"
    assert refused(lambda: bodies.autofocus({"maxHfd": 0})) == "maxHfd"
    assert refused(lambda: bodies.autofocus({"previousPosition": -2})) == "previousPosition"
