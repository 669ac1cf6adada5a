"""What the simulator understands outside RoboTarget: one handler per Voyager method."""

from __future__ import annotations

import base64
from typing import Any

from . import sky
from .call import REFUSED, Call, Handler, flag, integer, number
from .model import FILTERS
from .params import BadParams


def require(params: dict[str, Any], *names: str) -> None:
    """Refuse a request that leaves out any of C{names}: the params its method needs sent in full."""
    missing = [name for name in names if name not in params]
    if missing:
        raise BadParams(f"{', '.join(missing)} must be sent")


def star_text(value: str, name: str, limit: float) -> float:
    """C{HH MM SS.sss} (or C{DD MM SS.sss}) as a number of hours (or degrees) within C{limit}."""
    parts = value.replace(":", " ").split()
    try:
        whole, minutes, seconds = (float(part) for part in parts)
    except ValueError:
        raise BadParams(f"{name} must be written HH MM SS.sss") from None
    sign = -1.0 if value.strip().startswith("-") else 1.0
    result = sign * (abs(whole) + minutes / 60 + seconds / 3600)
    if not -limit <= result <= limit or not (0 <= minutes < 60 and 0 <= seconds < 60):
        raise BadParams(f"{name} is out of range")
    return result


# Session.


def authenticate(call: Call) -> None:
    call.client.authenticate(call.request_id, call.params)


def disconnect(call: Call) -> None:
    """Answer result 0 and let the client go (no RemoteActionResult)."""
    call.ack()
    call.client.close()


def dashboard_mode(call: Call) -> None:
    call.client.dashboard = flag(call.params, "IsOn")
    call.result()


def log_mode(call: Call) -> None:
    """IsOn with Level 0 (every line) or 1 (no INFO, no DEBUG)."""
    on = flag(call.params, "IsOn")
    call.client.log_level = integer(call.params, "Level", 0) if on else None
    call.result()


# Queries: answered at once, never busy.


def get_status(call: Call) -> None:
    call.result(param_ret={"VoyagerStatus": "RUN" if call.sim.action else "IDLE"})


def mount_status(call: Call) -> None:
    """The mount's state; only the site is given while it is not connected."""
    model = call.sim.model
    data = model.control_data()
    connected = model.setup_connected
    latitude, longitude, elevation = model.site

    def shown(key: str) -> str:
        return str(data[key]) if connected else ""

    call.result(
        param_ret={
            "IsMountConnected": connected,
            "RA": shown("MNTRA"),
            "DEC": shown("MNTDEC"),
            "RAJ2000": shown("MNTRAJ2000"),
            "DECJ2000": shown("MNTDECJ2000"),
            "IsParked": connected and model.parked,
            "Altitude": shown("MNTALT"),
            "Azimuth": shown("MNTAZ"),
            "Pier": shown("MNTPIER"),
            "TimeToFlip": shown("MNTTFLIP"),
            "FlipStatus": data["MNTSFLIP"],
            "IsTracking": connected and model.tracking,
            "IsSlewing": connected and model.slewing,
            "Latitude": latitude,
            "Longitude": longitude,
            "Elevation": elevation,
        }
    )


def ccd_temperature(call: Call) -> None:
    call.result(param_ret={"CCDTemp": round(call.sim.model.ccd_temperature, 1)})


def filter_configuration(call: Call) -> None:
    """FilterNum, then Filter1_Name ... FilterN_Offset (numbered from 1)."""
    param_ret: dict[str, Any] = {"FilterNum": len(FILTERS)}
    for number_, name in enumerate(FILTERS, start=1):
        param_ret.update(
            {
                f"Filter{number_}_Name": name,
                f"Filter{number_}_MagMin": 4,
                f"Filter{number_}_MagMax": 7,
                f"Filter{number_}_Offset": 0,
            }
        )
    call.result(param_ret=param_ret)


def filter_actual(call: Call) -> None:
    call.result(param_ret={"FilterIndex": call.sim.model.filter_index})


def array_element_data(call: Call) -> None:
    """Answered by the ArrayElementData event, not a RemoteActionResult."""
    call.ack()
    call.client.send(call.sim.event("ArrayElementData", **call.sim.model.array_element_data()))


def abort_all(call: Call) -> None:
    """Ack only: Abort has no UID and no RemoteActionResult of its own."""
    call.ack()
    call.sim.abort_action()


