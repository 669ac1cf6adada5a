"""The simulator: shared observatory, broadcast of events, the running action."""

from __future__ import annotations

import importlib.resources
import random
from collections.abc import Callable
from typing import Any

import attrs
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime
from twisted.internet.protocol import ServerFactory
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from .dispatch import handle
from .faults import Faults
from .model import ObservatoryModel
from .protocol import SimulatorProtocol
from .robotarget_db import RoboTargetDatabase

DASHBOARD_EVENTS = frozenset(
    {"ControlData", "NewJPGReady", "ShotRunning", "AutoFocusResult", "WeatherAndSafetyMonitorData"}
)
MANAGER_EVENTS = frozenset({"RoboTargetRunningTargetEphemerisPNG"})
ROBOTARGET_MAC_ENCODINGS = ("hex-base64", "raw-base64")
# Where the documents give two spellings or types, the table's comes first.
SHOT_JPG_KEYS = ("BaseData", "Base64Data")
SOLVE_DEC_TYPES = ("string", "number")
# LogEvent types RemoteSetLogEvent Level 1 leaves out: DEBUG and INFO.
DETAIL_LOG_TYPES = frozenset({1, 2})


@attrs.frozen
class SimulatorSettings:
    """How the simulated Voyager presents itself and times its behaviour."""

    host_name: str = "OBS1"
    instance: int = 1
    version: str = "Release 2.3.14"
    username: str | None = None
    password: str | None = None
    auth_timeout: float = 5.0
    inactivity_timeout: float = 15.0
    polling_interval: float = 5.0
    control_data_interval: float = 2.0
    tick_interval: float = 1.0
    setup_connected: bool = True
    seed: int = 0
    robotarget_secret: str | None = None
    robotarget_mac_key: str = ""
    robotarget_mac_words: tuple[str, str, str, str] = ("", "", "", "")
    robotarget_mac_encoding: str = attrs.field(
        default="hex-base64", validator=attrs.validators.in_(ROBOTARGET_MAC_ENCODINGS)
    )
    shot_jpg_key: str = attrs.field(default="BaseData", validator=attrs.validators.in_(SHOT_JPG_KEYS))
    solve_dec_type: str = attrs.field(default="string", validator=attrs.validators.in_(SOLVE_DEC_TYPES))
    preview_width: int = 3000  # pixels of the NewJPGReady star field (see sky)
    preview_height: int = 2000


Finish = Callable[[], "tuple[int, str, dict[str, Any]]"]


def _succeed() -> tuple[int, str, dict[str, Any]]:
    return 4, "", {}


@attrs.define(eq=False)
class RunningAction:
    """The main action in progress (Voyager runs one at a time)."""

    uid: str
    method: str
    finish: Finish
    signals: tuple[int, ...] = ()
    on_tick: Callable[[float], bool] | None = None
    on_abort: Callable[[], dict[str, Any]] | None = None
    result: bool = True
    timers: list[IDelayedCall] = attrs.field(factory=list)


