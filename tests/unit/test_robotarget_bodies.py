"""Every RoboTarget body check: good values become Voyager's params, bad ones a 400 naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.bodies import CONSTRAINT_VALUES
from voyager_proxy.rest import robotarget_bodies as bodies
from voyager_proxy.rest.envelope import ApiError

GUID = "0697F2F9-24E4-4850-84E9-18EA28B05FE9"
SEQUENCE = "6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b01"
NOW = 1795484593.0


def refused(build: Callable[[], Any]) -> str:
    with pytest.raises(ApiError) as raised:
        build()
    assert raised.value.status == 400
    return str(raised.value.details["field"])


def target(**fields: Any) -> dict[str, Any]:
    return {
        "RefGuidSet": GUID,
        "RefGuidBaseSequence": SEQUENCE,
        "TargetName": "M42",
        "RAJ2000": 5.5,
        "DECJ2000": -5.4,
        **fields,
    }


def test_guid() -> None:
    """GUIDs are lower-cased; empty, short, long, non-hex and non-string ones are refused naming the field; new ones are fresh."""
    assert bodies.guid(GUID, "g") == GUID.lower()
    for bad in ("", "0697f2f9-24e4-4850-84e9", GUID + "0", "zz97f2f9-24e4-4850-84e9-18ea28b05fe9", 7, None):
        assert refused(lambda: bodies.guid(bad, "g")) == "g"
    assert bodies.new_guid({}, "Guid") != bodies.new_guid({}, "Guid")
    assert bodies.new_guid({"Guid": GUID}, "Guid") == GUID.lower()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (1795484593, 1795484593),
        (1795484593.9, 1795484593),
        ("2026-11-24T01:43:13Z", 1795484593),
        ("2026-11-24T02:43:13+01:00", 1795484593),
        ("2026-11-24T01:43:13", 1795484593),
    ],
)
def test_epoch_from_numbers_and_iso_8601(given: Any, expected: int) -> None:
    """Dates read as whole epoch seconds from numbers and ISO 8601 (Z, offset, or naive as UTC)."""
    assert bodies.epoch({"d": given}, "d") == expected


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", -1, True, None, [1]])
def test_epoch_refuses(bad: Any) -> None:
    """Words, impossible dates, negatives, booleans, null and lists are refused as dates, naming the field."""
    assert refused(lambda: bodies.epoch({"d": bad}, "d")) == "d"


def test_time_of_day() -> None:
    """Times of day read as seconds since midnight from HH:MM, HH:MM:SS or seconds; out-of-range, wordy and fractional ones are refused."""
    assert bodies.time_of_day({"t": "21:30"}, "t") == 77400
    assert bodies.time_of_day({"t": "05:04:03"}, "t") == 18243
    assert bodies.time_of_day({"t": 3600}, "t") == 3600
    for bad in ("24:00", "12:60", "noon", 86400, -1, 1.5):
        assert refused(lambda: bodies.time_of_day({"t": bad}, "t")) == "t"


INTERVAL = {"DateTimeStart": 1800000000, "DateTimeEnd": "2027-01-15T12:00:00Z"}


def test_every_constraint_letter_needs_its_values() -> None:
    """Each C_Mask letter of the AddTarget table sends its fields and is refused without them."""
    good = CONSTRAINT_VALUES
    every = "".join(bodies.CONSTRAINT_FIELDS)
    assert every == "ABCDEFGHJKLMNOPQRSTUV"
    params = bodies.constraints({"C_Mask": every, **good})
    assert params["C_Mask"] == every and params["C_TimeStart"] == 75600 and params["C_MoonDistanceLorentzian"] == 1
    assert params["C_DateStart"] == 1796083200
    for letter, fields in bodies.CONSTRAINT_FIELDS.items():
        for field in fields:
            assert (
                refused(lambda: bodies.constraints({"C_Mask": letter, **{k: v for k, v in good.items() if k != field}}))
                == field
            )
    assert refused(lambda: bodies.constraints({"C_Mask": "B", "C_AltMin": 95})) == "C_AltMin"
    assert refused(lambda: bodies.constraints({"C_Mask": "K", "C_MoonDown": "yes"})) == "C_MoonDown"


def test_mask_letters_follow_the_addtarget_table() -> None:
    """S is the Lorentzian moon avoidance, T the max sequence time, U one shot, V preset time intervals."""
    assert bodies.constraints({"C_Mask": "S", "C_MoonDistanceLorentzian": 2})["C_MoonDistanceLorentzian"] == 2
    assert bodies.constraints({"C_Mask": "T", "C_MaxTime": 90})["C_MaxTime"] == 90
    one_shot = bodies.constraints(
        {"C_Mask": "U", "C_OSDateStart": 1800000000, "C_OSTimeStart": "22:00", "C_OSEarly": 5}
    )
    assert (one_shot["C_OSDateStart"], one_shot["C_OSTimeStart"], one_shot["C_OSEarly"]) == (1800000000, 79200, 5)
    preset = bodies.constraints(
        {
            "C_Mask": "V",
            "C_PINTEarly": 0,
            "C_PINTReset": True,
            "C_PINTIntervals": [{**INTERVAL, "UID": GUID, "Status": 1}],
        }
    )
    assert preset["C_PINTIntervals"] == [
        {"UID": GUID.lower(), "Enabled": True, "DateTimeStart": 1800000000, "DateTimeEnd": 1800014400, "Status": 1}
    ]
    assert "C_MoonDistanceLorentzian" not in bodies.constraints({"C_Mask": "N", "C_MoonDistanceDegree": 30})
    assert (
        refused(lambda: bodies.constraints({"C_Mask": "S", "C_MoonDistanceLorentzian": 3}))
        == "C_MoonDistanceLorentzian"
    )
    for bad, field in [
        ([], "C_PINTIntervals"),
        ([{"DateTimeStart": 1800000000}], "C_PINTIntervals[0].DateTimeEnd"),
        ([{**INTERVAL, "DateTimeEnd": 1800000000}], "C_PINTIntervals[0].DateTimeEnd"),
        ([{**INTERVAL, "Status": 3}], "C_PINTIntervals[0].Status"),
        (["x"], "C_PINTIntervals[0]"),
    ]:
        body = {"C_Mask": "V", "C_PINTEarly": 0, "C_PINTReset": True, "C_PINTIntervals": bad}
        assert refused(lambda: bodies.constraints(body)) == field


def test_mask_letters_and_mask2_codes() -> None:
    """C_Mask refuses unknown, repeated and lower-case letters; each C_Mask2 code needs its boolean, unknown or repeated codes are refused."""
    assert refused(lambda: bodies.constraints({"C_Mask": "I"})) == "C_Mask"  # no letter I
    assert refused(lambda: bodies.constraints({"C_Mask": "BB", "C_AltMin": 10})) == "C_Mask"
    assert refused(lambda: bodies.constraints({"C_Mask": "b", "C_AltMin": 10})) == "C_Mask"
    params = bodies.constraints({"C_Mask2": "L01N01", "C_L01": True, "C_N01": False})
    assert params["C_L01"] is True and params["C_N01"] is False and params["C_Mask2"] == "L01N01"
    assert refused(lambda: bodies.constraints({"C_Mask2": "L01"})) == "C_L01"
    assert refused(lambda: bodies.constraints({"C_Mask2": "X01", "C_X01": True})) == "C_Mask2"
    assert refused(lambda: bodies.constraints({"C_Mask2": "L01L01", "C_L01": True})) == "C_Mask2"


def test_set_params() -> None:
    """A new set gets a GUID, Status 0 and IsDefault false; an update sends RefGuidSet; missing, blank or bad Name, Status and path GUID are refused."""
    created = bodies.set_params({"Name": "Booking", "ProfileName": "Default.v2y"})
    assert created["Status"] == 0 and created["IsDefault"] is False and len(created["Guid"]) == 36
    assert bodies.set_params({"Name": "B", "Status": 1}, guid_from_path=GUID) == {
        "RefGuidSet": GUID.lower(),
        "Name": "B",
        "Tag": "",
        "Status": 1,
        "Note": "",
    }
    assert refused(lambda: bodies.set_params({"ProfileName": "Default.v2y"})) == "Name"
    assert refused(lambda: bodies.set_params({"Name": " ", "ProfileName": "x"})) == "Name"
    assert refused(lambda: bodies.set_params({"Name": "B", "ProfileName": "x", "Status": 2})) == "Status"
    assert refused(lambda: bodies.set_params({"Name": "B"}, guid_from_path="x")) == "guid"


def test_target_params() -> None:
    """Targets take sexagesimal RA/Dec, default Priority 2 and DateCreation now; each out-of-range or mistyped field is refused by name."""
    params = bodies.target_params(target(RAJ2000="05:35:17.3", DECJ2000="-05° 23' 28\""), NOW)
    assert abs(params["RAJ2000"] - 5.588139) < 1e-6 and abs(params["DECJ2000"] + 5.391111) < 1e-6
    assert params["Priority"] == 2 and params["DateCreation"] == int(NOW) and params["RefGuidSet"] == GUID.lower()
    assert "RefGuidTarget" in bodies.target_params(target(), NOW, guid_from_path=GUID)
    assert bodies.target_params(target(), NOW, set_guid=SEQUENCE)["RefGuidSet"] == SEQUENCE
    for field, bad in [
        ("RAJ2000", 24),
        ("RAJ2000", "25:00:00"),
        ("DECJ2000", -91),
        ("Priority", 5),
        ("Status", -1),
        ("StatusOp", 5),
        ("RefGuidBaseSequence", "x"),
        ("TargetName", ""),
        ("IsRepeat", 1),
        ("DateCreation", "yesterday"),
        ("CoolSetPoint", -61),
    ]:
        assert refused(lambda: bodies.target_params(target(**{field: bad}), NOW)) == field


def test_target_type_is_always_sent() -> None:
    """TType defaults to 0 (DSO); a dynamic type (1-4) needs its TKey; other values are refused."""
    params = bodies.target_params(target(), NOW)
    assert (params["TType"], params["TKey"], params["TName"]) == (0, "", "")
    assert "TType" in bodies.target_params(target(), NOW, guid_from_path=GUID)
    comet = bodies.target_params(target(TType=1, TKey="C/2023 A3", TName="Tsuchinshan-ATLAS"), NOW)
    assert (comet["TType"], comet["TKey"], comet["TName"]) == (1, "C/2023 A3", "Tsuchinshan-ATLAS")
    assert refused(lambda: bodies.target_params(target(TType=2), NOW)) == "TKey"
    for bad in (5, -1, "0", True):
        assert refused(lambda: bodies.target_params(target(TType=bad), NOW)) == "TType"


def test_shot_params() -> None:
    """Shot bodies: Gain and Offset default to 0 and take no special values (RoboTarget documents none)."""
    params = bodies.shot_params({"RefGuidTarget": GUID, "Num": 10, "Exposure": 300, "Gain": 120})
    assert params["Gain"] == 120 and params["Offset"] == 0 and params["Order"] == -1 and params["Enabled"]
    assert bodies.shot_params({"RefGuidTarget": GUID, "Num": 1, "Exposure": 1})["Gain"] == 0
    for field, bad in [
        ("Num", 0),
        ("Exposure", 0),
        ("Exposure", "60"),
        ("FilterIndex", 32),
        ("Bin", 5),
        ("Type", 4),
        ("Gain", -1),
        ("Gain", -800000),
        ("Offset", -900000),
        ("Offset", 1.5),
        ("RefGuidTarget", None),
    ]:
        body = {"RefGuidTarget": GUID, "Num": 1, "Exposure": 1, field: bad}
        assert refused(lambda: bodies.shot_params(body)) == field


def test_plan_names_nested_fields_and_links_its_parts() -> None:
    """A plan links target to set and shots to target; a bad nested field is refused by its path (shots[1].Num, target.DECJ2000)."""
    good: dict[str, Any] = {
        "set": {"Name": "B", "ProfileName": "Default.v2y"},
        "target": {k: v for k, v in target().items() if k != "RefGuidSet"},
        "shots": [{"Num": 1, "Exposure": 1}, {"Num": 2, "Exposure": 2}],
    }
    plan = bodies.plan(good, NOW)
    assert plan.target["RefGuidSet"] == plan.set["Guid"]
    assert [shot["RefGuidTarget"] for shot in plan.shots] == [plan.target["GuidTarget"]] * 2
    assert (
        refused(lambda: bodies.plan({**good, "shots": [{"Num": 1, "Exposure": 1}, {"Num": 0, "Exposure": 1}]}, NOW))
        == "shots[1].Num"
    )
    assert (
        refused(lambda: bodies.plan({**good, "target": {**good["target"], "DECJ2000": 99}}, NOW)) == "target.DECJ2000"
    )
    assert refused(lambda: bodies.plan({**good, "set": {"Name": "B"}}, NOW)) == "set.ProfileName"
    assert refused(lambda: bodies.plan({**good, "shots": []}, NOW)) == "shots"
    assert refused(lambda: bodies.plan({**good, "shots": [{}] * 51}, NOW)) == "shots"
    assert refused(lambda: bodies.plan({**good, "shots": ["x"]}, NOW)) == "shots[0]"
    assert refused(lambda: bodies.plan({**good, "target": None}, NOW)) == "target"


def test_updates_keep_what_the_body_leaves_out() -> None:
    """UpdateTarget sends no new C_ID or DateCreation unless asked; AddTarget always has both."""
    update = bodies.target_params(target(), NOW, guid_from_path=GUID)
    assert "C_ID" not in update and "DateCreation" not in update
    update = bodies.target_params(target(C_ID=SEQUENCE, DateCreation=1800000000), NOW, guid_from_path=GUID)
    assert update["C_ID"] == SEQUENCE and update["DateCreation"] == 1800000000
    created = bodies.target_params(target(), NOW)
    assert len(created["C_ID"]) == 36 and created["DateCreation"] == int(NOW) and created["Status"] == 0


def test_a_plan_prepares_its_target_disabled_and_refuses_repeated_guids() -> None:
    """A plan's target is created disabled unless asked otherwise; a GUID used twice in one plan is refused where it repeats."""
    good: dict[str, Any] = {
        "set": {"Name": "B", "ProfileName": "Default.v2y"},
        "target": {k: v for k, v in target().items() if k != "RefGuidSet"},
        "shots": [{"Num": 1, "Exposure": 1}],
    }
    assert bodies.plan(good, NOW).target["Status"] == 1
    assert bodies.plan({**good, "target": {**good["target"], "Status": 0}}, NOW).target["Status"] == 0
    twice = {
        **good,
        "shots": [{"Num": 1, "Exposure": 1, "GuidShot": GUID}, {"Num": 1, "Exposure": 1, "GuidShot": GUID}],
    }
    assert refused(lambda: bodies.plan(twice, NOW)) == "shots[1].GuidShot"
    clash = {**good, "set": {**good["set"], "Guid": GUID}, "target": {**good["target"], "GuidTarget": GUID}}
    assert refused(lambda: bodies.plan(clash, NOW)) == "target.GuidTarget"


def test_numbers_too_big_for_a_float_and_dates_out_of_range_are_400() -> None:
    """Integers beyond a float and dates out of range (year 1, year 2200) are refused naming the field, never a crash."""
    huge = 10**400
    assert refused(lambda: bodies.shot_params({"RefGuidTarget": GUID, "Num": 1, "Exposure": huge})) == "Exposure"
    assert refused(lambda: bodies.target_params(target(RAJ2000=huge), NOW)) == "RAJ2000"
    assert refused(lambda: bodies.epoch({"d": "0001-01-01"}, "d")) == "d"
    assert refused(lambda: bodies.epoch({"d": "2200-01-01T00:00:00Z"}, "d")) == "d"
