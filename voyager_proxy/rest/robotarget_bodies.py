"""
RoboTarget request bodies checked and turned into Voyager's params (pure).

Bodies use Voyager's own parameter names (``TargetName``, ``RAJ2000``,
``C_Mask``...), so the protocol's documentation reads straight onto the API.
Every error is a 400 naming the field, raised before anything is sent.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any, Callable, Mapping, TypeVar

from ..robotarget.plans import Plan
from . import validation as check
from .envelope import ApiError, invalid

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
MAX_TEXT = 256
MAX_SHOTS_PER_PLAN = 50
MAX_INTERVALS = 100
MAX_GAIN = 1_000_000
TARGET_TYPES = range(0, 5)  # TType: 0 DSO (default); 1 comet, 2 asteroid, 3 planet, 4 DynaSearch are dynamic

# C_Mask letters (no I) and the fields each one needs: the AddTarget/UpdateTarget
# table (rt p.50, p.55-56). GetTarget's older table differs at S and T and has
# no U or V; the pairing of letters with fields is read from their descriptions.
CONSTRAINT_FIELDS: dict[str, tuple[str, ...]] = {
    "A": ("PA",),
    "B": ("C_AltMin",),
    "C": ("C_SqmMin",),
    "D": ("C_HAStart",),
    "E": ("C_HAEnd",),
    "F": ("C_DateStart",),
    "G": ("C_DateEnd",),
    "H": ("C_TimeStart",),
    "J": ("C_TimeEnd",),
    "K": ("C_MoonDown",),
    "L": ("C_MoonPhaseMin",),
    "M": ("C_MoonPhaseMax",),
    "N": ("C_MoonDistanceDegree",),
    "O": ("C_HFDMeanLimit",),
    "P": ("C_MaxTimeForDay",),
    "Q": ("C_AirMassMin",),
    "R": ("C_AirMassMax",),
    "S": ("C_MoonDistanceLorentzian",),
    "T": ("C_MaxTime",),
    "U": ("C_OSDateStart", "C_OSTimeStart", "C_OSEarly"),
    "V": ("C_PINTEarly", "C_PINTReset", "C_PINTIntervals"),
}
# C_Mask2: three-character codes, each switched by its own boolean.
MASK2_CODES = ("L01", "M01", "N01", "S01")

T = TypeVar("T")


def _within(prefix: str, build: Callable[[], T]) -> T:
    """Run C{build}, naming any bad field as C{prefix.field}."""
    try:
        return build()
    except ApiError as error:
        field = error.details.get("field", "body")
        message = error.message.split(": ", 1)[-1]
        raise invalid(f"{prefix}.{field}", message) from None


# Scalars.


def guid(value: Any, field: str) -> str:
    """A GUID (8-4-4-4-12 hex digits), lower-cased."""
    if not isinstance(value, str) or not _GUID.match(value):
        raise invalid(field, "must be a GUID such as 0697f2f9-24e4-4850-84e9-18ea28b05fe9")
    return value.lower()


def new_guid(body: Mapping[str, Any], field: str) -> str:
    """The client's GUID for a new object, or a fresh one."""
    value = body.get(field)
    return str(uuid.uuid4()) if value is None else guid(value, field)


