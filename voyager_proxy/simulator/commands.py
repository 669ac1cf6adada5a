"""What the simulator understands: one handler per Voyager method."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Callable

from .model import FILTERS, sexagesimal

if TYPE_CHECKING:
    from .protocol import SimulatorProtocol
    from .server import VoyagerSimulator

UNKNOWN_METHOD = -32601
BAD_PARAMS = -32602
BUSY = -32000
# Documented without a UID param (Abort, disconnect, GetArrayElementData), or
# answered before any (AuthenticateUserBase).
NO_UID = frozenset({"disconnect", "AuthenticateUserBase", "Abort", "GetArrayElementData"})


class BadParams(Exception):
    """A parameter is missing or of the wrong type."""


def number(params: dict[str, Any], name: str, default: float | None = None) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadParams(f"{name} must be a number")
    return float(value)


def integer(params: dict[str, Any], name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadParams(f"{name} must be an integer")
    return value


def flag(params: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise BadParams(f"{name} must be true or false")
    return value


class Call:
    """One request being handled: who asked, with what, and how to answer."""

    def __init__(self, sim: VoyagerSimulator, client: SimulatorProtocol, request_id: Any, params: dict[str, Any]):
        self.sim = sim
        self.client = client
        self.request_id = request_id
        self.params = params
        self.uid = str(params.get("UID", ""))

    def ack(self) -> None:
        self.client.answer(self.request_id, result=0)

    def result(self, code: int = 4, reason: str = "", param_ret: dict[str, Any] | None = None) -> None:
        self.ack()
        self.sim.send_result(self.uid, code, reason, param_ret)


Handler = Callable[[Call], None]
HANDLERS: dict[str, Handler] = {}
MAIN_ACTIONS: set[str] = set()


def command(name: str, main_action: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler; main actions are refused while another one runs."""

    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        if main_action:
            MAIN_ACTIONS.add(name)
        return handler

    return register


def handle(sim: VoyagerSimulator, client: SimulatorProtocol, method: str, request_id: Any, params: dict[str, Any]) -> None:
    """Answer one request as Voyager would."""
    handler = HANDLERS.get(method)
    if handler is None:
        client.error(request_id, UNKNOWN_METHOD, f"Method not found: {method}")
        return
    if method not in NO_UID and not isinstance(params.get("UID"), str):
        client.error(request_id, BAD_PARAMS, "UID must be a string")
        return
    if method in MAIN_ACTIONS and sim.action is not None:
        client.error(request_id, BUSY, f"busy: {sim.action.method} is running")
        return
    try:
        handler(Call(sim, client, request_id, params))
    except BadParams as error:
        client.error(request_id, BAD_PARAMS, str(error))


# Session.


@command("AuthenticateUserBase")
def authenticate(call: Call) -> None:
    call.client.authenticate(call.request_id, call.params)


@command("disconnect")
def disconnect(call: Call) -> None:
    call.client.close()


@command("RemoteSetDashboardMode")
def dashboard_mode(call: Call) -> None:
    call.client.dashboard = flag(call.params, "IsOn")
    call.result()


@command("RemoteSetLogEvent")
def log_mode(call: Call) -> None:
    on = flag(call.params, "IsOn")
    level = integer(call.params, "Level", 1)
    call.client.log_level = level if on else None
    call.result()


# Queries: answered at once, never busy.


@command("RemoteGetStatus")
def get_status(call: Call) -> None:
    call.result(param_ret={"VoyagerStatus": "RUN" if call.sim.action else "IDLE"})


@command("RemoteMountStatusGetInfo")
def mount_status(call: Call) -> None:
    model = call.sim.model
    data = model.control_data()
    call.result(
        param_ret={
            "IsMountConnected": model.setup_connected,
            "RA": data["MNTRA"],
            "DEC": data["MNTDEC"],
            "RAJ2000": data["MNTRAJ2000"],
            "DECJ2000": data["MNTDECJ2000"],
            "IsParked": model.parked,
            "Pier": data["MNTPIER"],
            "TimeToFlip": data["MNTTFLIP"],
            "FlipStatus": data["MNTSFLIP"],
        }
    )


@command("RemoteGetCCDTemperature")
def ccd_temperature(call: Call) -> None:
    call.result(param_ret={"CCDTemp": round(call.sim.model.ccd_temperature, 1)})


@command("RemoteGetFilterConfiguration")
def filter_configuration(call: Call) -> None:
    call.result(param_ret={"list": [{"index": n, "name": name} for n, name in enumerate(FILTERS)]})


@command("RemoteFilterGetActual")
def filter_actual(call: Call) -> None:
    index = call.sim.model.filter_index
    call.result(param_ret={"FilterIndex": index, "FilterName": FILTERS[index]})


@command("GetArrayElementData")
def array_element_data(call: Call) -> None:
    call.ack()
    call.client.send(call.sim.event("ArrayElementData", Nodes=[]))


@command("Abort")
def abort_all(call: Call) -> None:
    call.ack()  # no RemoteActionResult for Abort itself; the aborted action sends its own
    call.sim.abort_action()


@command("RemoteActionAbort")
def abort_one(call: Call) -> None:
    target = call.params.get("UID")
    running = call.sim.action
    if running is None or running.uid != target:
        # How Voyager answers an unknown UID is not documented: say so plainly.
        call.client.error(call.request_id, BUSY, "no running action with that UID")
        return
    call.ack()
    call.sim.abort_action(running.uid)


# Main actions.


def _needs_setup(call: Call) -> bool:
    if call.sim.model.setup_connected:
        return True
    call.result(5, "setup is not connected")
    return False


