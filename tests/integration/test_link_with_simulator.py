"""The link against the simulator over real loopback TCP."""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import Deferred

from tests.integration.conftest import RunningSimulator, make_link
from tests.support.waiting import EventRecorder, ready, status_where
from voyager_proxy.voyager.errors import ActionFailed, CommandRejected, ConnectionLost
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.status import LinkState


async def failure_of(deferred: Deferred) -> BaseException:
    try:
        await deferred
    except Exception as error:
        return error
    raise AssertionError("expected a failure")


@pytest_twisted.ensureDeferred
async def test_full_session(link: VoyagerLink) -> None:
    """The link authenticates, enters dashboard mode and receives ControlData."""
    recorder = EventRecorder(link)
    status = await ready(link)
    assert status.authenticated and status.version["version"].startswith("Release")
    assert link.session.session_key.count(".") == 1
    control = await recorder.next("ControlData")
    assert control.parsed["camera"]["connected"] is True
    assert link.cache.snapshot()["controlData"]["parsed"]["camera"] is not None
    result = await link.send("RemoteGetStatus")
    assert result.fields["ActionResultInt"] == 4


@pytest_twisted.ensureDeferred
async def test_shot_from_command_to_preview(link: VoyagerLink) -> None:
    """A shot runs through Signal, ShotRunning, NewFITReady and NewJPGReady to its result."""
    await ready(link)
    recorder = EventRecorder(link)
    result = await link.send(
        "RemoteCameraShot",
        {
            "Expo": 0.5, "Bin": 1, "IsROI": False, "ROITYPE": 0, "ROIX": 0, "ROIY": 0, "ROIDX": 0,
            "ROIDY": 0, "FilterIndex": 0, "ExpoType": 0, "SpeedIndex": 0, "ReadoutIndex": 0,
            "IsSaveFile": True, "FitFileName": "%%fitdir%%\\probe.fit", "Gain": -800000,
            "Offset": -800000, "Parallelized": False,
        },
    )
    assert result.parsed["name"] == "OK"
    events = [e for e in recorder.events if e.name not in ("ControlData", "Polling")]
    events = [e for e in events if e.name != "RemoteActionResult" or e.fields["UID"] == result.fields["UID"]]
    names = [e.name for e in events]  # without the results of the session's own mode switches
    assert names.index("ShotRunning") < names.index("NewFITReady") < names.index("NewJPGReady")
    assert names.index("NewJPGReady") < names.index("RemoteActionResult")
    assert link.cache.preview is not None and link.cache.preview.jpeg[:2] == b"\xff\xd8"
    assert link.cache.snapshot()["shot"]["progress"] > 0


@pytest_twisted.ensureDeferred
async def test_park_changes_control_data(link: VoyagerLink) -> None:
    """Parking through RemoteMountFastCommand shows in the cached ControlData."""
    await ready(link)
    recorder = EventRecorder(link)
    await link.send("RemoteMountFastCommand", {"CommandType": 3})
    control = await recorder.next("ControlData")
    assert control.parsed["mount"]["parked"] is True


@pytest_twisted.ensureDeferred
async def test_unknown_method_is_rejected(link: VoyagerLink) -> None:
    """The simulator's JSON-RPC error reaches the caller as CommandRejected."""
    await ready(link)
    error = await failure_of(link.send("RemoteTakeShot", {"Expo": 1}))
    assert isinstance(error, CommandRejected) and error.code == 1  # Voyager answers every refusal with code 1


@pytest_twisted.ensureDeferred
async def test_abort_ends_the_running_action(link: VoyagerLink) -> None:
    """Abort makes the running shot end ABORTED, a typed failure for its caller."""
    await ready(link)
    recorder = EventRecorder(link)
    shot = link.send("RemoteCameraShot", {"Expo": 30, "Bin": 1, "FilterIndex": 0, "ExpoType": 0,
                                          "IsSaveFile": True, "FitFileName": "x.fit"})
    await recorder.next("ShotRunning")
    await link.send("Abort", {"IsHalt": True})
    error = await failure_of(shot)
    assert isinstance(error, ActionFailed) and error.name == "ABORTED"


@pytest_twisted.ensureDeferred
async def test_simulator_killed_and_restarted(simulator: RunningSimulator, link: VoyagerLink) -> None:
    """A Voyager crash fails the command in flight; the link reconnects by itself afterwards."""
    await ready(link)
    recorder = EventRecorder(link)
    shot = link.send("RemoteCameraShot", {"Expo": 30, "Bin": 1, "FilterIndex": 0, "ExpoType": 0,
                                          "IsSaveFile": True, "FitFileName": "x.fit"})
    await recorder.next("ShotRunning")
    await simulator.kill()
    error = await failure_of(shot)
    assert isinstance(error, ConnectionLost) and error.acknowledged
    await status_where(link, lambda status: status.state is LinkState.DISCONNECTED)
    simulator.start()
    status = await ready(link)
    assert status.reconnects >= 1
    result = await link.send("RemoteGetStatus")
    assert result.fields["ActionResultInt"] == 4


@pytest_twisted.ensureDeferred
async def test_wrong_password_is_auth_failed(simulator: RunningSimulator) -> None:
    """Voyager hanging up on bad credentials shows as auth_failed with a hint."""
    link = make_link(simulator, password="wrong")
    link.startService()
    try:
        status = await status_where(link, lambda status: status.state is LinkState.AUTH_FAILED)
        assert "voyager.password" in status.last_error
    finally:
        await link.stopService()


@pytest_twisted.ensureDeferred
async def test_garbage_split_writes_and_huge_line_are_survived(
    simulator: RunningSimulator,
) -> None:
    """Garbage, lines split in 7-byte writes and an over-long line cost nothing but themselves."""
    link = make_link(simulator, max_line_bytes=1024 * 1024)
    link.startService()
    try:
        await ready(link)
        simulator.simulator.faults.send_garbage()
        simulator.simulator.faults.send_huge_line(3 * 1024 * 1024)
        simulator.simulator.faults.split_writes = 7
        result = await link.send("RemoteGetStatus")
        assert result.fields["ActionResultInt"] == 4
        assert link.cache.counters()["rejectedLines"] == {"malformed": 1, "too_long": 1}
        assert link.status.ready
    finally:
        await link.stopService()


@pytest_twisted.ensureDeferred
async def test_stalled_voyager_is_dropped_and_rejoined(simulator: RunningSimulator) -> None:
    """A Voyager that goes silent is dropped by the watchdog; the link comes back when it speaks."""
    link = make_link(simulator, inactivity_timeout=0.5, polling_interval=0.2)
    link.startService()
    try:
        await ready(link)
        simulator.simulator.faults.stalled = True
        status = await status_where(link, lambda status: status.state is LinkState.DISCONNECTED)
        assert "no data from Voyager" in status.last_error
        simulator.simulator.faults.stalled = False
        await ready(link)
    finally:
        await link.stopService()
