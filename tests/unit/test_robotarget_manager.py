"""Manager mode and signed calls, with Voyager's side played by hand on a MemoryReactorClock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fake_voyager import SESSION_KEY, VERSION_LINE, FakeVoyager
from tests.support.states import state_of
from voyager_proxy.config import RoboTargetSettings
from voyager_proxy.robotarget import RoboTarget, RoboTargetRefused, RoboTargetState, RoboTargetUnavailable
from voyager_proxy.robotarget.signing import command_mac, manager_hash

SETTINGS = RoboTargetSettings(
    secret="s3cr3t", mac_key="KEY-1", mac_words=("a", "b", "c", "d"), mac_encoding="raw-base64"
)


@pytest.fixture
def voyager() -> FakeVoyager:
    return FakeVoyager()


def test_manager_mode_then_signed_calls(voyager: FakeVoyager) -> None:
    """Manager mode is sent with the session's hash and MAC key; once DONE, calls carry their MAC, and a ret other than DONE fails with RoboTargetRefused."""
    robotarget = RoboTarget(voyager.link, voyager.clock, SETTINGS)
    assert state_of(robotarget.status) is RoboTargetState.WAITING
    voyager.ready()
    (manager,) = voyager.said_by_link()
    assert manager["method"] == "RemoteSetRoboTargetManagerMode"
    assert manager["params"]["MACKey"] == "KEY-1"
    assert manager["params"]["Hash"] == manager_hash("s3cr3t", SESSION_KEY, ("a", "b", "c", "d"), "raw-base64")
    assert state_of(robotarget.status) is RoboTargetState.ACTIVATING
    voyager.finish(manager, ret="DONE", VersionDB=12)
    assert state_of(robotarget.status) is RoboTargetState.READY and robotarget.status.version_db == 12

    answers: list[Any] = []
    robotarget.call("GetSet", {"ProfileName": ""}).addCallback(answers.append)
    (request,) = voyager.said_by_link()
    assert request["method"] == "RemoteRoboTargetGetSet"
    expected = command_mac("s3cr3t", SESSION_KEY, request["id"], request["params"]["UID"], "raw-base64")
    assert request["params"]["MAC"] == expected
    voyager.finish(request, list=[{"guid": "g"}])
    assert answers == [{"list": [{"guid": "g"}]}]

    failures: list[Any] = []
    robotarget.call("RemoveSet", {"RefGuidSet": "g"}).addErrback(failures.append)
    (request,) = voyager.said_by_link()
    voyager.finish(request, ret="ERROR : Set not found")
    assert failures[0].check(RoboTargetRefused) and failures[0].value.answer == "ERROR : Set not found"
    voyager.stop()


def test_refused_manager_mode_is_an_error_state_with_voyagers_reason(voyager: FakeVoyager) -> None:
    """A refused manager mode is state error with Voyager's ret as reason; calls fail at once with it and the link stays ready."""
    robotarget = RoboTarget(voyager.link, voyager.clock, SETTINGS)
    voyager.ready()
    (manager,) = voyager.said_by_link()
    voyager.finish(manager, code=5, ret="ERROR : Hash not valid")
    assert state_of(robotarget.status) is RoboTargetState.ERROR and robotarget.status.reason == "ERROR : Hash not valid"
    failures: list[Any] = []
    robotarget.call("GetSet", {"ProfileName": ""}).addErrback(failures.append)
    (failure,) = failures
    assert failure.check(RoboTargetUnavailable) and "Hash not valid" in failure.getErrorMessage()
    assert voyager.said_by_link() == []
    assert voyager.link.status.ready  # the rest of the proxy carries on
    voyager.stop()


def test_each_new_session_enters_manager_mode_with_its_own_key(voyager: FakeVoyager) -> None:
    """After a reconnect manager mode is sent again, first, with a hash from the new session key."""
    robotarget = RoboTarget(voyager.link, voyager.clock, SETTINGS)
    voyager.ready()
    (first,) = voyager.said_by_link()
    voyager.finish(first, ret="DONE")
    voyager.drop()
    assert state_of(robotarget.status) is RoboTargetState.WAITING
    voyager.clock.advance(voyager.settings.reconnect_initial_delay * 1.5)  # the delay has jitter
    voyager.accept()
    voyager.say(
        b'{"Event":"Version","Timestamp":1795490000.12345,"Host":"OBS1","Inst":1,"VOYVersion":"R","MsgVersion":1}'
    )
    second, dashboard = voyager.said_by_link()
    assert dashboard["method"] == "RemoteSetDashboardMode"
    assert second["params"]["Hash"] == manager_hash("s3cr3t", "1795490000.12345", ("a", "b", "c", "d"), "raw-base64")
    assert second["params"]["Hash"] != first["params"]["Hash"]
    voyager.stop()


