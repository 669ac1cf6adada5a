"""The simulator's RoboTarget database and scheduler (pure: time comes from an injected clock)."""

from __future__ import annotations

import base64
import itertools
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from .model import clock_text, sexagesimal

VERSION_DB = 12
PROFILES = ("Default.v2y", "Narrowband.v2y")
BASE_SEQUENCE_GUIDS: Mapping[str, tuple[str, str]] = {
    "Default.v2y": ("6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b01", "6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b02"),
    "Narrowband.v2y": ("6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b03", "6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b04"),
}
BASE_SEQUENCE_NAMES: Mapping[str, tuple[str, str]] = {
    "Default.v2y": ("Deep Sky LRGB", "Quick Look"),
    "Narrowband.v2y": ("Narrowband SHO", "Narrowband HOO"),
}

ENABLED, DISABLED = 0, 1
SHOT, TARGET, SET = 0, 1, 2  # EnableDisableObject's ObjectType
IDLE, RUNNING, FINISHED = 0, 1, 2  # Target StatusOp
SESSION_OK, SESSION_ABORTED = 1, 2  # Session result
LOCAL_OFFSET = 3600.0  # the simulated site keeps UTC+1, as ControlData's TI does
FRAME_STATS = {"hfd": 2.7, "starindex": 6.1, "min": 312, "max": 65535, "mean": 1480.5}
EPHEMERIS_WIDTH, EPHEMERIS_HEIGHT, MINUTES_PER_PIXEL = 72, 24, 10.0

Event = tuple[str, dict[str, Any]]


def png(width: int, height: int) -> bytes:
    """A plain grey 8-bit greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = (b"\x00" + b"\x80" * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")


EPHEMERIS_PNG = base64.b64encode(png(EPHEMERIS_WIDTH, EPHEMERIS_HEIGHT)).decode("ascii")


class RoboTargetError(Exception):
    """A write the database refuses: unknown or reused GUID, broken reference."""


# GetTarget's item names for the AddTarget params not simply lower-cased without "_" (rt GetTarget table).
TARGET_ROW_KEYS: Mapping[str, str] = {
    **{name: name for name in ("TKey", "TName", "TType", "IsDynamicPointingOverride", "DynamicPointingOverride")},
    **{name: name for name in ("DynEachX_Seconds", "DynEachX_Realign", "DynEachX_NoPlateSolve")},
    **{f"C_{letter}01": f"c{letter}01" for letter in "LMNS"},
    "C_MoonDistanceDegree": "cmoondistance",
}


def _target_key(param: str) -> str:
    """The GetTarget item key of an AddTarget param."""
    return TARGET_ROW_KEYS.get(param, param.lower().replace("_", ""))


def _stamp(epoch: float) -> float:
    return round(epoch, 3)


@attrs.define(eq=False)
class BaseSequence:
    """A sequence template of a profile (seeded, read-only)."""

    guid: str
    name: str
    profile: str
    is_default: bool

    def row(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "basesequencename": self.name,
            "filename": self.name + ".s2q",
            "profilename": self.profile,
            "isdefault": self.is_default,
            "status": ENABLED,
            "note": "",
        }


@attrs.define(eq=False)
class RoboSet:
    """A set; C{fields} holds its AddSet/UpdateSet params by protocol name."""

    guid: str
    fields: dict[str, Any]

    @property
    def enabled(self) -> bool:
        return bool(self.fields["Status"] == ENABLED)

    def row(self) -> dict[str, Any]:
        f = self.fields
        return {
            "guid": self.guid,
            "setname": f["Name"],
            "profilename": f["ProfileName"],
            "isdefault": f["IsDefault"],
            "status": f["Status"],
            "tag": f["Tag"],
            "note": f["Note"],
        }


@attrs.define(eq=False)
class Target:
    """A target; C{fields} holds its AddTarget params (but GuidTarget, RefGuidSet) by protocol name."""

    guid: str
    set_guid: str
    fields: dict[str, Any]

    @property
    def enabled(self) -> bool:
        return bool(self.fields["Status"] == ENABLED)

    @property
    def name(self) -> str:
        return str(self.fields["TargetName"])


@attrs.define(eq=False)
class Shot:
    """A shot; C{fields} holds its AddShot params (but GuidShot, RefGuidTarget); C{done} counts frames made."""

    guid: str
    target_guid: str
    fields: dict[str, Any]
    done: int = 0

    @property
    def pending(self) -> bool:
        return bool(self.fields["Enabled"]) and self.done < self.fields["Num"]

    def row(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "refguidtarget": self.target_guid,
            **{name.lower(): value for name, value in self.fields.items()},
            "auxtotshot": self.fields["Num"],
            "auxshotdone": self.done,
            "auxshotdonedeleted": 0,
        }


@attrs.define(eq=False)
class Run:
    """One scheduler run: the sessions between a start and a stop."""

    guid: str
    profile: str
    start: float
    end: float = 0.0
    sessions: int = 0

    def row(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "profilename": self.profile,
            "datetimestart": _stamp(self.start + LOCAL_OFFSET),
            "datetimeend": _stamp(self.end + LOCAL_OFFSET) if self.end else 0,
            "isrunning": not self.end,
            "seqcount": self.sessions,
            "errcount": 0,
            "note": "",
        }


@attrs.define(eq=False)
class Session:
    """One target's imaging within a run."""

    guid: str
    run_guid: str
    target_guid: str
    set_guid: str
    target_name: str
    start: float
    end: float = 0.0
    result: int = 0
    status: int = RUNNING
    shots: int = 0
    exit_text: str = ""

    def row(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "datetimestart": _stamp(self.start + LOCAL_OFFSET),
            "datetimeend": _stamp(self.end + LOCAL_OFFSET) if self.end else 0,
            "repfilepdf": "",
            "refguidrun": self.run_guid,
            "refguidtarget": self.target_guid,
            "result": self.result,
            "status": self.status,
            "targetname": self.target_name,
            "shotnumber": self.shots,
            "shotnumberdeleted": 0,
            "sessionexittext": self.exit_text,
        }


