"""The simulator, driven line by line over StringTransport on a MemoryReactorClock."""

from __future__ import annotations

import base64
import json
import re

from twisted.internet.testing import MemoryReactorClock

from tests.support.states import flag
from tests.unit.simulator.conftest import Client
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator

FOCUS = {
    "FocusMode": 2,
    "filtroFuocoIndex": 0,
    "IsWDMaxHFD": False,
    "WDMaxHFDLimit": -1,
    "IsRetryFocusOnWD": False,
    "PreviousPosition": -1,
    "StarRAJ2000Str": "",
    "StarDECJ2000Str": "",
    "IsGoBack": False,
    "IsOnlyPointingStar": False,
}
SHOT = {"Expo": 2, "Bin": 1, "FilterIndex": 0, "ExpoType": 0, "IsSaveFile": True, "FitFileName": "%%fitdir%%\\t.fit"}


def test_version_first_with_five_decimal_timestamp(simulator: VoyagerSimulator) -> None:
    """The first line is Version, its Timestamp printed with exactly five decimals."""
    client = Client(simulator)
    raw = client.transport.value()
    assert re.match(rb'\{"Event":"Version","Timestamp":1795484593\.57388,', raw)
    (version,) = client.received()
    assert version["VOYVersion"] == "Release 2.3.14" and version["MsgVersion"] == 1
    assert client.protocol.session_key == "1795484593.57388"


def test_login_accepted_with_authbase(clock: MemoryReactorClock) -> None:
    """Good credentials get an authbase answer for the request id."""
    sim = VoyagerSimulator(clock, SimulatorSettings(username="u", password="p"))
    client = Client(sim)
    client.received()
    request_id = client.request("AuthenticateUserBase", Base=base64.b64encode(b"u:p").decode())
    (answer,) = client.received()
    assert answer["id"] == request_id and answer["authbase"]["Username"] == "u"
    clock.advance(5)
    assert not client.transport.disconnecting
    client.protocol.connectionLost()


def test_bad_credentials_close_at_once(clock: MemoryReactorClock) -> None:
    """Wrong credentials get the "Authentication Rejected" error (code 1), then the connection closes."""
    sim = VoyagerSimulator(clock, SimulatorSettings(username="u", password="p"))
    client = Client(sim)
    client.received()
    request_id = client.request("AuthenticateUserBase", Base=base64.b64encode(b"u:wrong").decode())
    assert client.transport.disconnecting
    assert client.received() == [
        {"jsonrpc": "2.0", "error": {"code": 1, "message": "Authentication Rejected"}, "id": request_id}
    ]
    client.protocol.connectionLost()


def test_login_window_closes_after_five_seconds(clock: MemoryReactorClock) -> None:
    """Without a login within 5 s the simulator hangs up."""
    sim = VoyagerSimulator(clock, SimulatorSettings(username="u", password="p"))
    client = Client(sim)
    clock.advance(4.9)
    assert not client.transport.disconnecting
    clock.advance(0.1)
    assert flag(client.transport.disconnecting)
    client.protocol.connectionLost()


def test_command_before_login_closes(clock: MemoryReactorClock) -> None:
    """A command that needs authentication, sent before it, closes the connection."""
    sim = VoyagerSimulator(clock, SimulatorSettings(username="u", password="p"))
    client = Client(sim)
    client.request("RemoteGetStatus")
    assert client.transport.disconnecting
    client.protocol.connectionLost()


