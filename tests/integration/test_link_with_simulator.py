"""
The link against the simulator over real loopback TCP: one smoke test of a
real kill and reconnect. Everything else the link does with the simulator is
proven in memory, in tests/memory/test_link_with_simulator.py.
"""

from __future__ import annotations

import pytest_twisted  # type: ignore[import-untyped]  # pytest-twisted ships no py.typed or stubs
from twisted.internet.defer import Deferred

from tests.integration.conftest import RunningSimulator
from tests.support.waiting import EventRecorder, ready, status_where
from voyager_proxy.voyager.errors import ConnectionLost
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.status import LinkState


async def failure_of(deferred: Deferred) -> BaseException:
    try:
        await deferred
    except Exception as error:
        return error
    raise AssertionError("expected a failure")


@pytest_twisted.ensureDeferred
async def test_simulator_killed_and_restarted(simulator: RunningSimulator, link: VoyagerLink) -> None:
    """A Voyager crash fails the command in flight; the link reconnects by itself afterwards."""
    await ready(link)
    recorder = EventRecorder(link)
    shot = link.send(
        "RemoteCameraShot",
        {"Expo": 30, "Bin": 1, "FilterIndex": 0, "ExpoType": 0, "IsSaveFile": True, "FitFileName": "x.fit"},
    )
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