def test_manager_mode_is_the_first_command_after_authentication() -> None:
    """With authentication, manager mode comes right after the login answer, before dashboard and log mode."""
    voyager = FakeVoyager(username="observer", password="pw", log_events=True)
    robotarget = RoboTarget(voyager.link, voyager.clock, SETTINGS)
    voyager.link.startService()
    voyager.accept()
    voyager.say(VERSION_LINE)
    (auth,) = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "authbase": {"Username": "observer"}, "id": auth["id"]})
    manager, dashboard = voyager.said_by_link()
    assert [manager["method"], dashboard["method"]] == ["RemoteSetRoboTargetManagerMode", "RemoteSetDashboardMode"]
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": dashboard["id"]})
    (log_mode,) = voyager.said_by_link()
    assert log_mode["method"] == "RemoteSetLogEvent"
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": log_mode["id"]})
    assert voyager.link.status.ready and state_of(robotarget.status) is RoboTargetState.ACTIVATING
    voyager.finish(manager, ret="DONE")
    assert state_of(robotarget.status) is RoboTargetState.READY
    voyager.stop()


def test_not_configured_means_disabled_and_nothing_sent(voyager: FakeVoyager) -> None:
    """Without RoboTarget settings nothing is sent, the state is disabled and calls fail with RoboTargetUnavailable."""
    robotarget = RoboTarget(voyager.link, voyager.clock, RoboTargetSettings())
    voyager.ready()
    assert voyager.said_by_link() == []
    assert state_of(robotarget.status) is RoboTargetState.DISABLED
    failures: list[Any] = []
    robotarget.call("GetSet", {}).addErrback(failures.append)  # a failed Deferred: call() never raises
    (failure,) = failures
    assert failure.check(RoboTargetUnavailable) and "disabled" in failure.getErrorMessage()
    voyager.stop()


def test_results_stay_private_and_writes_need_done(voyager: FakeVoyager) -> None:
    """RoboTarget results never reach the link's subscribers; a write answered without ret is refused."""
    robotarget = RoboTarget(voyager.link, voyager.clock, SETTINGS)
    voyager.ready()
    published: list[str] = []
    voyager.link.events.subscribe(lambda event: published.append(event.name))
    (manager,) = voyager.said_by_link()
    voyager.finish(manager, ret="DONE")
    answers: list[Any] = []
    robotarget.call("GetShotJpg", {"RefGuidShotDone": "g", "FITFileName": ""}).addCallback(answers.append)
    (request,) = voyager.said_by_link()
    voyager.finish(request, ret="DONE", BaseData="/9j/AAAA")
    assert answers[0]["BaseData"] == "/9j/AAAA"
    failures: list[Any] = []
    robotarget.call("AddSet", {"Guid": "g"}).addErrback(failures.append)
    (request,) = voyager.said_by_link()
    voyager.finish(request)  # no ret at all
    assert failures[0].check(RoboTargetRefused)
    voyager.say({"Event": "Polling", "Timestamp": 1, "Host": "OBS1", "Inst": 1})
    assert published == ["Polling"]
    voyager.stop()


def requests_within(voyager: FakeVoyager, seconds: float) -> list[dict[str, Any]]:
    """Let C{seconds} pass with Voyager polling every second; the requests the link wrote meanwhile."""
    requests = []
    for _ in range(int(seconds)):
        voyager.say({"Event": "Polling", "Timestamp": 1, "Host": "OBS1", "Inst": 1})
        voyager.clock.advance(1)
        requests += [line for line in voyager.said_by_link() if "method" in line]
    return requests


def test_refused_manager_mode_is_tried_again_with_backoff(voyager: FakeVoyager) -> None:
    """A refused manager mode is retried after RETRY_FIRST, then after twice that, until DONE makes it ready."""
    robotarget = RoboTarget(voyager.link, voyager.clock, SETTINGS)
    voyager.ready()
    (manager,) = voyager.said_by_link()
    voyager.finish(manager, code=5, ret="ERROR : busy")
    assert robotarget.status.retry_at == voyager.clock.seconds() + RoboTarget.RETRY_FIRST
    assert requests_within(voyager, RoboTarget.RETRY_FIRST - 1) == []
    (again,) = requests_within(voyager, 1)
    assert again["method"] == "RemoteSetRoboTargetManagerMode"
    voyager.finish(again, code=5, ret="ERROR : busy")
    assert robotarget.status.retry_at == voyager.clock.seconds() + 2 * RoboTarget.RETRY_FIRST
    (third,) = requests_within(voyager, 2 * RoboTarget.RETRY_FIRST)
    voyager.finish(third, ret="DONE")
    assert state_of(robotarget.status) is RoboTargetState.READY
    voyager.stop()  # no retry timer is left behind