def abort_one(call: Call) -> None:
    running = call.sim.action
    if running is None or running.uid != call.uid:
        # How Voyager answers an unknown UID is not documented: say so plainly.
        call.client.error(call.request_id, REFUSED, "no running action with that UID")
        return
    call.ack()
    call.sim.abort_action(running.uid)


# Main actions.


def _needs_setup(call: Call) -> bool:
    if call.sim.model.setup_connected:
        return True
    call.result(5, "setup is not connected")
    return False


def setup_connect(call: Call) -> None:
    integer(call.params, "TimeoutConnect", 60)
    call.ack()

    def connected() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.setup_connected = True
        return 4, "", {}

    call.start((15,), 2.0, connected)


def setup_disconnect(call: Call) -> None:
    call.ack()

    def disconnected() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.setup_connected = False
        return 4, "", {}

    call.start((16,), 1.0, disconnected)


def camera_shot(call: Call) -> None:
    params, sim = call.params, call.sim
    exposure = number(params, "Expo")
    binning = integer(params, "Bin", 1)
    frame_type = integer(params, "ExpoType", 0)
    filter_index = integer(params, "FilterIndex", sim.model.filter_index)
    if exposure < 0:
        raise BadParams("Expo must not be negative")
    if not 0 <= filter_index < len(FILTERS):
        raise BadParams(f"FilterIndex must be 0 to {len(FILTERS) - 1}")
    if not _needs_setup(call):
        return
    name = str(params.get("FitFileName", "shot.fit")).replace("%%fitdir%%\\", "")
    path = "C:\\Voyager\\FIT\\" + name
    elapsed = [0.0]

    def progress(dt: float) -> bool:
        elapsed[0] += dt
        done = elapsed[0] >= exposure
        sim.broadcast(
            sim.event(
                "ShotRunning",
                File=name,
                Expo=exposure,
                Elapsed=round(min(elapsed[0], exposure), 2),
                ElapsedPerc=round(100 * min(elapsed[0] / exposure, 1.0), 1) if exposure else 100.0,
                Status=2 if done else 1,
            )
        )
        return done

    def saved() -> tuple[int, str, dict[str, Any]]:
        sim.broadcast(sim.event("NewFITReady", File=path, Type=frame_type, VoyType="TEST", SeqTarget=""))
        moment = round(sim.clock.seconds(), 3)
        settings, model = sim.settings, sim.model
        frame = sky.render(
            settings.preview_width,
            settings.preview_height,
            settings.seed,
            model.focuser_position - model.best_focus,
            f"{path} {moment}",
        )
        sim.broadcast(
            sim.event(
                "NewJPGReady",
                File=path,
                SequenceTarget="",
                TimeInfo=moment,
                TimeInfoUTC="",
                Expo=exposure,
                Bin=binning,
                Filter=FILTERS[filter_index],
                HFD=frame.hfd,
                StarIndex=frame.star_index,
                PixelDimX=frame.width,
                PixelDimY=frame.height,
                Base64Data=base64.b64encode(frame.jpeg).decode("ascii"),
            )
        )
        return 4, "", {"DownloadAndSaveTime": 1.5}

    def aborted() -> dict[str, Any]:
        return {"DownloadAndSaveTime": -round(max(exposure - elapsed[0], 0.0), 3)}

    call.ack()
    call.start((18, 2), None, saved, on_tick=progress, on_abort=aborted)


def mount_fast(call: Call) -> None:
    kind = integer(call.params, "CommandType")
    if not _needs_setup(call):
        return
    model = call.sim.model
    call.ack()
    if kind in (1, 2):
        model.tracking = kind == 1
        call.start((31,), 0.1)
        return
    model.slewing = True

    def arrived() -> tuple[int, str, dict[str, Any]]:
        model.slewing = False
        model.parked = kind == 3
        model.tracking = kind in (4, 5)
        if kind == 5:
            model.dec_degrees = 45.0
        return 4, "", {}

    call.start((31,), 3.0 if kind != 4 else 1.0, arrived)


def cooling(call: Call) -> None:
    params, model = call.params, call.sim.model
    cool = flag(params, "IsCoolDown", False) or flag(params, "IsSetPoint", False)
    warm = flag(params, "IsWarmup", False)
    off = flag(params, "IsCoolerOFF", False)
    asynchronous = flag(params, "IsASync", False)
    temperature = number(params, "Temperature", 0.0)
    if cool + warm + off != 1:
        raise BadParams("exactly one of IsCoolDown/IsSetPoint, IsWarmup, IsCoolerOFF must be true")
    if not _needs_setup(call):
        return
    call.ack()
    if cool:
        model.cooler_on, model.ccd_set_point = True, temperature
    else:
        model.cooler_on = False
    if off or asynchronous:
        call.start((19, 2), 0.1)
        return
    target = temperature if cool else None

    def reached(dt: float) -> bool:
        return model.cooled if target is not None else model.ccd_temperature >= 11.5

    call.start((19, 2), None, on_tick=reached)


