"""Event parsing: the parsed part, special values, both shapes of odd fields."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voyager_proxy.voyager.codes import action_result_name, is_final, is_success, signal_text
from voyager_proxy.voyager.events import parse_event

COMMON = {"Timestamp": 1795484595.1, "Host": "OBS1", "Inst": 1}
CONTROL_DATA = json.loads(
    '{"Event":"ControlData","Timestamp":1795484595.1,"Host":"OBS1","Inst":1,"TI":"2026-11-24 02:43:15",'
    '"TIUTC":"2026-11-24 01:43:15","VOYSTAT":1,"SETUPCONN":true,"CCDCONN":true,"CCDTEMP":-9.8,'
    '"CCDSETP":-10,"CCDSTAT":5,"MNTPARK":false,"MNTTRACK":true,"ROTPA":-123456789,"GUIDESTAT":0}'
)


def parsed(**fields: Any) -> dict[str, Any]:
    event = parse_event({**COMMON, **fields}, 10.0)
    assert event.parsed is not None
    return dict(event.parsed)


def test_control_data_groups_and_names() -> None:
    """ControlData is grouped by device, with status names."""
    result = parse_event(CONTROL_DATA, 1.0).parsed
    assert result is not None
    assert result["status"] == {"code": 1, "name": "IDLE"}
    assert result["camera"]["temperature"] == -9.8 and result["camera"]["statusName"] == "COOLED"
    assert result["mount"]["parked"] is False and result["mount"]["tracking"] is True
    assert result["guiding"]["statusName"] == "STOPPED"
    assert result["time"] == {"local": "2026-11-24 02:43:15", "utc": "2026-11-24 01:43:15"}
    assert "dome" not in result


def test_special_values_become_null_with_a_reason() -> None:
    """OFF and ERROR become None, and -1 only where documented as unknown (ROTPA, ROTSKYPA, DOMEPA)."""
    result = parsed(
        Event="ControlData",
        ROTPA=-123456789,
        CCDTEMP=123456789,
        ROTSKYPA=-1,
        DOMECONN=True,
        DOMEPA=-1,
        AFPOS=-1,
        CCDPOW=-1,
        GUIDEX=-1,
    )
    assert result["rotator"]["positionAngle"] is None
    assert result["camera"]["temperature"] is None
    assert result["rotator"]["skyPositionAngle"] is None and result["dome"]["azimuth"] is None
    assert result["focuser"]["position"] == -1 and result["camera"]["coolerPower"] == -1
    assert result["guiding"]["errorX"] == -1
    assert result["unavailable"] == {"ROTPA": "off", "CCDTEMP": "error", "ROTSKYPA": "unknown", "DOMEPA": "unknown"}


def test_dither_status_and_signal_names_follow_the_documents() -> None:
    """DITHSTAT is named from its own table (2 WAITING_SETTLE); Signals 33 and 34 have their LocalField texts."""
    assert parsed(Event="ControlData", DITHSTAT=2)["guiding"]["ditherStatusName"] == "WAITING_SETTLE"
    assert parsed(Event="ControlData", DITHSTAT=3)["guiding"]["ditherStatusName"] == "TIMEOUT_SETTLE"
    assert parsed(Event="Signal", Code=33)["text"] == "array: LocalField autofocus on all nodes"
    assert parsed(Event="Signal", Code=34)["text"] == "array: LocalField autofocus one node"


@pytest.mark.parametrize("sent, empty", [("false", False), ("true", True), (False, False), ("maybe", None)])
def test_autofocus_is_empty_may_be_text(sent: object, empty: bool | None) -> None:
    """AutoFocusResult.IsEmpty is read from a boolean or from the text Voyager's example sends."""
    assert parsed(Event="AutoFocusResult", IsEmpty=sent)["empty"] is empty


def test_missing_fields_are_none_not_unavailable() -> None:
    """A field this Voyager version does not send is None without a reason."""
    result = parsed(Event="ControlData")
    assert result["camera"]["temperature"] is None and result["unavailable"] == {}


def test_dome_group_when_present() -> None:
    """The dome group appears only when Voyager sends dome fields."""
    assert parsed(Event="ControlData", DOMECONN=True)["dome"]["connected"] is True


def test_signal() -> None:
    """Signals carry their text; 500-506 their status name; unknown codes don't break."""
    assert parsed(Event="Signal", Code=18)["text"] == "camera shot running"
    assert parsed(Event="Signal", Code=501)["status"] == "IDLE"
    assert parsed(Event="Signal", Code=999)["text"] == "unknown signal 999"
    assert parsed(Event="Signal", Code="x")["problems"]


