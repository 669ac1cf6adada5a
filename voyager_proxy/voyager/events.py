"""Typed Voyager events: the fields as received plus a C{parsed} part (pure)."""

from __future__ import annotations

import calendar
import ntpath
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..numbers import finite_number
from .codes import (
    CCDSTAT,
    DITHSTAT,
    FRAME_TYPE,
    GUIDESTAT,
    LOG_LEVEL,
    MNTSFLIP,
    SHOT_STATUS,
    SIGNAL_STATUS,
    VOYSTAT,
    action_result_name,
    is_final,
    is_success,
    name_of,
    signal_text,
    special_value_reason,
)

Fields = Mapping[str, Any]
Parsed = dict[str, Any]


@attrs.frozen
class VoyagerEvent:
    """One event: C{fields} exactly as Voyager sent them, C{parsed} our reading of them."""

    name: str
    fields: Fields
    parsed: Mapping[str, Any] | None
    received_at: float


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _loose_flag(value: Any) -> bool | None:
    """A boolean also when sent as the text C{"true"}/C{"false"} (AutoFocusResult.IsEmpty, as p.16)."""
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return _flag(value)


def file_name(path: Any) -> str | None:
    """The file part of a Windows path Voyager names, or None."""
    return ntpath.basename(path) if isinstance(path, str) else None