@attrs.define(eq=False)
class ShotDone:
    """One frame the scheduler made, with its shot's settings at that time."""

    guid: str
    time: float
    filename: str
    path: str
    shot_guid: str
    settings: dict[str, Any]
    session: Session
    ra: float
    dec: float

    def row(self) -> dict[str, Any]:
        """The fields of GetShotDoneBySessionList."""
        return {
            "datetimeshot": _stamp(self.time + LOCAL_OFFSET),
            "datetimeshotutc": _stamp(self.time),
            "filename": self.filename,
            "path": self.path,
            **FRAME_STATS,
            "bin": self.settings["Bin"],
            "filterindex": self.settings["FilterIndex"],
            "exposure": self.settings["Exposure"],
            "rating": 0,
            "refguidsession": self.session.guid,
            "refguidshot": self.shot_guid,
        }

    def set_row(self) -> dict[str, Any]:
        """The fields of GetShotDoneBySetList."""
        return {"guid": self.guid, **self.row()}

    def since_row(self) -> dict[str, Any]:
        """The fields of GetShotDoneSinceList."""
        return {
            **self.set_row(),
            "refguidset": self.session.set_guid,
            "refguidtarget": self.session.target_guid,
            "raj2000": sexagesimal(self.ra, degrees=False),
            "decj2000": sexagesimal(self.dec, degrees=True),
        }


@attrs.define(eq=False)
class Exposing:
    """The running session and the shot being exposed."""

    session: Session
    target: Target
    shot: Shot | None = None
    elapsed: float = 0.0


def _seed_sequences() -> dict[str, BaseSequence]:
    return {
        guid: BaseSequence(guid, name, profile, is_default=index == 0)
        for profile in PROFILES
        for index, (guid, name) in enumerate(
            zip(BASE_SEQUENCE_GUIDS[profile], BASE_SEQUENCE_NAMES[profile], strict=True)
        )
    }


def _get(table: Mapping[str, Any], guid: str, kind: str) -> Any:
    if guid not in table:
        raise RoboTargetError(f"{kind} not found")
    return table[guid]


