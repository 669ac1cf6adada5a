"""
RoboTarget request bodies checked and turned into Voyager's params (pure).

Bodies use Voyager's own parameter names (``TargetName``, ``RAJ2000``,
``C_Mask``...), so the protocol's documentation reads straight onto the API.
Every error is a 400 naming the field, raised before anything is sent. Each
field is declared once below; the readers use those declarations and the
OpenAPI document is built from the same ones (L{SET}, L{TARGET}, L{SHOT}, L{PLAN}).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from . import validation as check
from .errors import ApiError, invalid
from .fields import (
    MAX_TEXT,
    Angle,
    Body,
    Composite,
    Epoch,
    Field,
    Flag,
    Guid,
    Integer,
    Number,
    Text,
    TimeOfDay,
    epoch_seconds,
    guid,
)

if TYPE_CHECKING:
    from ..robotarget.plans import Plan

__all__ = ["MAX_TEXT", "guid"]

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


# Scalars, as the tests and routes call them.


def new_guid(body: Mapping[str, Any], field: str) -> str:
    """The client's GUID for a new object, or a fresh one."""
    return str(Guid(field, fresh=True).read(body))


def epoch(body: Mapping[str, Any], field: str, default: float | None = None) -> int:
    """Epoch seconds from 1970 to 2100, given as a number or as ISO 8601 text (without an offset: UTC)."""
    return epoch_seconds(body.get(field, default), field)


def time_of_day(body: Mapping[str, Any], field: str) -> int:
    """Seconds after midnight, given as C{HH:MM[:SS]} or a number of seconds."""
    return int(TimeOfDay(field).read(body))


# Constraints: C_PINTIntervals, then every field a C_Mask letter switches on.

INTERVAL = Body(
    (
        Guid("UID", fresh=True, description="8-4-4-4-12 hexadecimal digits; chosen by the proxy when absent"),
        Flag("Enabled", default=True),
        Epoch("DateTimeStart"),
        Epoch("DateTimeEnd", description="After DateTimeStart; epoch seconds, or ISO 8601"),
        Integer("Status", 0, 2, default=0, description="0 idle, 1 finished, 2 expired"),
    )
)


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
            start, end = INTERVAL.field("DateTimeStart").read(interval), INTERVAL.field("DateTimeEnd").read(interval)
            if end <= start:
                raise invalid("DateTimeEnd", "must be after DateTimeStart")
            return {
                "UID": INTERVAL.field("UID").read(interval),
                "Enabled": INTERVAL.field("Enabled").read(interval),
                "DateTimeStart": start,
                "DateTimeEnd": end,
                "Status": INTERVAL.field("Status").read(interval),
            }

        checked.append(_within(prefix, build))
    return checked


def _list_of(item: Body, high: int, description: str) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "type": "array",
        "minItems": 1,
        "maxItems": high,
        "description": description,
        "items": item.schema(),
    }


CONSTRAINTS: dict[str, Field] = {
    field.name: field
    for field in (
        Number("PA", 0, 360, default=0),
        Number("C_AltMin", 0, 90),
        Number("C_SqmMin", 0, 25),
        Number("C_HAStart", -12, 12),
        Number("C_HAEnd", -12, 12),
        Epoch("C_DateStart"),
        Epoch("C_DateEnd"),
        TimeOfDay("C_TimeStart"),
        TimeOfDay("C_TimeEnd"),
        Flag("C_MoonDown"),
        Number("C_MoonPhaseMin", 0, 100),
        Number("C_MoonPhaseMax", 0, 100),
        Number("C_MoonDistanceDegree", 0, 180),
        Integer("C_MoonDistanceLorentzian", 0, 2, description="Letter S: moon avoidance Lorentzian"),
        Number("C_HFDMeanLimit", 0, 100, above=True),
        Integer("C_MaxTimeForDay", 1, 1440),
        Number("C_AirMassMin", 1, 40),
        Number("C_AirMassMax", 1, 40),
        Integer("C_MaxTime", 1, 1440, description="Letter T: max sequence time, minutes"),
        Epoch("C_OSDateStart"),
        TimeOfDay("C_OSTimeStart"),
        Integer("C_OSEarly", 0, 1440),
        Integer("C_PINTEarly", 0, 1440),
        Flag("C_PINTReset"),
        Composite(
            "C_PINTIntervals",
            reader=intervals,
            layout=_list_of(INTERVAL, MAX_INTERVALS, "Letter V: preset time intervals"),
        ),
    )
}
C_MASK = Text(
    "C_Mask",
    default="",
    description=(
        f"Letters from {''.join(CONSTRAINT_FIELDS)} (the AddTarget/UpdateTarget table), each needing its field: "
        + ", ".join(f"{letter} {'+'.join(fields)}" for letter, fields in CONSTRAINT_FIELDS.items())
    ),
)
C_MASK2 = Text(
    "C_Mask2", default="", description=(f"Codes from {', '.join(MASK2_CODES)}, each needing its boolean C_L01...")
)
MASK2_FLAGS = tuple(Flag(f"C_{code}") for code in MASK2_CODES)
C_ID = Guid("C_ID", fresh=True)