def text(body: Mapping[str, Any], field: str, default: str | None = None, *, required: bool = False) -> str:
    value = body.get(field, default)
    if not isinstance(value, str):
        raise invalid(field, "is required" if value is None else "must be a string")
    if required and not value.strip():
        raise invalid(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise invalid(field, f"must be at most {MAX_TEXT} characters")
    return value


def flag(body: Mapping[str, Any], field: str, default: bool | None = None) -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise invalid(field, "is required" if value is None else "must be true or false")
    return value


LAST_EPOCH = 4102444800  # 2100-01-01


def epoch(body: Mapping[str, Any], field: str, default: float | None = None) -> int:
    """Epoch seconds from 1970 to 2100, given as a number or as ISO 8601 text (without an offset: UTC)."""
    value = body.get(field, default)
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise invalid(field, "must be epoch seconds or an ISO 8601 date such as 2026-11-28T21:30:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        value = moment.timestamp()
    return int(check.number({field: value}, field, 0, LAST_EPOCH))


def time_of_day(body: Mapping[str, Any], field: str) -> int:
    """
    Seconds after midnight, given as C{HH:MM[:SS]} or a number of seconds.
    The protocol's examples disagree on this unit: this is the one place to change.
    """
    value = body.get(field)
    if isinstance(value, str):
        match = _TIME_OF_DAY.match(value)
        if match is None or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
            raise invalid(field, "must be a time of day HH:MM[:SS] or seconds after midnight")
        return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
    return check.integer({field: value}, field, 0, 86399)


def intervals(body: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    """C_PINTIntervals: preset time intervals C{{UID, Enabled, DateTimeStart, DateTimeEnd, Status}}."""
    value = body.get(field)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_INTERVALS:
        raise invalid(field, f"must be a list of 1 to {MAX_INTERVALS} intervals")
    checked = []
    for index, interval in enumerate(value):
        prefix = f"{field}[{index}]"
        check.json_object(interval, prefix)

        def build(interval: Mapping[str, Any] = interval) -> dict[str, Any]:
            start, end = epoch(interval, "DateTimeStart"), epoch(interval, "DateTimeEnd")
            if end <= start:
                raise invalid("DateTimeEnd", "must be after DateTimeStart")
            return {
                "UID": new_guid(interval, "UID"),
                "Enabled": flag(interval, "Enabled", True),
                "DateTimeStart": start,
                "DateTimeEnd": end,
                "Status": check.integer(interval, "Status", 0, 2, 0),
            }

        checked.append(_within(prefix, build))
    return checked


# Constraints.

_CONSTRAINT_CHECKS: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
    "PA": lambda body, field: check.number(body, field, 0, 360),
    "C_AltMin": lambda body, field: check.number(body, field, 0, 90),
    "C_SqmMin": lambda body, field: check.number(body, field, 0, 25),
    "C_HAStart": lambda body, field: check.number(body, field, -12, 12),
    "C_HAEnd": lambda body, field: check.number(body, field, -12, 12),
    "C_DateStart": epoch,
    "C_DateEnd": epoch,
    "C_TimeStart": time_of_day,
    "C_TimeEnd": time_of_day,
    "C_MoonDown": flag,
    "C_MoonPhaseMin": lambda body, field: check.number(body, field, 0, 100),
    "C_MoonPhaseMax": lambda body, field: check.number(body, field, 0, 100),
    "C_MoonDistanceDegree": lambda body, field: check.number(body, field, 0, 180),
    "C_HFDMeanLimit": lambda body, field: check.number(body, field, 0, 100, above=True),
    "C_MaxTimeForDay": lambda body, field: check.integer(body, field, 1, 1440),
    "C_AirMassMin": lambda body, field: check.number(body, field, 1, 40),
    "C_AirMassMax": lambda body, field: check.number(body, field, 1, 40),
    "C_MaxTime": lambda body, field: check.integer(body, field, 1, 1440),
    "C_OSDateStart": epoch,
    "C_OSTimeStart": time_of_day,
    "C_OSEarly": lambda body, field: check.integer(body, field, 0, 1440),
    "C_MoonDistanceLorentzian": lambda body, field: check.integer(body, field, 0, 2),
    "C_PINTEarly": lambda body, field: check.integer(body, field, 0, 1440),
    "C_PINTReset": flag,
    "C_PINTIntervals": intervals,
}


def constraints(body: Mapping[str, Any], updating: bool = False) -> dict[str, Any]:
    """C_Mask and C_Mask2 with every companion value they switch on (an update keeps its C_ID unless given)."""
    mask = text(body, "C_Mask", "")
    params: dict[str, Any] = {"C_Mask": mask}
    if not updating or body.get("C_ID") is not None:
        params["C_ID"] = new_guid(body, "C_ID")
    for letter in mask:
        if letter not in CONSTRAINT_FIELDS:
            raise invalid("C_Mask", f"unknown letter {letter!r}; use {''.join(CONSTRAINT_FIELDS)}")
        if mask.count(letter) > 1:
            raise invalid("C_Mask", f"letter {letter!r} appears twice")
        for field in CONSTRAINT_FIELDS[letter]:
            if body.get(field) is None:
                raise invalid(field, f"is required by C_Mask letter {letter}")
            params[field] = _CONSTRAINT_CHECKS[field](body, field)
    mask2 = text(body, "C_Mask2", "")
    codes = [mask2[at:at + 3] for at in range(0, len(mask2), 3)]
    for code in codes:
        if code not in MASK2_CODES or codes.count(code) > 1:
            raise invalid("C_Mask2", f"must be distinct codes from {', '.join(MASK2_CODES)}, got {code!r}")
        params[f"C_{code}"] = flag(body, f"C_{code}")
    params["C_Mask2"] = mask2
    return params


# Objects.


def set_params(body: Mapping[str, Any], guid_from_path: str | None = None) -> dict[str, Any]:
    """AddSet params, or UpdateSet params for the set at C{guid_from_path}."""
    common = {
        "Name": text(body, "Name", required=True),
        "Tag": text(body, "Tag", ""),
        "Status": check.integer(body, "Status", 0, 1, 0),
        "Note": text(body, "Note", ""),
    }
    if guid_from_path is not None:
        return {"RefGuidSet": guid(guid_from_path, "guid"), **common}
    return {
        "Guid": new_guid(body, "Guid"),
        "ProfileName": text(body, "ProfileName", required=True),
        "IsDefault": flag(body, "IsDefault", False),
        **common,
    }


def target_params(
    body: Mapping[str, Any],
    now: float,
    guid_from_path: str | None = None,
    set_guid: str | None = None,
    status: int = 0,
) -> dict[str, Any]:
    """
    AddTarget params (C{set_guid} overrides the body's RefGuidSet; C{status}
    is the default Status), or UpdateTarget's, which keep DateCreation and
    C_ID unless the body gives them.
    """
    updating = guid_from_path is not None
    identity: dict[str, Any] = (
        {"RefGuidTarget": guid(guid_from_path, "guid")} if updating else {"GuidTarget": new_guid(body, "GuidTarget")}
    )
    if not updating or body.get("DateCreation") is not None:
        identity["DateCreation"] = epoch(body, "DateCreation", now)
    return {
        **identity,
        "RefGuidSet": set_guid or guid(body.get("RefGuidSet"), "RefGuidSet"),
        "RefGuidBaseSequence": guid(body.get("RefGuidBaseSequence"), "RefGuidBaseSequence"),
        "TargetName": text(body, "TargetName", required=True),
        "Tag": text(body, "Tag", ""),
        "RAJ2000": check.angle(body, "RAJ2000", 0, 24, wraps=True),
        "DECJ2000": check.angle(body, "DECJ2000", -90, 90, wraps=False),
        "PA": check.number(body, "PA", 0, 360, 0),
        "Status": check.integer(body, "Status", 0, 1, status),
        "StatusOp": check.integer(body, "StatusOp", -1, 4, 0),
        "Priority": check.integer(body, "Priority", 0, 4, 2),
        "Note": text(body, "Note", ""),
        "IsRepeat": flag(body, "IsRepeat", False),
        "Repeat": check.integer(body, "Repeat", 1, 1000, 1),
        "IsFinishActualExposure": flag(body, "IsFinishActualExposure", False),
        "IsCoolSetPoint": flag(body, "IsCoolSetPoint", False),
        "CoolSetPoint": check.integer(body, "CoolSetPoint", -60, 40, 0),
        "IsWaitShot": flag(body, "IsWaitShot", False),
        "WaitShot": check.integer(body, "WaitShot", 0, 86400, 0),
        "IsGuideTime": flag(body, "IsGuideTime", False),
        "GuideTime": check.number(body, "GuideTime", 0, 3600, 0),
        **target_type(body),
        **constraints(body, updating),
    }


def target_type(body: Mapping[str, Any]) -> dict[str, Any]:
    """TType, always sent (the protocol says it must be); a dynamic type needs the TKey Voyager looks up."""
    kind = check.integer(body, "TType", TARGET_TYPES.start, TARGET_TYPES.stop - 1, 0)
    key = text(body, "TKey", "")
    if kind != 0 and not key.strip():
        raise invalid("TKey", f"is required by TType {kind} (a dynamic target)")
    return {"TType": kind, "TKey": key, "TName": text(body, "TName", "")}


def shot_params(
    body: Mapping[str, Any], guid_from_path: str | None = None, target_guid: str | None = None
) -> dict[str, Any]:
    """AddShot params (C{target_guid} overrides the body's RefGuidTarget), or UpdateShot's."""
    identity = (
        {"RefGuidShot": guid(guid_from_path, "guid")}
        if guid_from_path is not None
        else {"GuidShot": new_guid(body, "GuidShot")}
    )
    return {
        **identity,
        "RefGuidTarget": target_guid or guid(body.get("RefGuidTarget"), "RefGuidTarget"),
        "Label": text(body, "Label", ""),
        "FilterIndex": check.integer(body, "FilterIndex", 0, 31, 0),
        "Num": check.integer(body, "Num", 1, 10000),
        "Bin": check.integer(body, "Bin", 1, 4, 1),
        "ReadoutMode": check.integer(body, "ReadoutMode", 0, 31, 0),
        "Type": check.integer(body, "Type", 0, 3, 0),
        "Speed": check.integer(body, "Speed", 0, 31, 0),
        # No special values here, unlike RemoteCameraShot: 0 when the camera has no gain or offset.
        "Gain": check.integer(body, "Gain", 0, MAX_GAIN, 0),
        "Offset": check.integer(body, "Offset", 0, MAX_GAIN, 0),
        "Exposure": check.number(body, "Exposure", 0, 86400, above=True),
        "Order": check.integer(body, "Order", -1, 10000, -1),
        "Done": flag(body, "Done", False),
        "Enabled": flag(body, "Enabled", True),
    }


def plan(body: Mapping[str, Any], now: float) -> Plan:
    """
    C{{"set": {...}, "target": {...}, "shots": [{...}, ...]}}, every field
    checked, every GUID distinct. The target is created disabled unless its
    Status says otherwise: a booking prepared ahead waits for its slot.
    """
    parts = {name: body.get(name) for name in ("set", "target", "shots")}
    for name in ("set", "target"):
        check.json_object(parts[name], name)
    shots = parts["shots"]
    if not isinstance(shots, list) or not 1 <= len(shots) <= MAX_SHOTS_PER_PLAN:
        raise invalid("shots", f"must be a list of 1 to {MAX_SHOTS_PER_PLAN} shots")
    set_part = _within("set", lambda: set_params(parts["set"]))  # type: ignore[arg-type]
    target_body: Mapping[str, Any] = parts["target"]  # type: ignore[assignment]
    target = _within("target", lambda: target_params(target_body, now, set_guid=set_part["Guid"], status=1))
    checked = []
    for index, shot in enumerate(shots):
        prefix = f"shots[{index}]"
        check.json_object(shot, prefix)
        checked.append(_within(prefix, lambda: shot_params(shot, target_guid=target["GuidTarget"])))
    guids = [("set.Guid", set_part["Guid"]), ("target.GuidTarget", target["GuidTarget"]),
             ("target.C_ID", target["C_ID"])]
    guids += [(f"shots[{index}].GuidShot", shot["GuidShot"]) for index, shot in enumerate(checked)]
    seen: set[str] = set()
    for field, value in guids:
        if value in seen:
            raise invalid(field, f"{value} is used twice in this plan")
        seen.add(value)
    return Plan(set_part, target, checked)