def _epoch(value: Any) -> float | None:
    """Epoch seconds from a number or a C{YYYY-MM-DD HH:MM:SS} string (read as UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(calendar.timegm(time.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")))
        except ValueError:
            return None
    return None


def _version(f: Fields) -> Parsed:
    return {
        "host": _text(f.get("Host")),
        "instance": finite_number(f.get("Inst")),
        "version": _text(f.get("VOYVersion")),
        "subversion": _text(f.get("VOYSubver")),
        "messageVersion": finite_number(f.get("MsgVersion")),
    }


def _empty(f: Fields) -> Parsed:
    return {}


def _signal(f: Fields) -> Parsed:
    code = f.get("Code")
    if not isinstance(code, int) or isinstance(code, bool):
        return {"code": None, "text": None, "status": None, "problems": ["Code is not an integer"]}
    return {"code": code, "text": signal_text(code), "status": SIGNAL_STATUS.get(code)}


class _Readings:
    """Reads ControlData fields, turning placeholder values into None with a reason."""

    __slots__ = ("fields", "unavailable")

    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.unavailable: dict[str, str] = {}

    def value(self, name: str) -> Any:
        value = self.fields.get(name)
        reason = special_value_reason(name, value)
        if reason is None:
            return value
        self.unavailable[name] = reason
        return None


def _control_data(f: Fields) -> Parsed:
    r = _Readings(f)
    v = r.value
    status = v("VOYSTAT")
    camera_status = v("CCDSTAT")
    guide_status = v("GUIDESTAT")
    dither_status = v("DITHSTAT")
    flip_status = v("MNTSFLIP")
    parsed: Parsed = {
        "time": {"local": v("TI"), "utc": v("TIUTC")},
        "status": {"code": status, "name": name_of(VOYSTAT, status)},
        "setupConnected": v("SETUPCONN"),
        "camera": {
            "connected": v("CCDCONN"),
            "temperature": v("CCDTEMP"),
            "setPoint": v("CCDSETP"),
            "coolerPower": v("CCDPOW"),
            "coolerOn": v("CCDCOOL"),
            "status": camera_status,
            "statusName": name_of(CCDSTAT, camera_status),
        },
        "mount": {
            "connected": v("MNTCONN"),
            "parked": v("MNTPARK"),
            "tracking": v("MNTTRACK"),
            "slewing": v("MNTSLEW"),
            "ra": v("MNTRA"),
            "dec": v("MNTDEC"),
            "raJ2000": v("MNTRAJ2000"),
            "decJ2000": v("MNTDECJ2000"),
            "azimuth": v("MNTAZ"),
            "altitude": v("MNTALT"),
            "pier": v("MNTPIER"),
            "timeToFlip": v("MNTTFLIP"),
            "flipStatus": flip_status,
            "flipStatusName": name_of(MNTSFLIP, flip_status),
        },
        "focuser": {"connected": v("AFCONN"), "temperature": v("AFTEMP"), "position": v("AFPOS")},
        "guiding": {
            "connected": v("GUIDECONN"),
            "status": guide_status,
            "statusName": name_of(GUIDESTAT, guide_status),
            "ditherStatus": dither_status,
            "ditherStatusName": name_of(DITHSTAT, dither_status),
            "errorX": v("GUIDEX"),
            "errorY": v("GUIDEY"),
        },
        "sequence": {
            "name": v("SEQNAME"),
            "file": v("RUNSEQ"),
            "start": v("SEQSTART"),
            "remaining": v("SEQREMAIN"),
            "end": v("SEQEND"),
            "totalSeconds": v("SEQTOT"),
            "elapsedSeconds": v("SEQPARZ"),
            "dragScript": {
                "file": v("RUNDS"),
                "name": v("DRAGNAME"),
                "start": v("DRAGSTART"),
                "remaining": v("DRAGREMAIN"),
                "end": v("DRAGEND"),
            },
        },
        "rotator": {
            "connected": v("ROTCONN"),
            "positionAngle": v("ROTPA"),
            "skyPositionAngle": v("ROTSKYPA"),
            "rotating": v("ROTISROT"),
        },
        "solver": {"planetariumConnected": v("PLACONN"), "plateSolverConnected": v("PSCONN")},
    }
    if "DOMECONN" in f:
        parsed["dome"] = {
            "connected": v("DOMECONN"),
            "azimuth": v("DOMEPA"),
            "moving": v("DOMEISMOV"),
            "shutter": v("DOMESHUTTER"),
        }
    parsed["unavailable"] = r.unavailable
    return parsed


def _shot_running(f: Fields) -> Parsed:
    # Two shapes: Elapsed/ElapsedPerc/Expo [single] and the seed's Remain/Total.
    exposure = finite_number(f.get("Expo"))
    elapsed = finite_number(f.get("Elapsed"))
    remaining = finite_number(f.get("Remain"))
    total = finite_number(f.get("Total"))
    if exposure is None:
        exposure = total
    if elapsed is None and remaining is not None and total is not None:
        elapsed = total - remaining
    if remaining is None and elapsed is not None and exposure is not None:
        remaining = max(exposure - elapsed, 0)
    progress = finite_number(f.get("ElapsedPerc"))
    if progress is None and elapsed is not None and exposure:
        progress = 100.0 * elapsed / exposure
    status = f.get("Status")
    return {
        "file": _text(f.get("File")),
        "exposure": exposure,
        "elapsed": elapsed,
        "remaining": remaining,
        "progress": None if progress is None else min(max(float(progress), 0.0), 100.0),
        "status": finite_number(status),
        "statusName": name_of(SHOT_STATUS, status),
    }


def _new_fit(f: Fields) -> Parsed:
    frame_type = f.get("Type")
    return {
        "path": _text(f.get("File")),
        "fileName": file_name(f.get("File")),
        "type": finite_number(frame_type),
        "typeName": name_of(FRAME_TYPE, frame_type),
        "voyType": _text(f.get("VoyType")),
        "target": _text(f.get("SeqTarget")),
    }


def _new_jpg(f: Fields) -> Parsed:
    data = f.get("Base64Data")  # a view of the line's bytes (see wire), or text
    image_size = None
    if isinstance(data, (str, bytes, memoryview)):
        tail = data[-2:].encode("ascii", "replace") if isinstance(data, str) else bytes(data[-2:])
        image_size = len(data) * 3 // 4 - tail.count(b"=")
    # TimeInfo is an epoch number or a local "YYYY-MM-DD HH:MM:SS" string; the
    # UTC string, when present, is the unambiguous one.
    moment = _epoch(f.get("TimeInfo")) if finite_number(f.get("TimeInfo")) is not None else None
    if moment is None:
        moment = _epoch(f.get("TimeInfoUTC"))
    if moment is None:
        moment = _epoch(f.get("TimeInfo"))
    return {
        "path": _text(f.get("File")),
        "fileName": file_name(f.get("File")),
        "target": _text(f.get("SequenceTarget")),
        "time": moment,
        "exposure": finite_number(f.get("Expo")),
        "bin": finite_number(f.get("Bin")),
        "filter": _text(f.get("Filter")),
        "hfd": finite_number(f.get("HFD")),
        "starIndex": finite_number(f.get("StarIndex")),
        "width": finite_number(f.get("PixelDimX")),
        "height": finite_number(f.get("PixelDimY")),
        "imageSize": image_size,
    }


def _action_result(f: Fields) -> Parsed:
    code = f.get("ActionResultInt")
    parsed: Parsed = {"uid": _text(f.get("UID")), "reason": _text(f.get("Motivo")) or ""}
    problems = []
    if isinstance(code, int) and not isinstance(code, bool):
        parsed.update(code=code, name=action_result_name(code), final=is_final(code), success=is_success(code))
    else:
        parsed.update(code=None, name=None, final=False, success=False)
        problems.append("ActionResultInt is not an integer")
    result = f.get("ParamRet", {})
    if not isinstance(result, Mapping):
        problems.append("ParamRet is not an object")
    parsed["result"] = result
    if problems:
        parsed["problems"] = problems
    return parsed


def _log_event(f: Fields) -> Parsed:
    level = f.get("Type")
    return {
        "time": _epoch(f.get("TimeInfo")),
        "level": finite_number(level),
        "levelName": name_of(LOG_LEVEL, level),
        "text": _text(f.get("Text")),
    }


def _weather(f: Fields) -> Parsed:
    safety = f.get("SMStatus")
    return {
        "weatherConnected": _flag(f.get("WSConnected")),
        "safetyConnected": _flag(f.get("SMConnected")),
        "safe": True if safety == "SAFE" else False if safety == "UNSAFE" else None,
        "cloud": _text(f.get("WSCloud")),
        "rain": _text(f.get("WSRain")),
        "wind": _text(f.get("WSWind")),
        "light": _text(f.get("WSLight")),
    }


def _autofocus(f: Fields) -> Parsed:
    error = _text(f.get("LastError"))
    return {
        "done": _flag(f.get("Done")),
        "empty": _loose_flag(f.get("IsEmpty")),
        "position": finite_number(f.get("Position")),
        "hfd": finite_number(f.get("HFD")),
        "temperature": finite_number(f.get("FocusTemp")),
        "filterIndex": finite_number(f.get("FilterIndex")),
        "filterColor": _text(f.get("FilterColor")),
        "duration": _text(f.get("Duration")),
        "error": error or None,
    }


_PARSERS: Mapping[str, Callable[[Fields], Parsed]] = {
    "Version": _version,
    "Polling": _empty,
    "ShutDown": _empty,
    "Signal": _signal,
    "ControlData": _control_data,
    "ShotRunning": _shot_running,
    "NewFITReady": _new_fit,
    "NewJPGReady": _new_jpg,
    "RemoteActionResult": _action_result,
    "LogEvent": _log_event,
    "WeatherAndSafetyMonitorData": _weather,
    "AutoFocusResult": _autofocus,
    "ArrayElementData": _empty,
}


def parse_event(fields: Fields, received_at: float) -> VoyagerEvent:
    """Read one event; unknown events pass through with C{parsed} None. Never raises."""
    name = fields.get("Event")
    name = name if isinstance(name, str) else ""
    parser = _PARSERS.get(name)
    if parser is None:
        return VoyagerEvent(name, fields, None, received_at)
    try:
        parsed = parser(fields)
    except Exception as error:  # odd shapes from another Voyager version
        parsed = {"problems": [f"unreadable {name}: {error!r}"]}
    return VoyagerEvent(name, fields, parsed, received_at)