def constraints(body: Mapping[str, Any], updating: bool = False) -> dict[str, Any]:
    """C_Mask and C_Mask2 with every companion value they switch on (an update keeps its C_ID unless given)."""
    mask = C_MASK.read(body)
    params: dict[str, Any] = {"C_Mask": mask}
    if not updating or body.get("C_ID") is not None:
        params["C_ID"] = C_ID.read(body)
    for letter in mask:
        if letter not in CONSTRAINT_FIELDS:
            raise invalid("C_Mask", f"unknown letter {letter!r}; use {''.join(CONSTRAINT_FIELDS)}")
        if mask.count(letter) > 1:
            raise invalid("C_Mask", f"letter {letter!r} appears twice")
        for field in CONSTRAINT_FIELDS[letter]:
            if body.get(field) is None:
                raise invalid(field, f"is required by C_Mask letter {letter}")
            params[field] = CONSTRAINTS[field].read(body)
    mask2 = C_MASK2.read(body)
    codes = [mask2[at : at + 3] for at in range(0, len(mask2), 3)]
    for code in codes:
        if code not in MASK2_CODES or codes.count(code) > 1:
            raise invalid("C_Mask2", f"must be distinct codes from {', '.join(MASK2_CODES)}, got {code!r}")
        params[f"C_{code}"] = Flag(f"C_{code}").read(body)
    params["C_Mask2"] = mask2
    return params


# Sets.

SET_COMMON = (
    Text("Name", filled=True),
    Text("Tag", default=""),
    Integer("Status", 0, 1, default=0, description="0 enabled, 1 disabled"),
    Text("Note", default=""),
)
SET_NEW = (
    Guid("Guid", fresh=True),
    Text("ProfileName", filled=True, description="Voyager profile file, e.g. Default.v2y"),
    Flag("IsDefault", default=False),
)
SET = Body((SET_NEW[0], SET_COMMON[0], *SET_NEW[1:], *SET_COMMON[1:]), title="RoboTargetSet")
SET_UPDATE = Body(SET_COMMON, title="RoboTargetSetUpdate")


def set_params(body: Mapping[str, Any], guid_from_path: str | None = None) -> dict[str, Any]:
    """AddSet params, or UpdateSet params for the set at C{guid_from_path}."""
    common = {field.name: field.read(body) for field in SET_COMMON}
    if guid_from_path is not None:
        return {"RefGuidSet": guid(guid_from_path, "guid"), **common}
    return {field.name: field.read(body) for field in SET_NEW} | common


# Targets.