def test_shot_running_both_shapes() -> None:
    """Progress comes from ElapsedPerc, or from Remain/Total in the seed's shape."""
    first = parsed(Event="ShotRunning", File="a.fit", Expo=10, Elapsed=4, ElapsedPerc=40, Status=1)
    assert (first["progress"], first["remaining"], first["statusName"]) == (40.0, 6, "EXPOSE")
    seed = parsed(Event="ShotRunning", Remain=3, Total=12)
    assert (seed["elapsed"], seed["exposure"], seed["progress"]) == (9, 12, 75.0)
    assert parsed(Event="ShotRunning", ElapsedPerc=140)["progress"] == 100.0


def test_new_fit_ready() -> None:
    """NewFITReady gives the file name of a Windows path and the frame type name."""
    result = parsed(Event="NewFITReady", File="C:\\Voyager\\FIT\\probe.fit", Type=2, VoyType="SHOT", SeqTarget="M42")
    assert (result["fileName"], result["typeName"], result["target"]) == ("probe.fit", "DARK", "M42")


def test_new_jpg_ready_time_shapes_and_size() -> None:
    """TimeInfo as epoch or text; the image size comes from the base64 length; no image copy."""
    data = base64.b64encode(b"\xff\xd8" + b"x" * 1000).decode()
    number = parsed(Event="NewJPGReady", File="C:\\a\\b.fit", TimeInfo=1795484600.4, Base64Data=data)
    assert number["time"] == 1795484600.4 and number["imageSize"] == 1002 and number["fileName"] == "b.fit"
    assert data not in json.dumps(number)
    text = parsed(Event="NewJPGReady", TimeInfo="2026-11-24 02:43:20", TimeInfoUTC="2026-11-24 01:43:20")
    assert text["time"] == 1795484600.0


def test_remote_action_result() -> None:
    """Results carry name, final and success flags, reason and ParamRet."""
    ok = parsed(Event="RemoteActionResult", UID="u", ActionResultInt=4, Motivo="", ParamRet={"a": 1})
    assert (ok["name"], ok["final"], ok["success"], ok["result"]) == ("OK", True, True, {"a": 1})
    failed = parsed(Event="RemoteActionResult", UID="u", ActionResultInt=5, Motivo="no star", ParamRet=[])
    assert (failed["name"], failed["success"], failed["reason"]) == ("FINISHED_ERROR", False, "no star")
    assert failed["problems"] == ["ParamRet is not an object"]


def test_codes() -> None:
    """Final and success sets, and names of unknown codes."""
    assert is_final(7) and not is_success(7) and is_success(10) and not is_final(2)
    assert action_result_name(42) == "UNKNOWN_42" and signal_text(17) == "unknown signal 17"


def test_log_weather_autofocus() -> None:
    """LogEvent levels, safety state and autofocus results are read."""
    assert parsed(Event="LogEvent", TimeInfo=1.0, Type=3, Text="hot")["levelName"] == "WARNING"
    weather = parsed(Event="WeatherAndSafetyMonitorData", SMStatus="UNSAFE", WSCloud="UNKNOW")
    assert weather["safe"] is False and weather["cloud"] == "UNKNOW"
    focus = parsed(Event="AutoFocusResult", Done=True, Position=12000, HFD=2.4, LastError="")
    assert focus["position"] == 12000 and focus["error"] is None


def test_unknown_event_passes_through() -> None:
    """An unknown event keeps its fields and has no parsed part."""
    fields = {**COMMON, "Event": "NewThing", "X": [1, {"y": 2}]}
    event = parse_event(fields, 1.0)
    assert event.parsed is None and event.fields == fields and event.name == "NewThing"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
    max_leaves=10,
)
known_names = st.sampled_from(
    [
        "Version",
        "Signal",
        "ControlData",
        "ShotRunning",
        "NewFITReady",
        "NewJPGReady",
        "RemoteActionResult",
        "LogEvent",
        "WeatherAndSafetyMonitorData",
        "AutoFocusResult",
        "Polling",
        "ShutDown",
        "Other",
    ]
)
field_names = st.sampled_from(
    [
        "Code",
        "CCDTEMP",
        "ROTPA",
        "Expo",
        "Elapsed",
        "ElapsedPerc",
        "Remain",
        "Total",
        "File",
        "Type",
        "TimeInfo",
        "TimeInfoUTC",
        "Base64Data",
        "ActionResultInt",
        "ParamRet",
        "Motivo",
        "Status",
        "SMStatus",
        "AFPOS",
        "VOYSTAT",
        "DOMECONN",
        "Position",
    ]
) | st.text(max_size=8)


@given(known_names, st.dictionaries(field_names, json_values, max_size=8))
def test_parse_never_raises_nor_mutates(name: str, fields: dict[str, Any]) -> None:
    """Any JSON object with any event name parses without raising and is left unchanged."""
    message = {**fields, "Event": name}
    before = copy.deepcopy(message)
    event = parse_event(message, 0.0)
    assert event.fields == before and message == before
    json.dumps(event.parsed)
