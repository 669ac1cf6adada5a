"""The documents' example events, and the events in their example answers, read by the proxy's parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.support import catalogue
from voyager_proxy.voyager.codes import DITHSTAT, GUIDESTAT, signal_text
from voyager_proxy.voyager.events import parse_event

# What each example must be read as: a few meaningful values per event type.
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], None]


def _version(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["version"] == fields["VOYVersion"] and parsed["messageVersion"] == 1


def _signal(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["code"] == fields["Code"] and parsed["text"] == signal_text(fields["Code"])


def _new_fit(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["fileName"] == fields["File"].rsplit("\\", 1)[-1] and parsed["typeName"] is not None


def _new_jpg(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["width"] == 2048 and parsed["height"] == 1024 and parsed["exposure"] == 1
    assert parsed["fileName"] == "TestShot_20190728_112558.fit" and parsed["time"] == fields["TimeInfo"]


def _action_result(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    code = fields["ActionResultInt"]
    assert parsed["code"] == code and not parsed["name"].startswith("UNKNOWN")
    assert parsed["result"] == fields["ParamRet"]


def _control_data(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    # The example carries CCDPOW -123456789 (off), CCDSETP and AFPOS +123456789 (error).
    assert parsed["camera"]["coolerPower"] is None and parsed["camera"]["setPoint"] is None
    assert parsed["focuser"]["position"] is None and parsed["focuser"]["temperature"] is None
    assert parsed["unavailable"] == {"CCDPOW": "off", "CCDSETP": "error", "AFTEMP": "error", "AFPOS": "error"}
    assert parsed["camera"]["temperature"] == 10 and parsed["camera"]["statusName"] == "UNDEF"
    assert parsed["mount"]["flipStatusName"] == "DONE" and parsed["mount"]["pier"] == "pierEast"
    documented_guide = catalogue.enum_values("GUIDESTAT")[fields["GUIDESTAT"]]
    assert documented_guide.startswith(parsed["guiding"]["statusName"])
    assert parsed["guiding"]["ditherStatusName"] == "STOPPED" and parsed["guiding"]["errorX"] == -0.259


def _weather(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["safe"] is True and parsed["cloud"] == "CLEAR" and parsed["weatherConnected"] is True


def _shot_running(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["progress"] == 100 and parsed["statusName"] == "EXPOSE" and parsed["remaining"] == 0


def _log_event(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed["levelName"] == "DEBUG" and parsed["text"] == fields["Text"]


def _autofocus(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert fields["IsEmpty"] == "false" and parsed["empty"] is False  # sent as text
    assert parsed["done"] is True and parsed["position"] == 53149 and parsed["error"] is None


def _nothing(fields: Mapping[str, Any], parsed: Mapping[str, Any]) -> None:
    assert parsed == {}


CHECKS: Mapping[str, Check] = {
    "Version": _version,
    "Polling": _nothing,
    "ShutDown": _nothing,
    "ArrayElementData": _nothing,
    "Signal": _signal,
    "NewFITReady": _new_fit,
    "NewJPGReady": _new_jpg,
    "RemoteActionResult": _action_result,
    "ControlData": _control_data,
    "WeatherAndSafetyMonitorData": _weather,
    "ShotRunning": _shot_running,
    "LogEvent": _log_event,
    "AutoFocusResult": _autofocus,
}


@pytest.mark.parametrize("name", catalogue.events())
def test_documented_example_event_is_read(name: str, checked: dict[str, set[str]]) -> None:
    """Each event's documented example parses without problems into the values it shows."""
    fields = catalogue.event_example(name)
    assert fields["Event"] == name
    event = parse_event(fields, 0.0)
    check = CHECKS.get(name)
    if check is None:
        assert event.parsed is None and event.fields == fields  # passed through as sent
    else:
        assert event.parsed is not None and "problems" not in event.parsed, event.parsed
        check(fields, event.parsed)
    checked["events"].add(name)


@pytest.mark.parametrize("method", catalogue.methods())
def test_events_in_example_answers_are_read(method: str, checked: dict[str, set[str]]) -> None:
    """Every event in a method's example answers parses without problems; results are named, signals have text."""
    for fields in catalogue.example_answers(method):
        name = fields.get("Event")
        if not isinstance(name, str):
            continue
        event = parse_event(fields, 0.0)
        if name not in CHECKS:
            assert event.parsed is None
            continue
        assert event.parsed is not None and "problems" not in event.parsed, (method, event.parsed)
        if name == "RemoteActionResult":
            _action_result(fields, event.parsed)
        elif name == "Signal":
            _signal(fields, event.parsed)
        checked["events"].add(name)
    checked["methods"].add(method)


@pytest.mark.parametrize("table, ours", [("GUIDESTAT", GUIDESTAT), ("DITHSTAT", DITHSTAT)])
def test_guide_and_dither_status_names_are_the_documented_ones(table: str, ours: Mapping[int, str]) -> None:
    """GUIDESTAT and DITHSTAT codes are named as their own tables print them (the two orders differ)."""
    documented = catalogue.enum_values(table)
    assert sorted(ours) == sorted(documented)
    for code, text in documented.items():
        assert text.startswith(ours[code]), (code, text, ours[code])


def test_every_documented_signal_has_its_text() -> None:
    """Each documented Signal code has a text of its own, never the unknown-signal fallback."""
    for code in catalogue.enum_values("Signal"):
        assert not signal_text(code).startswith("unknown signal"), code
