"""RoboTarget for the simulator: manager mode, MAC checks and the RemoteRoboTarget* handlers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .call import Call, Handler, flag, integer, number
from .params import BadParams
from .robotarget_db import DISABLED, SET, SHOT, VERSION_DB, RoboTargetDatabase, RoboTargetError

SEPARATOR = "||:||"
NOT_LICENSED = "RoboTarget not licensed"
PREVIEW_SIZE = (160, 100)  # pixels of data/preview.jpg

Reader = Callable[..., Any]  # (params, name[, default]) -> the value read
Spec = Mapping[str, tuple[Reader, Any]]
RoboHandler = Callable[[Call, RoboTargetDatabase], None]


# Signing.


def sign(secret: str, session_key: str, *parts: str, encoding: str = "hex-base64") -> str:
    """base64 of the SHA-1 of C{secret||:||session_key||:||part||:||...}: of its hex text, or of its 20 bytes."""
    digest = hashlib.sha1(SEPARATOR.join((secret, session_key, *parts)).encode("utf-8"))
    data = digest.hexdigest().encode("ascii") if encoding == "hex-base64" else digest.digest()
    return base64.b64encode(data).decode("ascii")


def manager_hash(secret: str, session_key: str, words: Iterable[str], encoding: str = "hex-base64") -> str:
    """The Hash of RemoteSetRoboTargetManagerMode: the four MAC words joined with no separator."""
    return sign(secret, session_key, "".join(words), encoding=encoding)


def command_mac(secret: str, session_key: str, request_id: Any, uid: str, encoding: str = "hex-base64") -> str:
    """The MAC param of one RoboTarget request, bound to its JSON-RPC id and UID."""
    return sign(secret, session_key, str(request_id), uid, encoding=encoding)


# Params.

REQUIRED = None


def text(params: dict[str, Any], name: str, default: str | None = REQUIRED) -> str:
    """A string param; required when C{default} is C{REQUIRED}."""
    value = params.get(name, default)
    if not isinstance(value, str):
        raise BadParams(f"{name} must be a string")
    return value


def new_guid(params: dict[str, Any], name: str) -> str:
    """The client-chosen GUID of a new object: a non-empty string."""
    value = text(params, name)
    if not value:
        raise BadParams(f"{name} must not be empty")
    return value


def bounded(reader: Reader, low: float, high: float = math.inf) -> Reader:
    """C{reader}, also checking that the value is from C{low} to C{high}."""

    def read(params: dict[str, Any], name: str, default: Any = REQUIRED) -> Any:
        value = reader(params, name, default)
        if not low <= value <= high:
            raise BadParams(f"{name} must be from {low:g} to {high:g}")
        return value

    return read


status = bounded(integer, 0, DISABLED)

SET_FIELDS: Spec = {
    "Name": (text, REQUIRED),
    "ProfileName": (text, REQUIRED),
    "IsDefault": (flag, False),
    "Tag": (text, ""),
    "Status": (status, 0),
    "Note": (text, ""),
}
SET_UPDATE: Spec = {name: SET_FIELDS[name] for name in ("Name", "Status", "Tag", "Note")}
TARGET_FIELDS: Spec = {
    "RefGuidBaseSequence": (text, REQUIRED),
    "TargetName": (text, REQUIRED),
    "Tag": (text, ""),
    "RAJ2000": (bounded(number, 0, 24), REQUIRED),
    "DECJ2000": (bounded(number, -90, 90), REQUIRED),
    "PA": (number, 0.0),
    "DateCreation": (number, 0.0),
    "Status": (status, 0),
    "StatusOp": (bounded(integer, -1, 4), 0),
    "Priority": (bounded(integer, 0, 4), 2),
    "Note": (text, ""),
    "IsRepeat": (flag, False),
    "Repeat": (integer, 1),
    "IsFinishActualExposure": (flag, False),
    "IsCoolSetPoint": (flag, False),
    "CoolSetPoint": (integer, 0),
    "IsWaitShot": (flag, False),
    "WaitShot": (integer, 0),
    "IsGuideTime": (flag, False),
    "GuideTime": (number, 0.0),
    "TType": (bounded(integer, 0, 4), REQUIRED),
    "C_Mask": (text, ""),
    "C_Mask2": (text, ""),
    **{name: (flag, False) for name in ("C_L01", "C_M01", "C_N01", "C_S01")},
}
TARGET_KEYS = frozenset({"UID", "MAC", "GuidTarget", "RefGuidTarget", "RefGuidSet"})
SHOT_FIELDS: Spec = {
    "Label": (text, ""),
    "FilterIndex": (bounded(integer, 0), 0),
    "Num": (bounded(integer, 0), REQUIRED),
    "Bin": (bounded(integer, 1), 1),
    "ReadoutMode": (integer, 0),
    "Type": (bounded(integer, 0, 3), 0),
    "Speed": (integer, 0),
    # Gain and Offset of a RoboTarget shot have no special values (0 for non-CMOS cameras).
    "Gain": (bounded(integer, 0), 0),
    "Offset": (bounded(integer, 0), 0),
    "Exposure": (bounded(number, 0), REQUIRED),
    "Order": (integer, -1),
    "Done": (flag, False),
    "Enabled": (flag, True),
}


def read(params: dict[str, Any], spec: Spec, update: bool = False) -> dict[str, Any]:
    """The typed values of C{spec}'s params; for an update, only of those present."""
    return {
        name: reader(params, name, default) for name, (reader, default) in spec.items() if not update or name in params
    }