TARGET_FIELDS = (
    Text("TargetName", filled=True),
    Text("Tag", default=""),
    Angle("RAJ2000", 0, 24, wraps=True, description="Hours: decimal, or sexagesimal such as 05:35:17.3"),
    Angle("DECJ2000", -90, 90, description="Degrees: decimal, or sexagesimal such as -05:23:28"),
    CONSTRAINTS["PA"],
    Integer("Status", 0, 1, default=0, description="0 enabled, 1 disabled (a plan's target: 1 unless given)"),
    Integer("StatusOp", -1, 4, default=0),
    Integer("Priority", 0, 4, default=2, description="0 very low ... 4 first"),
    Text("Note", default=""),
    Flag("IsRepeat", default=False),
    Integer("Repeat", 1, 1000, default=1),
    Flag("IsFinishActualExposure", default=False),
    Flag("IsCoolSetPoint", default=False),
    Integer("CoolSetPoint", -60, 40, default=0),
    Flag("IsWaitShot", default=False),
    Integer("WaitShot", 0, 86400, default=0),
    Flag("IsGuideTime", default=False),
    Number("GuideTime", 0, 3600, default=0),
)
TTYPE = Integer(
    "TType",
    TARGET_TYPES.start,
    TARGET_TYPES.stop - 1,
    default=0,
    description=(
        "Always sent: 0 DSO (default); 1 comet, 2 asteroid, 3 planet, 4 DynaSearch are dynamic targets and need TKey"
    ),
)
TKEY = Text(
    "TKey", default="", description="Search key of a dynamic target (RoboOrbits name); required unless TType is 0"
)
TNAME = Text("TName", default="")
TARGET_GUID = Guid("GuidTarget", fresh=True)
DATE_CREATION = Epoch("DateCreation", optional=True, description="Epoch seconds, or ISO 8601; default: now")
REF_SET = Guid("RefGuidSet")
REF_SEQUENCE = Guid("RefGuidBaseSequence")
_DYNAMIC_NEEDS_KEY = {
    "allOf": [
        {
            "if": {"properties": {"TType": {"enum": list(TARGET_TYPES)[1:]}}, "required": ["TType"]},
            "then": {"required": ["TKey"], "properties": {"TKey": {"minLength": 1}}},
        }
    ]
}
_TARGET_REST = (
    *TARGET_FIELDS,
    C_ID,
    C_MASK,
    *(f for name, f in CONSTRAINTS.items() if name != "PA"),
    C_MASK2,
    *MASK2_FLAGS,
    TTYPE,
    TKEY,
    TNAME,
)


def target_type(body: Mapping[str, Any]) -> dict[str, Any]:
    """TType, always sent (the protocol says it must be); a dynamic type needs the TKey Voyager looks up."""
    kind = TTYPE.read(body)
    key = TKEY.read(body)
    if kind != 0 and not key.strip():
        raise invalid("TKey", f"is required by TType {kind} (a dynamic target)")
    return {"TType": kind, "TKey": key, "TName": TNAME.read(body)}


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
        {"RefGuidTarget": guid(guid_from_path, "guid")} if updating else {"GuidTarget": TARGET_GUID.read(body)}
    )
    if not updating or body.get("DateCreation") is not None:
        identity["DateCreation"] = epoch(body, "DateCreation", now)
    identity["RefGuidSet"] = set_guid or REF_SET.read(body)
    identity["RefGuidBaseSequence"] = REF_SEQUENCE.read(body)
    fields = {
        field.name: (attrs.evolve(field, default=status) if field.name == "Status" else field).read(body)
        for field in TARGET_FIELDS
    }
    return {
        **identity,
        **fields,
        **target_type(body),
        **constraints(body, updating),
    }


TARGET = Body(
    (TARGET_GUID, REF_SET, REF_SEQUENCE, DATE_CREATION, *_TARGET_REST),
    rules=_DYNAMIC_NEEDS_KEY,
    title="RoboTargetTarget",
)
TARGET_UPDATE = Body(
    (REF_SET, REF_SEQUENCE, DATE_CREATION, *_TARGET_REST),
    rules=_DYNAMIC_NEEDS_KEY,
    title="RoboTargetTargetUpdate",
    description="The target at the path; DateCreation and C_ID kept unless given",
)


# Shots.