class VoyagerSimulator(ServerFactory):
    """A Voyager Application Server stand-in; see C{commands} for what it understands."""

    _log = Logger()
    noisy = False

    def __init__(self, clock: IReactorTime, settings: SimulatorSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.model = ObservatoryModel(
            now=clock.seconds(), rng=random.Random(settings.seed), setup_connected=settings.setup_connected
        )
        self.faults = Faults(self)
        self.clients: list[SimulatorProtocol] = []
        self.action: RunningAction | None = None
        self.robotarget = RoboTargetDatabase(clock.seconds)
        self.preview_jpeg = importlib.resources.files(__package__).joinpath("data/preview.jpg").read_bytes()
        self._ticker = LoopingCall.withCount(self._tick)
        self._ticker.clock = clock
        self._control = LoopingCall(self._send_control_data)
        self._control.clock = clock

    def buildProtocol(self, addr: IAddress | None) -> SimulatorProtocol:
        return SimulatorProtocol(self)

    def startFactory(self) -> None:
        self._ticker.start(self.settings.tick_interval, now=False)
        self._control.start(self.settings.control_data_interval, now=False)

    def stopFactory(self) -> None:
        for loop in (self._ticker, self._control):
            if loop.running:
                loop.stop()
        self.cancel_action()

    def shutdown(self) -> None:
        """Say ShutDown to every client and close them, as Voyager does when it exits."""
        self.broadcast(self.event("ShutDown"))
        for client in list(self.clients):
            client.close()
        self.cancel_action()

    # Messages.

    def event(self, name: str, **fields: Any) -> dict[str, Any]:
        return {
            "Event": name,
            "Timestamp": round(self.clock.seconds(), 5),
            "Host": self.settings.host_name,
            "Inst": self.settings.instance,
            **fields,
        }

    def broadcast(self, message: dict[str, Any]) -> None:
        """Events go to every client; dashboard events only to dashboard clients, RoboTarget ones to managers."""
        dashboard_only = message["Event"] in DASHBOARD_EVENTS
        manager_only = message["Event"] in MANAGER_EVENTS
        for client in list(self.clients):
            allowed = (client.dashboard or not dashboard_only) and (client.robotarget_manager or not manager_only)
            if client.authenticated and allowed:
                client.send(message)

    def log(self, log_type: int, text: str) -> None:
        """A LogEvent of C{log_type} for clients that asked for log events: Level 0 all, Level 1 no INFO or DEBUG."""
        message = self.event("LogEvent", TimeInfo=round(self.clock.seconds(), 3), Type=log_type, Text=text)
        for client in list(self.clients):
            if client.log_level == 0 or (client.log_level is not None and log_type not in DETAIL_LOG_TYPES):
                client.send(message)

    def signal(self, code: int) -> None:
        self.broadcast(self.event("Signal", Code=code))

    def send_result(self, uid: str, code: int = 4, reason: str = "", param_ret: dict[str, Any] | None = None) -> None:
        """The RemoteActionResult event, after the fault's delay if any."""
        message = self.event(
            "RemoteActionResult", UID=uid, ActionResultInt=code, Motivo=reason, ParamRet=param_ret or {}
        )
        if self.faults.result_delay > 0:
            self.clock.callLater(self.faults.result_delay, self._send_result_now, message)
        else:
            self._send_result_now(message)

    def _send_result_now(self, message: dict[str, Any]) -> None:
        message["Timestamp"] = round(self.clock.seconds(), 5)
        self.broadcast(message)

    # Commands.

    def dispatch(self, client: SimulatorProtocol, method: str, request_id: Any, params: dict[str, Any]) -> None:
        handle(self, client, method, request_id, params)

    def start_action(
        self,
        uid: str,
        method: str,
        signals: tuple[int, ...],
        duration: float | None,
        finish: Finish = _succeed,
        on_tick: Callable[[float], bool] | None = None,
        on_abort: Callable[[], dict[str, Any]] | None = None,
        result: bool = True,
    ) -> RunningAction:
        """
        Run a main action: the first of its documented C{signals}, then 502;
        after C{duration} (or once C{on_tick} returns True) C{finish}, the
        other C{signals}, the RemoteActionResult (unless C{result} is false,
        as for a DragScript), then 501.
        """
        action = RunningAction(uid, method, finish, signals, on_tick, on_abort, result)
        self.action = action
        self.model.running = True
        for code in signals[:1]:
            self.signal(code)
        self.signal(502)
        self.log(5, method)  # a TITLE line, which Level 1 keeps
        self.log(2, f"{method} started")
        if duration is not None:
            action.timers.append(self.clock.callLater(duration, self.end_action, action))
        return action

    def end_action(self, action: RunningAction) -> None:
        """Finish C{action} with its result, if it is still the running one."""
        if self.action is not action:
            return
        code, reason, param_ret = action.finish()
        self._clear(action)
        for signal in action.signals[1:]:
            self.signal(signal)
        if action.result:
            self.send_result(action.uid, code, reason, param_ret)
        self.signal(501)
        self.log(2, f"{action.method} finished")

    def abort_action(self, uid: str | None = None) -> bool:
        """
        End the running action (or the one with C{uid}) as ABORTED: Signal 2,
        its RemoteActionResult 7, Signal 505, as RemoteActionAbort's example shows.
        """
        action = self.action
        if action is None or (uid is not None and action.uid != uid):
            return False
        self._clear(action)
        self.model.slewing = False
        self.model.focuser_moving = False
        self.signal(2)
        if action.result:
            self.send_result(action.uid, 7, "", action.on_abort() if action.on_abort else {})
        self.signal(505)
        self.log(3, f"{action.method} aborted")
        return True

    def cancel_action(self) -> None:
        if self.action is not None:
            self._clear(self.action)

    def _clear(self, action: RunningAction) -> None:
        for timer in action.timers:
            if timer.active():
                timer.cancel()
        self.action = None
        self.model.running = False

    # Periodic work.

    def _tick(self, intervals: int) -> None:
        dt = self.settings.tick_interval * intervals
        self.model.advance(dt)
        action = self.action
        if action is not None and action.on_tick is not None and action.on_tick(dt):
            self.end_action(action)
        for name, fields in self.robotarget.advance(dt):
            self.broadcast(self.event(name, **fields))

    def _send_control_data(self) -> None:
        self.broadcast(self.event("ControlData", **self.model.control_data()))