def target_fields(call: Call, update: bool) -> dict[str, Any]:
    """AddTarget/UpdateTarget fields: typed known ones, other params (constraints, options) kept as given."""
    params = call.params
    fields = read(params, TARGET_FIELDS, update)
    if not update and "DateCreation" not in params:
        fields["DateCreation"] = round(call.sim.clock.seconds())
    extra = {name: value for name, value in params.items() if name not in TARGET_FIELDS and name not in TARGET_KEYS}
    return {**fields, **extra}


# Answers and checks.


def refuse(call: Call, reason: str) -> None:
    """
    Refuse a RoboTarget call: ack, then RemoteActionResult 5 with C{ret} "ERROR : <reason>".

    Only manager mode's refusal is documented; that every other RoboTarget
    refusal (no manager mode, bad MAC, unknown or reused GUID) looks the same
    is a guess, kept in this one place.
    """
    call.result(5, reason, {"ret": "ERROR : " + reason})


def done(call: Call, **extra: Any) -> None:
    """A successful write: ack, then RemoteActionResult 4 with C{ret} "DONE"."""
    call.result(4, "", {"ret": "DONE", **extra})


def listing(call: Call, rows: list[dict[str, Any]]) -> None:
    """A list answer: ack, then RemoteActionResult 4 with C{list}."""
    call.result(4, "", {"list": rows})


def shots_done(call: Call, rows: list[dict[str, Any]]) -> None:
    """A shots-done answer: C{list} is an object holding C{done} and C{deleted} (the simulator never deletes)."""
    call.result(4, "", {"list": {"done": rows, "deleted": []}})


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _refusal(call: Call) -> str | None:
    """Why this RoboTarget call is refused, if it is."""
    settings = call.sim.settings
    if settings.robotarget_secret is None:
        return NOT_LICENSED
    if not call.client.robotarget_manager:
        return "RoboTarget Manager Mode not active"
    expected = command_mac(
        settings.robotarget_secret,
        call.client.session_key,
        call.request_id,
        call.uid,
        settings.robotarget_mac_encoding,
    )
    return None if _same(text(call.params, "MAC"), expected) else "MAC not valid"


def _guarded(handler: RoboHandler) -> Handler:
    """A C{RemoteRoboTarget*} handler: licensed, manager mode and a valid MAC first; write errors refused."""

    def guarded(call: Call) -> None:
        reason = _refusal(call)
        if reason is not None:
            refuse(call, reason)
            return
        try:
            handler(call, call.sim.robotarget)
        except RoboTargetError as error:
            refuse(call, str(error))

    return guarded


def manager_mode(call: Call) -> None:
    """Check the licence MAC key and the session's Hash; on success this connection is in manager mode."""
    settings = call.sim.settings
    if settings.robotarget_secret is None:
        refuse(call, NOT_LICENSED)
        return
    mac_key, given = text(call.params, "MACKey"), text(call.params, "Hash")
    expected = manager_hash(
        settings.robotarget_secret,
        call.client.session_key,
        settings.robotarget_mac_words,
        settings.robotarget_mac_encoding,
    )
    if not _same(mac_key, settings.robotarget_mac_key):
        refuse(call, "MAC Key not valid")
    elif not _same(given, expected):
        refuse(call, "Hash not valid")
    else:
        call.client.robotarget_manager = True
        done(call, VersionDB=VERSION_DB)


# Lists.


def get_set(call: Call, db: RoboTargetDatabase) -> None:
    listing(call, db.list_sets(text(call.params, "ProfileName", "")))


def get_base_sequence(call: Call, db: RoboTargetDatabase) -> None:
    listing(call, db.list_sequences(text(call.params, "ProfileName", "")))


def get_target(call: Call, db: RoboTargetDatabase) -> None:
    listing(call, db.list_targets(text(call.params, "RefGuidSet")))


def get_shot(call: Call, db: RoboTargetDatabase) -> None:
    listing(call, db.list_shots(text(call.params, "RefGuidTarget")))


def get_run_list(call: Call, db: RoboTargetDatabase) -> None:
    listing(call, db.list_runs(text(call.params, "ProfileName", ""), number(call.params, "Days", 0)))


def get_sessions(call: Call, db: RoboTargetDatabase) -> None:
    listing(call, db.list_sessions(text(call.params, "RefGuidTarget")))


def get_shots_done_by_session(call: Call, db: RoboTargetDatabase) -> None:
    shots_done(call, db.shots_done_by_session(text(call.params, "RefGuidSession")))


def get_shots_done_by_set(call: Call, db: RoboTargetDatabase) -> None:
    shots_done(call, db.shots_done_by_set(text(call.params, "RefGuidSet")))