def filter_change(call: Call) -> None:
    index = integer(call.params, "FilterIndex")
    if not 0 <= index < len(FILTERS):
        raise BadParams(f"FilterIndex must be 0 to {len(FILTERS) - 1}")
    call.ack()

    def changed() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.filter_index = index
        return 4, "", {}

    call.start((24,), 1.0, changed)


BACKLASH_PARAMS = ("IsBLCompensation", "BLCompVersus", "BLCompStep", "IsFinalPositionCheck")


def _move_focuser(call: Call, signal: int, position: int) -> None:
    if position < 0:
        raise BadParams("the focuser cannot move below position 0")
    if integer(call.params, "BLCompStep") < 0:
        raise BadParams("BLCompStep must not be negative")
    call.ack()
    model = call.sim.model
    model.focuser_moving = True

    def moved() -> tuple[int, str, dict[str, Any]]:
        model.focuser_position, model.focuser_moving = position, False
        return 4, "", {}

    call.start((signal,), 1.0, moved)


def focuser_move(call: Call) -> None:
    """Absolute (NewPosition) or relative (NewPosition steps OUT 0 or IN 1) move; every param sent."""
    params = call.params
    require(params, "IsAbsoluteMove", "NewPosition", "MoveDirection", *BACKLASH_PARAMS)
    steps = integer(params, "NewPosition")
    if flag(params, "IsAbsoluteMove"):
        position = steps
    elif steps < 0:
        raise BadParams("NewPosition of a relative move is a number of steps, not negative")
    else:
        position = call.sim.model.focuser_position + (steps if integer(params, "MoveDirection") == 0 else -steps)
    _move_focuser(call, 20, position)


def focuser_offset(call: Call) -> None:
    """A signed Offset from the current position; every param sent."""
    require(call.params, "Offset", *BACKLASH_PARAMS)
    _move_focuser(call, 21, call.sim.model.focuser_position + integer(call.params, "Offset"))


FOCUS_PARAMS = (
    "FocusMode",
    "filtroFuocoIndex",
    "IsWDMaxHFD",
    "WDMaxHFDLimit",
    "IsRetryFocusOnWD",
    "PreviousPosition",
    "StarRAJ2000Str",
    "StarDECJ2000Str",
    "IsGoBack",
    "IsOnlyPointingStar",
)


def autofocus(call: Call) -> None:
    """Every documented param sent; mode 0 (Focus Star) needs the star's J2000 coordinates."""
    params, sim = call.params, call.sim
    require(params, *FOCUS_PARAMS)
    mode = integer(params, "FocusMode")
    filter_index = integer(params, "filtroFuocoIndex")
    if not 0 <= filter_index < len(FILTERS):
        raise BadParams(f"filtroFuocoIndex must be 0 to {len(FILTERS) - 1}")
    if mode == 0:
        star_text(str(params["StarRAJ2000Str"]), "StarRAJ2000Str", 24)
        star_text(str(params["StarDECJ2000Str"]), "StarDECJ2000Str", 90)
    if not _needs_setup(call):
        return
    call.ack()

    def focused() -> tuple[int, str, dict[str, Any]]:
        sim.model.focuser_position = sim.model.best_focus
        sim.model.last_hfd = hfd = round(sky.HFD_PER_SIGMA * sky.sigma_at(0), 2)
        sim.broadcast(
            sim.event(
                "AutoFocusResult",
                IsEmpty=False,
                Done=True,
                Position=sim.model.focuser_position,
                HFD=hfd,
                StarPosition={"X": 80, "Y": 50},
                DoneTime=round(sim.clock.seconds(), 3),
                Duration="00:00:04",
                FocusTemp=round(sim.model.focuser_temperature, 2),
                PercDev=1.2,
                LastError="",
                FilterIndex=filter_index,
                FilterColor="#FFFFFF",
            )
        )
        return 4, "", {}

    call.start((5,), 4.0, focused)