@attrs.define(eq=False)
class RoboTargetDatabase:
    """Sets, targets and shots written by clients; runs, sessions and shots done written by the scheduler."""

    clock: Callable[[], float]
    sequences: dict[str, BaseSequence] = attrs.field(factory=_seed_sequences)
    sets: dict[str, RoboSet] = attrs.field(factory=dict)
    targets: dict[str, Target] = attrs.field(factory=dict)
    shots: dict[str, Shot] = attrs.field(factory=dict)
    runs: list[Run] = attrs.field(factory=list)
    sessions: list[Session] = attrs.field(factory=list)
    shots_done: list[ShotDone] = attrs.field(factory=list)
    open_run: Run | None = None
    active: Exposing | None = None
    halted: bool = False
    _serial: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))

    # Writes.

    def add_set(self, guid: str, fields: dict[str, Any]) -> None:
        self._check_new(guid)
        if fields["ProfileName"] not in PROFILES:
            raise RoboTargetError("Profile not found")
        self.sets[guid] = RoboSet(guid, fields)

    def update_set(self, guid: str, fields: dict[str, Any]) -> None:
        _get(self.sets, guid, "Set").fields.update(fields)
        self._check_active()

    def remove_set(self, guid: str) -> None:
        """Remove a set with its targets, shots, sessions and shots done."""
        _get(self.sets, guid, "Set")
        for target in [t for t in self.targets.values() if t.set_guid == guid]:
            self._drop_target(target)
        del self.sets[guid]
        self._check_active()
        self.sessions = [s for s in self.sessions if s.set_guid != guid]
        self.shots_done = [d for d in self.shots_done if d.session.set_guid != guid]

    def add_target(self, guid: str, set_guid: str, fields: dict[str, Any]) -> None:
        self._check_new(guid)
        _get(self.sets, set_guid, "Set")
        _get(self.sequences, fields["RefGuidBaseSequence"], "Base sequence")
        self.targets[guid] = Target(guid, set_guid, fields)

    def update_target(self, guid: str, fields: dict[str, Any]) -> None:
        target = _get(self.targets, guid, "Target")
        if "RefGuidBaseSequence" in fields:
            _get(self.sequences, fields["RefGuidBaseSequence"], "Base sequence")
        target.fields.update(fields)
        self._check_active()

    def remove_target(self, guid: str) -> None:
        """Remove a target and its shots (its sessions and shots done stay)."""
        self._drop_target(_get(self.targets, guid, "Target"))
        self._check_active()

    def add_shot(self, guid: str, target_guid: str, fields: dict[str, Any]) -> None:
        self._check_new(guid)
        _get(self.targets, target_guid, "Target")
        self.shots[guid] = Shot(guid, target_guid, self._ordered(target_guid, fields))

    def update_shot(self, guid: str, fields: dict[str, Any]) -> None:
        shot = _get(self.shots, guid, "Shot")
        shot.fields.update(self._ordered(shot.target_guid, fields))

    def remove_shot(self, guid: str) -> None:
        _get(self.shots, guid, "Shot")
        del self.shots[guid]

    def enable_disable(self, kind: int, guid: str, enable: bool) -> None:
        """EnableDisableObject; enabling anything also lets a halted scheduler run again."""
        if kind == SHOT:
            _get(self.shots, guid, "Shot").fields["Enabled"] = enable
        else:
            table: Mapping[str, Target | RoboSet] = self.targets if kind == TARGET else self.sets
            _get(table, guid, "Target" if kind == TARGET else "Set").fields["Status"] = ENABLED if enable else DISABLED
        if enable:
            self.halted = False
        self._check_active()

    def abort(self, target_guid: str, set_guid: str, target_tag: str, set_tag: str) -> None:
        """End the running session ABORTED if it matches every non-empty filter, and halt the scheduler."""
        active = self.active
        if active is None:
            return
        target = active.target
        actual = (target.guid, target.set_guid, target.fields["Tag"], self.sets[target.set_guid].fields["Tag"])
        wanted = (target_guid, set_guid, target_tag, set_tag)
        if all(want in ("", have) for want, have in zip(wanted, actual, strict=True)):
            self._end(SESSION_ABORTED, "Aborted by user")
            self.halted = True
            self._close_run()

    def _check_new(self, guid: str) -> None:
        if any(guid in table for table in (self.sets, self.targets, self.shots, self.sequences)):
            raise RoboTargetError("GUID already used")

    def _ordered(self, target_guid: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Order -1 appends the shot after the target's others."""
        if fields.get("Order", 0) >= 0:
            return fields
        orders = [s.fields["Order"] for s in self.shots.values() if s.target_guid == target_guid]
        return {**fields, "Order": max(orders, default=-1) + 1}

    def _drop_target(self, target: Target) -> None:
        for shot in [s for s in self.shots.values() if s.target_guid == target.guid]:
            del self.shots[shot.guid]
        del self.targets[target.guid]

    # Reads.

    def list_sets(self, profile: str) -> list[dict[str, Any]]:
        return [s.row() for s in self.sets.values() if profile in ("", s.fields["ProfileName"])]

    def list_sequences(self, profile: str) -> list[dict[str, Any]]:
        return [s.row() for s in self.sequences.values() if profile in ("", s.profile)]

    def list_targets(self, set_guid: str) -> list[dict[str, Any]]:
        """The targets of a set; "" = every target."""
        return [self._target_row(t) for t in self.targets.values() if set_guid in ("", t.set_guid)]

    def list_shots(self, target_guid: str) -> list[dict[str, Any]]:
        return [s.row() for s in self._shots_of(target_guid)]

    def list_runs(self, profile: str, days: float) -> list[dict[str, Any]]:
        oldest = self.clock() - days * 86400 if days > 0 else float("-inf")
        return [r.row() for r in self.runs if profile in ("", r.profile) and r.start >= oldest]

    def list_sessions(self, target_guid: str) -> list[dict[str, Any]]:
        return [s.row() for s in self.sessions if s.target_guid == target_guid]

    def shots_done_by_session(self, session_guid: str) -> list[dict[str, Any]]:
        return [d.row() for d in self.shots_done if d.session.guid == session_guid]

    def shots_done_by_set(self, set_guid: str) -> list[dict[str, Any]]:
        return [d.set_row() for d in self.shots_done if d.session.set_guid == set_guid]

    def shots_done_since(self, since: float, set_guid: str, target_guid: str) -> list[dict[str, Any]]:
        """Shots done at or after C{since} (epoch, UTC); "" matches any set or target."""
        return [
            d.since_row()
            for d in self.shots_done
            if d.time >= since and set_guid in ("", d.session.set_guid) and target_guid in ("", d.session.target_guid)
        ]

    def find_shot_done(self, guid: str, filename: str) -> ShotDone:
        """The shot done with this GUID, or else with this FIT file name."""
        for done in self.shots_done:
            if (guid and done.guid == guid) or (not guid and filename and done.filename == filename):
                return done
        raise RoboTargetError("Shot done not found")

    def _shots_of(self, target_guid: str) -> list[Shot]:
        return sorted((s for s in self.shots.values() if s.target_guid == target_guid), key=lambda s: s.fields["Order"])

    def _target_row(self, target: Target) -> dict[str, Any]:
        robo_set = self.sets[target.set_guid]
        shots = self._shots_of(target.guid)
        total = sum(s.fields["Num"] for s in shots)
        made = sum(min(s.done, s.fields["Num"]) for s in shots)
        return {
            "guid": target.guid,
            "refguidset": target.set_guid,
            **{_target_key(name): value for name, value in target.fields.items()},
            "setname": robo_set.fields["Name"],
            "settag": robo_set.fields["Tag"],
            "profilename": robo_set.fields["ProfileName"],
            "sequencename": self.sequences[target.fields["RefGuidBaseSequence"]].name,
            "auxsessioncontainer": {"progress": round(100 * made / total, 1) if total else 0.0},
        }

    # Scheduler.

    def advance(self, dt: float) -> list[Event]:
        """Let C{dt} seconds pass; return the events (name, fields) to broadcast."""
        if self.active is None:
            return self._start_next()
        return self._expose(dt)

    def _runnable(self, target: Target) -> bool:
        robo_set = self.sets.get(target.set_guid)
        return self.targets.get(target.guid) is target and target.enabled and robo_set is not None and robo_set.enabled

    def _pending(self, target: Target) -> list[Shot]:
        return [s for s in self._shots_of(target.guid) if s.pending]

    def _start_next(self) -> list[Event]:
        """Start a session for the enabled target of highest Priority that has shots to take."""
        if self.halted:
            return []
        ready = [t for t in self.targets.values() if self._runnable(t) and self._pending(t)]
        if not ready:
            self._close_run()
            return []
        target = max(ready, key=lambda t: t.fields["Priority"])
        now = self.clock()
        if self.open_run is None:
            self.open_run = Run(self._new_guid(), self.sets[target.set_guid].fields["ProfileName"], now)
            self.runs.append(self.open_run)
        self.open_run.sessions += 1
        session = Session(self._new_guid(), self.open_run.guid, target.guid, target.set_guid, target.name, now)
        self.sessions.append(session)
        target.fields["StatusOp"] = RUNNING
        self.active = Exposing(session, target)
        self._next_shot()
        return [("RoboTargetRunningTargetEphemerisPNG", self._ephemeris(target, now))]

    def _expose(self, dt: float) -> list[Event]:
        active = self.active
        assert active is not None and active.shot is not None
        shot = active.shot
        if self.shots.get(shot.guid) is not shot or not shot.pending:  # removed or disabled meanwhile
            self._next_shot()
            return []
        active.elapsed += dt
        if active.elapsed < shot.fields["Exposure"]:
            return []
        event = self._record(active, shot)
        self._next_shot()
        return [event]

    def _next_shot(self) -> None:
        """Expose the target's next pending shot, or end the session OK when none is left."""
        assert self.active is not None
        pending = self._pending(self.active.target)
        if not pending:
            self._end(SESSION_OK, "Completed")
            return
        self.active.shot, self.active.elapsed = pending[0], 0.0

    def _record(self, active: Exposing, shot: Shot) -> Event:
        target, session = active.target, active.session
        shot.done += 1
        session.shots += 1
        frame = next(self._serial)
        filename = f"{target.name}_{shot.fields['Label'] or 'shot'}_{frame:04d}.fit"
        path = f"C:\\Voyager\\RoboTarget\\{target.name}"
        ra, dec = target.fields["RAJ2000"], target.fields["DECJ2000"]
        done = ShotDone(self._new_guid(), self.clock(), filename, path, shot.guid, dict(shot.fields), session, ra, dec)
        self.shots_done.append(done)
        return "NewFITReady", {
            "File": f"{path}\\{filename}",
            "Type": shot.fields["Type"],
            "VoyType": "SHOT",
            "SeqTarget": target.name,
        }

    def _check_active(self) -> None:
        """End the running session ABORTED once its target or set is disabled or removed."""
        if self.active is not None and not self._runnable(self.active.target):
            self._end(SESSION_ABORTED, "Target or set disabled or removed")

    def _end(self, result: int, text: str) -> None:
        assert self.active is not None
        active, self.active = self.active, None
        session = active.session
        session.result, session.status, session.end, session.exit_text = result, IDLE, self.clock(), text
        active.target.fields["StatusOp"] = FINISHED if result == SESSION_OK else IDLE

    def _close_run(self) -> None:
        """End the open run, if any: the next session starts a new one."""
        if self.open_run is not None:
            self.open_run.end = self.clock()
            self.open_run = None

    def _new_guid(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._serial):012d}"

    def _ephemeris(self, target: Target, now: float) -> dict[str, Any]:
        end = now + EPHEMERIS_WIDTH * MINUTES_PER_PIXEL * 60
        return {
            "TargetUID": target.guid,
            "TargetTAG": target.fields["Tag"],
            "TargetName": target.name,
            "Base64Data": EPHEMERIS_PNG,
            "IsValid": True,
            "MinutesForPixel": MINUTES_PER_PIXEL,
            "StartDateTime": clock_text(now + LOCAL_OFFSET),
            "StartDateTimeUTC": clock_text(now),
            "EndDateTime": clock_text(end + LOCAL_OFFSET),
            "EndDateTimeUTC": clock_text(end),
        }