def test_inactivity_and_polling(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """Polling after 5 quiet seconds; closed after 15 s without a line from the client."""
    client = Client(simulator)
    client.received()
    clock.advance(5)
    assert [m["Event"] for m in client.received()] == ["Polling"]
    clock.advance(9.9)
    assert not client.transport.disconnecting
    clock.advance(0.1)
    assert client.transport.disconnecting


def test_client_polling_keeps_the_connection(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """Each line from the client restarts the inactivity timer."""
    client = Client(simulator)
    for _ in range(4):
        clock.advance(10)
        client.keep_alive()
    assert not client.transport.disconnecting


def test_control_data_only_in_dashboard_mode(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """ControlData every 2 s goes to dashboard clients only."""
    watcher, other = Client(simulator), Client(simulator)
    request_id = watcher.request("RemoteSetDashboardMode", IsOn=True)
    assert {"jsonrpc": "2.0", "result": 0, "id": request_id} in watcher.received()
    other.received()
    clock.advance(2)
    (control,) = watcher.events("ControlData")
    assert other.events("ControlData") == []
    assert control["ROTPA"] == -123456789 and control["AFTEMP"] == 123456789
    assert re.match(r"\d\d:\d\d:\d\d", control["MNTRA"]) and "\u00b0" in control["MNTDEC"]


def test_shot_sequence(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """Ack, Signal 18 and 502, ShotRunning ticks, NewFITReady, NewJPGReady (a real JPEG), Signal 2, result 4, Signal 501."""
    client = Client(simulator)
    client.request("RemoteSetDashboardMode", IsOn=True)
    client.received()
    request_id = client.request("RemoteCameraShot", **SHOT)
    for _ in range(3):
        clock.advance(1)
    messages = [m for m in client.received() if m.get("Event") not in ("ControlData", "Polling")]
    kinds = [m.get("Event") or ("ack" if m.get("result") == 0 else "?") for m in messages]
    assert kinds[:3] == ["ack", "Signal", "Signal"] and messages[0]["id"] == request_id
    assert [messages[1]["Code"], messages[2]["Code"]] == [18, 502]
    assert kinds[3:] == [
        "ShotRunning",
        "ShotRunning",
        "NewFITReady",
        "NewJPGReady",
        "Signal",
        "RemoteActionResult",
        "Signal",
    ]
    assert messages[4]["ElapsedPerc"] == 100.0 and messages[4]["Status"] == 2
    assert base64.b64decode(messages[6]["Base64Data"])[:2] == b"\xff\xd8"
    assert messages[7]["Code"] == 2
    assert messages[8]["UID"] == "uid-2" and messages[8]["ActionResultInt"] == 4
    assert messages[8]["ParamRet"] == {"DownloadAndSaveTime": 1.5}
    assert messages[9]["Code"] == 501


def test_shot_needs_setup_connected(clock: MemoryReactorClock) -> None:
    """With the setup disconnected a shot ends FINISHED_ERROR with a reason."""
    sim = VoyagerSimulator(clock, SimulatorSettings(setup_connected=False))
    client = Client(sim)
    client.request("RemoteCameraShot", **SHOT)
    (result,) = client.events("RemoteActionResult")
    assert result["ActionResultInt"] == 5 and "setup" in result["Motivo"]
    client.protocol.connectionLost()


def test_park_changes_control_data(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """Park slews, then ControlData shows MNTPARK true and tracking off."""
    client = Client(simulator)
    client.request("RemoteSetDashboardMode", IsOn=True)
    client.request("RemoteMountFastCommand", CommandType=3)
    clock.advance(2)
    assert client.events("ControlData")[-1]["MNTSLEW"] is True
    clock.advance(2)
    control = client.events("ControlData")[-1]
    assert control["MNTPARK"] is True and control["MNTTRACK"] is False


def test_tracking_off_lets_ra_drift_and_park_freezes_it(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """With tracking off the pointing's RA advances; parked it stays put."""
    model = simulator.model
    model.tracking = False
    before = model.ra_hours
    clock.advance(60)
    assert model.ra_hours > before
    model.parked = True
    frozen = model.ra_hours
    clock.advance(60)
    assert model.ra_hours == frozen


def test_cooling_ramps_to_set_point(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """RemoteCooling moves CCDTEMP toward the set point and ends when it is reached."""
    client = Client(simulator)
    client.request(
        "RemoteCooling",
        IsCoolDown=True,
        IsSetPoint=False,
        IsWarmup=False,
        IsCoolerOFF=False,
        IsASync=False,
        Temperature=-10,
    )
    start = simulator.model.ccd_temperature
    clock.advance(10)
    assert simulator.model.ccd_temperature < start
    assert client.events("RemoteActionResult") == []
    for _ in range(60):
        clock.advance(1)
        client.keep_alive()
    (result,) = client.events("RemoteActionResult")
    assert result["ActionResultInt"] == 4 and abs(simulator.model.ccd_temperature + 10) < 0.5


def test_abort_ends_running_action(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """Abort is only acknowledged; the running action ends ABORTED between Signal 2 and Signal 505."""
    client = Client(simulator)
    client.request("RemoteCameraShot", **{**SHOT, "Expo": 60})
    client.received()
    request_id = client.request("Abort", IsHalt=True)
    messages = client.received()
    assert messages[0] == {"jsonrpc": "2.0", "result": 0, "id": request_id}
    results = [m for m in messages if m.get("Event") in ("RemoteActionResult", "Signal")]
    assert [(m.get("UID"), m.get("ActionResultInt"), m.get("Code")) for m in results] == [
        (None, None, 2),
        ("uid-1", 7, None),
        (None, None, 505),
    ]
    assert results[1]["ParamRet"] == {"DownloadAndSaveTime": -60.0}
    assert simulator.action is None


def test_action_abort_by_uid(simulator: VoyagerSimulator) -> None:
    """RemoteActionAbort with the running action's UID aborts that action."""
    client = Client(simulator)
    client.request("RemoteFocusEx", **FOCUS)
    client.received()
    client.request("RemoteActionAbort", UID="uid-1")
    (result,) = client.events("RemoteActionResult")
    assert result["UID"] == "uid-1" and result["ActionResultInt"] == 7


def test_errors(simulator: VoyagerSimulator) -> None:
    """Unknown method, bad params and a second main action are each refused with code 1."""
    client = Client(simulator)
    client.received()
    client.request("RemoteTakeShot")
    client.request("RemoteCameraShot", Expo="long")
    client.request("RemoteFocusEx", **FOCUS)
    client.request("RemoteCameraShot", **SHOT)
    errors = [m["error"]["code"] for m in client.received() if "error" in m]
    assert errors == [1, 1, 1]


def test_queries_run_beside_a_main_action(simulator: VoyagerSimulator) -> None:
    """RemoteGetStatus is answered while an action runs, reporting RUN."""
    client = Client(simulator)
    client.request("RemoteFocusEx", **FOCUS)
    client.request("RemoteGetStatus")
    results = client.events("RemoteActionResult")
    assert results[-1]["ParamRet"] == {"VoyagerStatus": "RUN"}


def test_faults(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """Garbage, huge lines, split writes, stall and delayed results behave as named."""
    client = Client(simulator)
    client.received()
    simulator.faults.send_garbage()
    assert client.transport.value() == b"}{ this is not JSON\r\n"
    client.transport.clear()
    simulator.faults.send_huge_line(100_000)
    assert len(client.transport.value()) > 100_000 and json.loads(client.transport.value())
    client.transport.clear()
    simulator.faults.split_writes = 5
    writes: list[bytes] = []
    original_write = client.transport.write

    def write(data: bytes) -> None:
        writes.append(data)
        original_write(data)

    client.transport.write = write  # type: ignore[method-assign]
    client.request("RemoteGetStatus")
    assert writes and all(len(w) <= 5 for w in writes)
    simulator.faults.split_writes = None
    client.received()
    simulator.faults.result_delay = 3
    client.request("RemoteGetStatus")
    assert client.events("RemoteActionResult") == []
    clock.advance(3)
    assert len(client.events("RemoteActionResult")) == 1
    simulator.faults.stalled = True
    clock.advance(5)
    client.request("RemoteGetStatus")
    clock.advance(3)
    assert client.transport.value() == b""
    simulator.faults.stalled = False


def test_drop_connections_aborts_every_client(simulator: VoyagerSimulator) -> None:
    """drop_connections aborts each client's transport."""
    clients = [Client(simulator), Client(simulator)]
    simulator.faults.drop_connections()
    assert all(c.transport.disconnecting for c in clients)


def test_shutdown_says_shutdown_and_leaves_no_timers(clock: MemoryReactorClock) -> None:
    """shutdown() sends ShutDown to everyone, closes them, and no timer survives stopping."""
    sim = VoyagerSimulator(clock, SimulatorSettings())
    sim.doStart()
    client = Client(sim)
    client.request("RemoteCameraShot", **SHOT)
    client.received()
    sim.shutdown()
    assert [m["Event"] for m in client.received()] == ["ShutDown"]
    assert client.transport.disconnecting
    client.protocol.connectionLost()
    sim.doStop()
    assert clock.getDelayedCalls() == []
