"""The link against the simulator, in memory on one clock."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred

from tests.support.observatory import Observatory
from voyager_proxy.voyager.errors import ActionFailed, CommandRejected, ConnectionLost
from voyager_proxy.voyager.status import LinkState

SHOT = {"Expo": 30, "Bin": 1, "FilterIndex": 0, "ExpoType": 0, "IsSaveFile": True, "FitFileName": "x.fit"}


def failure_of(observatory: Observatory, deferred: Deferred[Any]) -> BaseException:
    try:
        observatory.run(deferred)
    except Exception as error:
        return error
    raise AssertionError("expected a failure")


def test_full_session() -> None:
    """The link authenticates, enters dashboard mode and receives ControlData."""
    observatory = Observatory()
    link = observatory.link
    try:
        link.startService()
        status = observatory.ready()
        assert status.authenticated and status.version is not None and status.version["version"].startswith("Release")
        session = link.session
        assert session is not None and session.session_key is not None and session.session_key.count(".") == 1
        control = observatory.next_event("ControlData")
        assert control.parsed["camera"]["connected"] is True
        assert link.cache.snapshot()["controlData"]["parsed"]["camera"] is not None
        result = observatory.run(link.send("RemoteGetStatus"))
        assert result.fields["ActionResultInt"] == 4
    finally:
        observatory.stop()


def test_shot_from_command_to_preview(observatory: Observatory) -> None:
    """A shot runs through Signal, ShotRunning, NewFITReady and NewJPGReady to its result."""
    link = observatory.link
    events: list[Any] = []
    subscription = link.events.subscribe(events.append)
    result = observatory.run(
        link.send(
            "RemoteCameraShot",
            {
                "Expo": 0.5,
                "Bin": 1,
                "IsROI": False,
                "ROITYPE": 0,
                "ROIX": 0,
                "ROIY": 0,
                "ROIDX": 0,
                "ROIDY": 0,
                "FilterIndex": 0,
                "ExpoType": 0,
                "SpeedIndex": 0,
                "ReadoutIndex": 0,
                "IsSaveFile": True,
                "FitFileName": "%%fitdir%%\\probe.fit",
                "Gain": -800000,
                "Offset": -800000,
                "Parallelized": False,
            },
        )
    )
    subscription.cancel()
    assert result.parsed["name"] == "OK"
    events = [e for e in events if e.name not in ("ControlData", "Polling")]
    events = [e for e in events if e.name != "RemoteActionResult" or e.fields["UID"] == result.fields["UID"]]
    names = [e.name for e in events]  # without the results of the session's own mode switches
    assert names.index("ShotRunning") < names.index("NewFITReady") < names.index("NewJPGReady")
    assert names.index("NewJPGReady") < names.index("RemoteActionResult")
    assert link.cache.snapshot()["preview"] is not None
    assert link.cache.snapshot()["shot"]["progress"] > 0


def test_park_changes_control_data(observatory: Observatory) -> None:
    """Parking through RemoteMountFastCommand shows in the cached ControlData."""
    observatory.run(observatory.link.send("RemoteMountFastCommand", {"CommandType": 3}))
    control = observatory.next_event("ControlData")
    assert control.parsed["mount"]["parked"] is True


def test_a_30_second_exposure_takes_30_simulated_seconds(observatory: Observatory) -> None:
    """A 30 s shot ends OK about 30 s of simulated time after it was sent, its preview cached."""
    started = observatory.clock.seconds()
    result = observatory.run(observatory.link.send("RemoteCameraShot", SHOT), seconds=60)
    assert result.parsed["name"] == "OK"
    assert 29.5 <= observatory.clock.seconds() - started < 40  # the simulator counts whole ticks
    assert observatory.link.cache.snapshot()["preview"] is not None


def test_unknown_method_is_rejected(observatory: Observatory) -> None:
    """The simulator's JSON-RPC error reaches the caller as CommandRejected."""
    error = failure_of(observatory, observatory.link.send("RemoteTakeShot", {"Expo": 1}))
    assert isinstance(error, CommandRejected) and error.code == 1  # Voyager answers every refusal with code 1


def test_abort_ends_the_running_action(observatory: Observatory) -> None:
    """Abort makes the running shot end ABORTED, a typed failure for its caller."""
    link = observatory.link
    shot = link.send("RemoteCameraShot", SHOT)
    observatory.next_event("ShotRunning")
    observatory.run(link.send("Abort", {"IsHalt": True}))
    error = failure_of(observatory, shot)
    assert isinstance(error, ActionFailed) and error.name == "ABORTED"


def test_simulator_killed_and_restarted(observatory: Observatory) -> None:
    """A Voyager crash fails the command in flight; the link reconnects by itself afterwards."""
    link = observatory.link
    shot = link.send("RemoteCameraShot", SHOT)
    observatory.next_event("ShotRunning")
    observatory.kill()
    error = failure_of(observatory, shot)
    assert isinstance(error, ConnectionLost) and error.acknowledged
    observatory.status_where(lambda status: status.state is LinkState.DISCONNECTED)
    observatory.start()
    status = observatory.ready()
    assert status.reconnects >= 1
    result = observatory.run(link.send("RemoteGetStatus"))
    assert result.fields["ActionResultInt"] == 4


def test_wrong_password_is_auth_failed() -> None:
    """Voyager hanging up on bad credentials shows as auth_failed with a hint."""
    observatory = Observatory(password="wrong")
    try:
        observatory.link.startService()
        status = observatory.status_where(lambda status: status.state is LinkState.AUTH_FAILED)
        assert "voyager.password" in (status.last_error or "")
    finally:
        observatory.stop()


def test_garbage_split_writes_and_huge_line_are_survived() -> None:
    """Garbage, lines split in 7-byte writes and an over-long line cost nothing but themselves."""
    observatory = Observatory(max_line_bytes=1024 * 1024)
    faults = observatory.simulator.faults
    try:
        observatory.ready()
        faults.send_garbage()
        faults.send_huge_line(3 * 1024 * 1024)
        faults.split_writes = 7
        result = observatory.run(observatory.link.send("RemoteGetStatus"))
        assert result.fields["ActionResultInt"] == 4
        assert observatory.link.cache.counters()["rejectedLines"] == {"malformed": 1, "too_long": 1}
        assert observatory.link.status.ready
    finally:
        observatory.stop()


@pytest.mark.parametrize("seconds", [0.5, 15.0])
def test_stalled_voyager_is_dropped_and_rejoined(seconds: float) -> None:
    """A Voyager that goes silent is dropped by the watchdog at its timeout; the link comes back when it speaks."""
    observatory = Observatory(inactivity_timeout=seconds, polling_interval=min(0.2, seconds / 2))
    try:
        observatory.ready()
        observatory.simulator.faults.stalled = True
        stalled_at = observatory.clock.seconds()
        status = observatory.status_where(lambda status: status.state is LinkState.DISCONNECTED, seconds=seconds + 5)
        assert "no data from Voyager" in (status.last_error or "")
        assert seconds - 0.3 <= observatory.clock.seconds() - stalled_at <= seconds + 0.3  # counted from the last line
        observatory.simulator.faults.stalled = False
        observatory.ready()
    finally:
        observatory.stop()