SHOT_FIELDS = (
    Text("Label", default=""),
    Integer("FilterIndex", 0, 31, default=0),
    Integer("Num", 1, 10000),
    Integer("Bin", 1, 4, default=1),
    Integer("ReadoutMode", 0, 31, default=0),
    Integer("Type", 0, 3, default=0, description="0 light, 1 bias, 2 dark, 3 flat"),
    Integer("Speed", 0, 31, default=0),
    # No special values here, unlike RemoteCameraShot: 0 when the camera has no gain or offset.
    Integer("Gain", 0, MAX_GAIN, default=0, description="For CMOS cameras; 0 otherwise (no special values)"),
    Integer("Offset", 0, MAX_GAIN, default=0, description="For CMOS cameras; 0 otherwise (no special values)"),
    Number("Exposure", 0, 86400, above=True),
    Integer("Order", -1, 10000, default=-1, description="-1 appends"),
    Flag("Done", default=False),
    Flag("Enabled", default=True),
)
SHOT_GUID = Guid("GuidShot", fresh=True)
REF_TARGET = Guid("RefGuidTarget")


def shot_params(
    body: Mapping[str, Any], guid_from_path: str | None = None, target_guid: str | None = None
) -> dict[str, Any]:
    """AddShot params (C{target_guid} overrides the body's RefGuidTarget), or UpdateShot's."""
    identity = (
        {"RefGuidShot": guid(guid_from_path, "guid")}
        if guid_from_path is not None
        else {"GuidShot": SHOT_GUID.read(body)}
    )
    return {
        **identity,
        "RefGuidTarget": target_guid or REF_TARGET.read(body),
        **{field.name: field.read(body) for field in SHOT_FIELDS},
    }


SHOT = Body((SHOT_GUID, REF_TARGET, *SHOT_FIELDS), title="RoboTargetShot")
SHOT_UPDATE = Body((REF_TARGET, *SHOT_FIELDS), title="RoboTargetShotUpdate")


# Plans.


def plan(body: Mapping[str, Any], now: float) -> Plan:
    """
    C{{"set": {...}, "target": {...}, "shots": [{...}, ...]}}, every field
    checked, every GUID distinct. The target is created disabled unless its
    Status says otherwise: a booking prepared ahead waits for its slot.
    """
    from ..robotarget.plans import Plan  # the robotarget package starts Twisted: only when a plan is read

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
        checked.append(_within(prefix, lambda: shot_params(shot, target_guid=target["GuidTarget"])))  # noqa: B023 (called at once)
    guids = [
        ("set.Guid", set_part["Guid"]),
        ("target.GuidTarget", target["GuidTarget"]),
        ("target.C_ID", target["C_ID"]),
    ]
    guids += [(f"shots[{index}].GuidShot", shot["GuidShot"]) for index, shot in enumerate(checked)]
    seen: set[str] = set()
    for field, value in guids:
        if value in seen:
            raise invalid(field, f"{value} is used twice in this plan")
        seen.add(value)
    return Plan(set_part, target, checked)


_PLAN_TARGET = Body(
    (TARGET_GUID, REF_SEQUENCE, DATE_CREATION, *_TARGET_REST),
    rules=_DYNAMIC_NEEDS_KEY,
    description="RefGuidSet is the plan's set; Status defaults to 1 (disabled until its slot)",
)
_PLAN_SHOT = Body((SHOT_GUID, *SHOT_FIELDS), description="RefGuidTarget is the plan's target")
PLAN = Body(
    (
        Composite(
            "set",
            reader=lambda body, name: body.get(name),
            layout=lambda: {"$ref": "#/components/schemas/RoboTargetSet"},
        ),
        Composite("target", reader=lambda body, name: body.get(name), layout=_PLAN_TARGET.schema),
        Composite(
            "shots",
            reader=lambda body, name: body.get(name),
            layout=_list_of(_PLAN_SHOT, MAX_SHOTS_PER_PLAN, "The target's shots, created in order"),
        ),
    ),
    title="RoboTargetPlan",
    description="One booking. The target's RefGuidSet and each shot's RefGuidTarget are filled in by the proxy.",
)