@command("RemoteSetupConnect", main_action=True)
def setup_connect(call: Call) -> None:
    integer(call.params, "TimeoutConnect", 60)
    call.ack()

    def connected() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.setup_connected = True
        return 4, "", {}

    call.sim.start_action(call.uid, "RemoteSetupConnect", 15, 2.0, connected)


@command("RemoteSetupDisconnect", main_action=True)
def setup_disconnect(call: Call) -> None:
    call.ack()

    def disconnected() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.setup_connected = False
        return 4, "", {}

    call.sim.start_action(call.uid, "RemoteSetupDisconnect", 16, 1.0, disconnected)


@command("RemoteCameraShot", main_action=True)
def camera_shot(call: Call) -> None:
    params, sim = call.params, call.sim
    exposure = number(params, "Expo")
    binning = integer(params, "Bin", 1)
    frame_type = integer(params, "ExpoType", 0)
    if exposure < 0:
        raise BadParams("Expo must not be negative")
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
        sim.broadcast(
            sim.event(
                "NewJPGReady",
                File=path,
                SequenceTarget="",
                TimeInfo=round(sim.clock.seconds(), 3),
                TimeInfoUTC="",
                Expo=exposure,
                Bin=binning,
                Filter=FILTERS[sim.model.filter_index],
                HFD=2.7,
                StarIndex=6.1,
                PixelDimX=160,
                PixelDimY=100,
                Base64Data=base64.b64encode(sim.preview_jpeg).decode("ascii"),
            )
        )
        return 4, "", {}

    call.ack()
    sim.start_action(call.uid, "RemoteCameraShot", 18, None, saved, on_tick=progress)


@command("RemoteMountFastCommand", main_action=True)
def mount_fast(call: Call) -> None:
    kind = integer(call.params, "CommandType")
    if kind not in range(1, 7):
        raise BadParams("CommandType must be 1 to 6")
    if not _needs_setup(call):
        return
    model = call.sim.model
    call.ack()
    if kind in (1, 2):
        model.tracking = kind == 1
        call.sim.start_action(call.uid, "RemoteMountFastCommand", 31, 0.1)
        return
    model.slewing = True

    def arrived() -> tuple[int, str, dict[str, Any]]:
        model.slewing = False
        model.parked = kind == 3
        model.tracking = kind in (4, 5)
        if kind == 5:
            model.dec_degrees = 45.0
        return 4, "", {}

    call.sim.start_action(call.uid, "RemoteMountFastCommand", 31, 3.0 if kind != 4 else 1.0, arrived)


@command("RemoteCooling", main_action=True)
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
        call.sim.start_action(call.uid, "RemoteCooling", 19, 0.1)
        return
    target = temperature if cool else None

    def reached(dt: float) -> bool:
        return model.cooled if target is not None else model.ccd_temperature >= 11.5

    call.sim.start_action(call.uid, "RemoteCooling", 19, None, on_tick=reached)


@command("RemoteFilterChangeTo", main_action=True)
def filter_change(call: Call) -> None:
    index = integer(call.params, "FilterIndex")
    if not 0 <= index < len(FILTERS):
        raise BadParams(f"FilterIndex must be 0 to {len(FILTERS) - 1}")
    call.ack()

    def changed() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.filter_index = index
        return 4, "", {}

    call.sim.start_action(call.uid, "RemoteFilterChangeTo", 24, 1.0, changed)


@command("RemoteFocuserMoveTo", main_action=True)
def focuser_move(call: Call) -> None:
    position = integer(call.params, "Position")
    call.ack()

    def moved() -> tuple[int, str, dict[str, Any]]:
        call.sim.model.focuser_position = position
        return 4, "", {}

    call.sim.start_action(call.uid, "RemoteFocuserMoveTo", 20, 1.0, moved)


@command("RemoteFocusEx", main_action=True)
def autofocus(call: Call) -> None:
    integer(call.params, "FocusMode", 0)
    call.ack()
    sim = call.sim

    def focused() -> tuple[int, str, dict[str, Any]]:
        sim.broadcast(
            sim.event(
                "AutoFocusResult",
                IsEmpty=False,
                Done=True,
                Position=sim.model.focuser_position,
                HFD=2.41,
                StarPosition={"X": 80, "Y": 50},
                DoneTime=round(sim.clock.seconds(), 3),
                Duration="00:00:04",
                FocusTemp=round(sim.model.focuser_temperature, 2),
                PercDev=1.2,
                LastError="",
                FilterIndex=sim.model.filter_index,
                FilterColor="#FFFFFF",
            )
        )
        return 4, "", {"HFD": 2.41, "Position": sim.model.focuser_position}

    sim.start_action(call.uid, "RemoteFocusEx", 5, 4.0, focused)


@command("RemoteSolveActualPosition", main_action=True)
def plate_solve(call: Call) -> None:
    call.ack()
    model = call.sim.model

    def solved() -> tuple[int, str, dict[str, Any]]:
        return 4, "", {
            "RA": sexagesimal(model.ra_hours, degrees=False),
            "DEC": sexagesimal(model.dec_degrees, degrees=True),
            "PA": 0.4,
        }

    call.sim.start_action(call.uid, "RemoteSolveActualPosition", 25, 2.0, solved)


@command("RemotePrecisePointTarget", main_action=True)
def precise_point(call: Call) -> None:
    ra, dec = number(call.params, "RA"), number(call.params, "DEC")
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
        return 4, "", {}

    call.sim.start_action(call.uid, "RemotePrecisePointTarget", 4, 4.0, pointed)


@command("RemoteSequence", main_action=True)
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

    call.sim.start_action(call.uid, "RemoteSequence", 502, 60.0, ended)


from . import robotarget  # noqa: E402,F401  registers the RoboTarget handlers