def plate_solve(call: Call) -> None:
    """RA in hours; DEC as text (the table) or a number (the examples), per the settings."""
    flag(call.params, "IsBlind", False)
    flag(call.params, "IsSync", False)
    if not _needs_setup(call):
        return
    call.ack()
    sim = call.sim
    model = sim.model

    def solved() -> tuple[int, str, dict[str, Any]]:
        sim.broadcast(sim.event("NewFITReady", File="C:\\Voyager\\FIT\\SyncVoyager.fit", Type=0))
        dec = round(model.dec_degrees, 6)
        return (
            4,
            "",
            {
                "IsSolved": True,
                "LastError": "",
                "RA": round(model.ra_hours, 6),
                "DEC": str(dec) if sim.settings.solve_dec_type == "string" else dec,
                "PA": 0.4,
            },
        )

    call.start((25, 2), 2.0, solved)


def precise_point(call: Call) -> None:
    """J2000 RA hours and DEC degrees, as numbers or (IsText) as RAText/DECText."""
    params = call.params
    if flag(params, "IsText", False):
        ra = star_text(str(params.get("RAText", "")), "RAText", 24)
        dec = star_text(str(params.get("DECText", "")), "DECText", 90)
    else:
        ra, dec = number(params, "RA"), number(params, "DEC")
    if not (0 <= ra < 24 and -90 <= dec <= 90):
        raise BadParams("RA must be 0-24 hours and DEC -90..90 degrees")
    if not _needs_setup(call):
        return
    call.ack()
    model = call.sim.model
    model.slewing = True

    def pointed() -> tuple[int, str, dict[str, Any]]:
        model.slewing, model.parked, model.tracking = False, False, True
        model.ra_hours, model.dec_degrees = ra, dec
        return 4, "", {"ActionResult": 3}

    call.start((4,), 4.0, pointed)


def sequence(call: Call) -> None:
    name = str(call.params.get("SequenceFile", "")).removesuffix(".s2q")
    if not name:
        raise BadParams("SequenceFile must name a .s2q file")
    call.ack()
    model = call.sim.model
    model.sequence_name, model.sequence_total, model.sequence_elapsed = name, 60, 0.0

    def ended() -> tuple[int, str, dict[str, Any]]:
        model.sequence_name, model.sequence_total = "", 0
        return 4, "", {}

    call.start((), 60.0, ended)


def drag_script(call: Call) -> None:
    """Start a DragScript: ack only; it runs and ends without any RemoteActionResult."""
    name = str(call.params.get("DragScriptFile", ""))
    if not name:
        raise BadParams("DragScriptFile must name a script")
    call.ack()
    model = call.sim.model
    model.drag_name = name

    def ended() -> tuple[int, str, dict[str, Any]]:
        model.drag_name = ""
        return 4, "", {}

    call.start((), 30.0, ended, result=False)


# The table: method name to handler.

COMMANDS: dict[str, Handler] = {
    "AuthenticateUserBase": authenticate,
    "disconnect": disconnect,
    "RemoteSetDashboardMode": dashboard_mode,
    "RemoteSetLogEvent": log_mode,
    "RemoteGetStatus": get_status,
    "RemoteMountStatusGetInfo": mount_status,
    "RemoteGetCCDTemperature": ccd_temperature,
    "RemoteGetFilterConfiguration": filter_configuration,
    "RemoteFilterGetActual": filter_actual,
    "GetArrayElementData": array_element_data,
    "Abort": abort_all,
    "RemoteActionAbort": abort_one,
    "RemoteSetupConnect": setup_connect,
    "RemoteSetupDisconnect": setup_disconnect,
    "RemoteCameraShot": camera_shot,
    "RemoteMountFastCommand": mount_fast,
    "RemoteCooling": cooling,
    "RemoteFilterChangeTo": filter_change,
    "RemoteFocuserMoveTo": focuser_move,
    "RemoteFocuserOffset": focuser_offset,
    "RemoteFocusEx": autofocus,
    "RemoteSolveActualPosition": plate_solve,
    "RemotePrecisePointTarget": precise_point,
    "RemoteSequence": sequence,
    "RemoteDragScript": drag_script,
}

# Main actions: refused while another one runs.
MAIN_ACTIONS: frozenset[str] = frozenset(
    {
        "RemoteSetupConnect",
        "RemoteSetupDisconnect",
        "RemoteCameraShot",
        "RemoteMountFastCommand",
        "RemoteCooling",
        "RemoteFilterChangeTo",
        "RemoteFocuserMoveTo",
        "RemoteFocuserOffset",
        "RemoteFocusEx",
        "RemoteSolveActualPosition",
        "RemotePrecisePointTarget",
        "RemoteSequence",
        "RemoteDragScript",
    }
)