def get_shots_done_since(call: Call, db: RoboTargetDatabase) -> None:
    params = call.params
    since = number(params, "Since")
    set_guid, target_guid = text(params, "RefGuidSet", ""), text(params, "RefGuidTarget", "")
    if set_guid and target_guid:
        raise BadParams("RefGuidSet and RefGuidTarget are mutually exclusive")
    shots_done(call, db.shots_done_since(since, set_guid, target_guid))


def get_shot_jpg(call: Call, db: RoboTargetDatabase) -> None:
    params = call.params
    row = db.find_shot_done(text(params, "RefGuidShotDone", ""), text(params, "FITFileName", "")).row()
    call.result(
        4,
        "",
        {
            "ret": "DONE",
            "HFD": row["hfd"],
            "StarIndex": row["starindex"],
            "PixelDimX": PREVIEW_SIZE[0],
            "PixelDimY": PREVIEW_SIZE[1],
            "Min": row["min"],
            "Max": row["max"],
            "Mean": row["mean"],
            call.sim.settings.shot_jpg_key: base64.b64encode(call.sim.preview_jpeg).decode("ascii"),
        },
    )


# Writes.


def add_set(call: Call, db: RoboTargetDatabase) -> None:
    guid = new_guid(call.params, "Guid")
    db.add_set(guid, read(call.params, SET_FIELDS))
    done(call)


def update_set(call: Call, db: RoboTargetDatabase) -> None:
    guid = text(call.params, "RefGuidSet")
    db.update_set(guid, read(call.params, SET_UPDATE, update=True))
    done(call)


def remove_set(call: Call, db: RoboTargetDatabase) -> None:
    db.remove_set(text(call.params, "RefGuidSet"))
    done(call)


def add_target(call: Call, db: RoboTargetDatabase) -> None:
    guid, set_guid = new_guid(call.params, "GuidTarget"), text(call.params, "RefGuidSet")
    db.add_target(guid, set_guid, target_fields(call, update=False))
    done(call)


def update_target(call: Call, db: RoboTargetDatabase) -> None:
    guid = text(call.params, "RefGuidTarget")
    db.update_target(guid, target_fields(call, update=True))
    done(call)


def remove_target(call: Call, db: RoboTargetDatabase) -> None:
    db.remove_target(text(call.params, "RefGuidTarget"))
    done(call)


def add_shot(call: Call, db: RoboTargetDatabase) -> None:
    guid, target_guid = new_guid(call.params, "GuidShot"), text(call.params, "RefGuidTarget")
    db.add_shot(guid, target_guid, read(call.params, SHOT_FIELDS))
    done(call)


def update_shot(call: Call, db: RoboTargetDatabase) -> None:
    guid = text(call.params, "RefGuidShot")
    db.update_shot(guid, read(call.params, SHOT_FIELDS, update=True))
    done(call)


def remove_shot(call: Call, db: RoboTargetDatabase) -> None:
    db.remove_shot(text(call.params, "RefGuidShot"))
    done(call)


def enable_disable(call: Call, db: RoboTargetDatabase) -> None:
    params = call.params
    guid = text(params, "RefGuidObject")
    kind = bounded(integer, SHOT, SET)(params, "ObjectType")
    operation = bounded(integer, 0, 1)(params, "OperationType")
    db.enable_disable(kind, guid, enable=operation == 0)
    done(call, IsChangedProfile=False)


def abort(call: Call, db: RoboTargetDatabase) -> None:
    """Stop the running session (all filters "" = whatever runs) and halt the scheduler."""
    names = ("RefGuidTarget", "RefGuidSet", "RefGuidTargetTag", "RefGuidSetTag")
    target_guid, set_guid, target_tag, set_tag = (text(call.params, name, "") for name in names)
    db.abort(target_guid, set_guid, target_tag, set_tag)
    done(call)


# The table: method name to handler.

_GUARDED: tuple[tuple[str, RoboHandler], ...] = (
    ("GetSet", get_set),
    ("GetBaseSequence", get_base_sequence),
    ("GetTarget", get_target),
    ("GetShot", get_shot),
    ("GetRunList", get_run_list),
    ("GetSessionListByTarget", get_sessions),
    ("GetShotDoneBySessionList", get_shots_done_by_session),
    ("GetShotDoneBySetList", get_shots_done_by_set),
    ("GetShotDoneSinceList", get_shots_done_since),
    ("GetShotJpg", get_shot_jpg),
    ("AddSet", add_set),
    ("UpdateSet", update_set),
    ("RemoveSet", remove_set),
    ("AddTarget", add_target),
    ("UpdateTarget", update_target),
    ("RemoveTarget", remove_target),
    ("AddShot", add_shot),
    ("UpdateShot", update_shot),
    ("RemoveShot", remove_shot),
    ("EnableDisableObject", enable_disable),
    ("Abort", abort),
)
ROBOTARGET: dict[str, Handler] = {
    "RemoteSetRoboTargetManagerMode": manager_mode,
    **{"RemoteRoboTarget" + name: _guarded(handler) for name, handler in _GUARDED},
}
