"""The Voyager session: handshake, heartbeat, watchdog, reconnection and commands."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from twisted.internet.defer import CancelledError, Deferred

from tests.support.fake_voyager import SESSION_KEY, VERSION_LINE, FakeVoyager
from tests.support.states import flag, state_of
from voyager_proxy.voyager.errors import (
    ActionFailed,
    CommandRejected,
    CommandTimeout,
    ConnectionLost,
    NotReady,
)
from voyager_proxy.voyager.pending import CommandState
from voyager_proxy.voyager.status import LinkState


def outcome(deferred: Deferred[Any]) -> Any:
    """The result or failure a Deferred has already fired with."""
    results: list[Any] = []
    deferred.addBoth(results.append)
    assert results, "the Deferred has not fired"
    return results[0]


def result_event(uid: str, code: int = 4, motivo: str = "", param_ret: Any = None) -> dict[str, Any]:
    return {
        "Event": "RemoteActionResult",
        "Timestamp": 1.0,
        "Host": "OBS1",
        "Inst": 1,
        "UID": uid,
        "ActionResultInt": code,
        "Motivo": motivo,
        "ParamRet": {} if param_ret is None else param_ret,
    }


@pytest.fixture
def voyager() -> FakeVoyager:
    fake = FakeVoyager(reconnect_initial_delay=5.0)
    random.seed(1)
    return fake


# Handshake


def test_handshake_order_with_authentication() -> None:
    """Nothing is sent before Version; then AuthenticateUserBase, then dashboard mode, then READY."""
    fake = FakeVoyager(username="observer", password="secret")
    fake.link.startService()
    fake.accept()
    assert fake.said_by_link() == []
    assert state_of(fake.link.status) is LinkState.AWAITING_VERSION
    fake.say(VERSION_LINE)
    (auth,) = fake.said_by_link()
    assert auth["method"] == "AuthenticateUserBase"
    assert base64.b64decode(auth["params"]["Base"]) == b"observer:secret"
    assert isinstance(auth["params"]["UID"], str) and auth["id"] == 1
    assert state_of(fake.link.status) is LinkState.AUTHENTICATING
    fake.say({"jsonrpc": "2.0", "authbase": {"Username": "observer"}, "id": 1})
    (dashboard,) = fake.said_by_link()
    assert dashboard["method"] == "RemoteSetDashboardMode"
    assert dashboard["params"]["IsOn"] is True and dashboard["id"] == 2
    assert state_of(fake.link.status) is LinkState.CONFIGURING
    fake.say({"jsonrpc": "2.0", "result": 0, "id": 2})
    status = fake.link.status
    assert (
        status.ready
        and status.authenticated
        and status.version is not None
        and status.version["version"] == "Release 2.3.14"
    )
    assert fake.link.session is not None and fake.link.session.session_key == SESSION_KEY
    fake.stop()


def test_handshake_without_credentials_skips_authentication(voyager: FakeVoyager) -> None:
    """With no username the first request is dashboard mode."""
    voyager.link.startService()
    voyager.accept()
    voyager.say(VERSION_LINE)
    assert [m["method"] for m in voyager.said_by_link()] == ["RemoteSetDashboardMode"]
    voyager.stop()


def test_log_events_mode_follows_dashboard_mode() -> None:
    """With log_events on, RemoteSetLogEvent with the level comes after dashboard mode."""
    fake = FakeVoyager(log_events=True, log_level=1)
    fake.link.startService()
    fake.accept()
    fake.say(VERSION_LINE)
    (dashboard,) = fake.said_by_link()
    fake.say({"jsonrpc": "2.0", "result": 0, "id": dashboard["id"]})
    (log_mode,) = fake.said_by_link()
    assert log_mode["method"] == "RemoteSetLogEvent"
    assert log_mode["params"]["Level"] == 1 and log_mode["params"]["IsOn"] is True
    fake.say({"jsonrpc": "2.0", "result": 0, "id": log_mode["id"]})
    assert fake.link.status.ready
    fake.stop()


def test_no_version_in_time_drops_the_connection(voyager: FakeVoyager) -> None:
    """Without a Version event within the handshake timeout the link hangs up and retries."""
    voyager.link.startService()
    transport = voyager.accept()
    voyager.clock.advance(voyager.settings.handshake_timeout)
    assert transport.disconnecting
    voyager.finish_close()
    assert state_of(voyager.link.status) is LinkState.DISCONNECTED
    assert "no Version event" in (voyager.link.status.last_error or "")
    voyager.link.stopService()


def test_closed_during_authentication_is_auth_failed_with_backoff() -> None:
    """Voyager hanging up on our credentials is a distinct state, retried 5 s then 10 s later."""
    fake = FakeVoyager(username="observer", password="wrong", reconnect_initial_delay=5.0)
    fake.link.startService()
    factory = fake.factory
    factory.jitter = 0
    for expected_delay in (5.0, 10.0, 20.0):
        fake.accept()
        fake.say(VERSION_LINE)
        fake.said_by_link()
        fake.drop()
        status = fake.link.status
        assert status.state is LinkState.AUTH_FAILED
        assert "check voyager.username and voyager.password" in (status.last_error or "")
        attempts = fake.connector.attempts
        fake.clock.advance(expected_delay - 0.01)
        assert fake.connector.attempts == attempts
        fake.clock.advance(0.02)
        assert fake.connector.attempts == attempts + 1
    fake.link.stopService()
    assert fake.clock.getDelayedCalls() == []


def test_authentication_error_answer_is_auth_failed() -> None:
    """A JSON-RPC error to AuthenticateUserBase drops the connection as auth_failed."""
    fake = FakeVoyager(username="observer", password="wrong")
    fake.link.startService()
    transport = fake.accept()
    fake.say(VERSION_LINE)
    (auth,) = fake.said_by_link()
    fake.say({"jsonrpc": "2.0", "error": {"code": -32000, "message": "bad login"}, "id": auth["id"]})
    assert transport.disconnecting
    fake.finish_close()
    assert state_of(fake.link.status) is LinkState.AUTH_FAILED
    assert "bad login" in (fake.link.status.last_error or "")
    fake.link.stopService()


# Heartbeat and watchdog


def test_polling_after_five_quiet_seconds(voyager: FakeVoyager) -> None:
    """Polling goes out after 5 s without outbound traffic, and a command postpones it."""
    voyager.ready()
    voyager.clock.advance(4.9)
    assert voyager.said_by_link() == []
    voyager.clock.advance(0.1)
    (polling,) = voyager.said_by_link()
    assert polling["Event"] == "Polling" and polling["Host"] == "voyager-proxy"
    voyager.clock.advance(3)
    voyager.link.submit("RemoteGetStatus")
    voyager.said_by_link()
    voyager.clock.advance(4.9)
    assert voyager.said_by_link() == []
    voyager.clock.advance(0.1)
    assert [m["Event"] for m in voyager.said_by_link()] == ["Polling"]
    voyager.stop()


def test_inactivity_drops_after_fifteen_silent_seconds(voyager: FakeVoyager) -> None:
    """Any data resets the watchdog; 15 s of silence aborts the connection."""
    voyager.ready()
    voyager.clock.advance(14)
    voyager.say({"Event": "Polling", "Timestamp": 2.0, "Host": "OBS1", "Inst": 1})
    voyager.clock.advance(14)
    assert not voyager.transport.disconnecting
    voyager.clock.advance(1)
    assert flag(voyager.transport.disconnecting)
    voyager.finish_close()
    assert state_of(voyager.link.status) is LinkState.DISCONNECTED
    assert "no data from Voyager for 15 s" in (voyager.link.status.last_error or "")
    voyager.link.stopService()


def test_a_slow_long_line_keeps_the_watchdog_fed(voyager: FakeVoyager) -> None:
    """A line arriving over 60 s in pieces 10 s apart is life: every read resets the watchdog, not only whole lines."""
    voyager.ready()
    voyager.protocol.dataReceived(b'{"Event":"NewJPGReady","Timestamp":1,"Host":"OBS1","Inst":1,"Base64Data":"')
    for _ in range(6):
        voyager.clock.advance(10)
        voyager.protocol.dataReceived(b"A" * 65536)
    assert not voyager.transport.disconnecting
    voyager.protocol.dataReceived(b'"}\r\n')
    assert voyager.link.cache.snapshot()["preview"] is not None
    voyager.stop()


# Reconnection


def test_backoff_schedule_caps_and_resets_when_ready() -> None:
    """Retries wait 5, 10, 20 … capped at 300 s; a ready session resets the delay."""
    fake = FakeVoyager(reconnect_initial_delay=5.0, reconnect_max_delay=300.0)
    fake.link.startService()
    fake.factory.jitter = 0
    waits = []
    for _ in range(9):
        fake.refuse()
        delay = fake.clock.getDelayedCalls()[0].getTime() - fake.clock.seconds()
        waits.append(delay)
        fake.clock.advance(delay)
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert state_of(fake.link.status) is LinkState.CONNECTING and fake.link.status.attempts == 10
    fake.accept()
    fake.say(VERSION_LINE)
    fake.say({"jsonrpc": "2.0", "result": 0, "id": fake.said_by_link()[0]["id"]})
    assert fake.link.status.attempts == 0
    fake.drop()
    assert fake.clock.getDelayedCalls()[0].getTime() - fake.clock.seconds() == 5
    fake.link.stopService()
    assert fake.clock.getDelayedCalls() == []


def test_shutdown_event_closes_and_reconnects_with_backoff(voyager: FakeVoyager) -> None:
    """ShutDown closes the connection; a new attempt comes after the backoff."""
    voyager.ready()
    voyager.factory.jitter = 0
    voyager.say({"Event": "ShutDown", "Timestamp": 3.0, "Host": "OBS1", "Inst": 1})
    assert voyager.transport.disconnecting
    voyager.finish_close()
    assert "ShutDown" in (voyager.link.status.last_error or "")
    attempts = voyager.connector.attempts
    voyager.clock.advance(5)
    assert voyager.connector.attempts == attempts + 1
    assert voyager.link.status.reconnects == 1
    voyager.link.stopService()


def test_reconnect_gets_a_new_session_key(voyager: FakeVoyager) -> None:
    """Each connection redoes the handshake and keeps its own Version timestamp."""
    voyager.ready()
    voyager.drop()
    voyager.clock.advance(10)
    voyager.accept()
    voyager.say(VERSION_LINE.replace(SESSION_KEY.encode(), b"1795484999.10000"))
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": voyager.said_by_link()[0]["id"]})
    assert voyager.link.session is not None and voyager.link.session.session_key == "1795484999.10000"
    voyager.stop()


def test_graceful_stop_says_disconnect_and_never_reconnects(voyager: FakeVoyager) -> None:
    """stopService sends disconnect, closes, and no retry is scheduled."""
    voyager.ready()
    voyager.link.stopService()
    (goodbye,) = voyager.said_by_link()
    assert goodbye["method"] == "disconnect" and goodbye["params"] == {}
    assert voyager.transport.disconnecting
    voyager.finish_close()
    assert state_of(voyager.link.status) is LinkState.STOPPED
    assert voyager.clock.getDelayedCalls() == []


# Commands


def test_command_before_ready_fails_at_once(voyager: FakeVoyager) -> None:
    """A command while not ready fails immediately with NotReady, nothing is written."""
    voyager.link.startService()
    voyager.accept()
    failure = outcome(voyager.link.send("RemoteMountFastCommand", {"CommandType": 3}))
    assert failure.check(NotReady)
    assert "awaiting_version" in str(failure.value)
    assert voyager.said_by_link() == []
    voyager.link.stopService()
    voyager.finish_close()


def test_two_hundred_commands_answered_out_of_order(voyager: FakeVoyager) -> None:
    """Each of 200 concurrent commands gets its own result, whatever the answer order."""
    voyager.ready()
    deferreds = [voyager.link.send("RemoteGetStatus", {"Tag": n}) for n in range(200)]
    requests = voyager.said_by_link()
    assert [r["id"] for r in requests] == list(range(2, 202))
    assert len({r["params"]["UID"] for r in requests}) == 200
    order = list(range(200))
    random.Random(7).shuffle(order)
    for n in order:
        voyager.say({"jsonrpc": "2.0", "result": 0, "id": requests[n]["id"]})
    random.Random(8).shuffle(order)
    for n in order:
        request = requests[n]
        voyager.say(result_event(request["params"]["UID"], param_ret={"Tag": request["params"]["Tag"]}))
    for n, deferred in enumerate(deferreds):
        assert outcome(deferred).fields["ParamRet"] == {"Tag": n}
    assert voyager.link.session is not None and voyager.link.session.in_flight == 0
    voyager.stop()


def test_rpc_error_fails_the_command_at_once(voyager: FakeVoyager) -> None:
    """A JSON-RPC error for the command's id fails it with code and message."""
    voyager.ready()
    deferred = voyager.link.send("RemoteFooBar")
    (request,) = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "error": {"code": -32601, "message": "unknown method"}, "id": request["id"]})
    failure = outcome(deferred)
    assert failure.check(CommandRejected)
    assert failure.value.code == -32601 and failure.value.message == "unknown method"
    voyager.stop()


@pytest.mark.parametrize(
    ("code", "state"), [(5, CommandState.ERROR), (7, CommandState.ABORTED), (8, CommandState.ERROR)]
)
def test_failed_action_carries_code_name_and_motivo(voyager: FakeVoyager, code: int, state: CommandState) -> None:
    """A final non-success result fails the command with code, name, Motivo and ParamRet."""
    voyager.ready()
    command = voyager.link.submit("RemoteSetupConnect", {"TimeoutConnect": 30})
    (request,) = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    voyager.say(result_event(command.uid, code, "camera not found", {"Detail": 1}))
    failure = outcome(command.finished())
    assert failure.check(ActionFailed)
    assert (failure.value.code, failure.value.reason, failure.value.param_ret) == (
        code,
        "camera not found",
        {"Detail": 1},
    )
    assert failure.value.name in {"FINISHED_ERROR", "ABORTED", "TIMEOUT"}
    assert command.state is state
    voyager.stop()


def test_ok_partial_is_success_and_running_is_not_final(voyager: FakeVoyager) -> None:
    """RUNNING (2) keeps waiting; OK_PARTIAL (10) succeeds."""
    voyager.ready()
    command = voyager.link.submit("RemoteSequence", {"SequenceFile": "m42.s2q"})
    voyager.said_by_link()
    voyager.say(result_event(command.uid, 2))
    assert command.state is CommandState.RUNNING
    voyager.say(result_event(command.uid, 10))
    assert state_of(command) is CommandState.OK
    assert outcome(command.finished()).fields["ActionResultInt"] == 10
    voyager.stop()


def test_shot_times_out_after_exposure_plus_overhead(voyager: FakeVoyager) -> None:
    """A shot with no result fails with CommandTimeout after Expo + 120 s, not before."""
    voyager.ready()
    command = voyager.link.submit("RemoteCameraShot", {"Expo": 30})
    (request,) = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    finished = command.finished()
    for _ in range(14):  # keep the link alive meanwhile
        voyager.clock.advance(10)
        voyager.say({"Event": "Polling", "Timestamp": 1.0, "Host": "OBS1", "Inst": 1})
    assert not finished.called
    voyager.clock.advance(10)
    failure = outcome(finished)
    assert failure.check(CommandTimeout) and failure.value.acknowledged
    assert command.state is CommandState.TIMEOUT
    voyager.say(result_event(command.uid))  # a late result changes nothing
    assert command.state is CommandState.TIMEOUT
    voyager.stop()


def test_explicit_timeout_without_ack(voyager: FakeVoyager) -> None:
    """A caller's timeout applies; the error says the acknowledgement never came."""
    voyager.ready()
    failure_holder = voyager.link.send("RemoteGetStatus", timeout=3)
    voyager.clock.advance(3)
    failure = outcome(failure_holder)
    assert failure.check(CommandTimeout) and not failure.value.acknowledged
    assert "acknowledgement" in str(failure.value)
    voyager.stop()


def test_connection_loss_fails_every_pending_command(voyager: FakeVoyager) -> None:
    """Losing the connection fails all commands in flight, then new ones fail with NotReady."""
    voyager.ready()
    commands = [voyager.link.submit("RemoteGetStatus") for _ in range(5)]
    requests = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": requests[0]["id"]})
    voyager.drop()
    failures = [outcome(c.finished()) for c in commands]
    assert all(f.check(ConnectionLost) for f in failures)
    assert failures[0].value.acknowledged and "may still be running" in str(failures[0].value)
    assert {c.state for c in commands} == {CommandState.LOST}
    assert outcome(voyager.link.send("RemoteGetStatus")).check(NotReady)
    voyager.link.stopService()


def test_cancelling_the_callers_deferred_keeps_tracking(voyager: FakeVoyager) -> None:
    """A caller giving up (HTTP client gone) does not stop tracking the command."""
    voyager.ready()
    command = voyager.link.submit("RemoteCameraShot", {"Expo": 1})
    caller = command.finished()
    caller.cancel()
    assert outcome(caller).check(CancelledError)
    voyager.said_by_link()
    voyager.say(result_event(command.uid))
    assert command.state is CommandState.OK
    assert outcome(command.finished()).fields["UID"] == command.uid
    voyager.stop()


def test_ack_only_methods_resolve_on_the_ack(voyager: FakeVoyager) -> None:
    """Abort is sent without a UID and finishes with its result:0 answer; a later result is ignored."""
    voyager.ready()
    command = voyager.link.submit("Abort", {"IsHalt": True})
    (request,) = voyager.said_by_link()
    assert request["params"] == {"IsHalt": True}
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    assert outcome(command.finished()) == {"jsonrpc": "2.0", "result": 0, "id": request["id"]}
    voyager.say(result_event(command.uid, code=5))
    assert command.state is CommandState.OK
    voyager.stop()


def test_mode_switches_end_with_their_result(voyager: FakeVoyager) -> None:
    """RemoteSetDashboardMode and RemoteSetLogEvent wait for their RemoteActionResult, as documented."""
    voyager.ready()
    for method, params in (
        ("RemoteSetDashboardMode", {"IsOn": False}),
        ("RemoteSetLogEvent", {"IsOn": True, "Level": 0}),
    ):
        command = voyager.link.submit(method, params)
        (request,) = voyager.said_by_link()
        voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
        assert command.state is CommandState.ACKNOWLEDGED
        voyager.say(result_event(command.uid))
        assert state_of(command) is CommandState.OK
    voyager.stop()


def test_handshake_goes_on_when_the_dashboard_result_never_comes() -> None:
    """The handshake needs only the ack of a mode switch; a missing result times out in the background."""
    fake = FakeVoyager(log_events=True)
    fake.link.startService()
    fake.accept()
    fake.say(VERSION_LINE)
    (dashboard,) = fake.said_by_link()
    fake.say({"jsonrpc": "2.0", "result": 0, "id": dashboard["id"]})
    (log_mode,) = fake.said_by_link()
    fake.say({"jsonrpc": "2.0", "result": 0, "id": log_mode["id"]})
    assert fake.link.status.ready
    for _ in range(int(fake.settings.command_timeout) + 1):
        fake.say({"Event": "Polling", "Timestamp": 1, "Host": "OBS1", "Inst": 1})
        fake.clock.advance(1)
    assert fake.link.status.ready and fake.link.session is not None
    assert fake.link.session.in_flight == 0
    fake.stop()


def test_abort_of_an_action_ends_with_that_actions_result(voyager: FakeVoyager) -> None:
    """RemoteActionAbort sends the running action's UID; the code 7 result ends the action (aborted) and the abort (ok)."""
    voyager.ready()
    shot = voyager.link.submit("RemoteCameraShot", {"Expo": 30})
    voyager.said_by_link()
    abort = voyager.link.submit("RemoteActionAbort", {"UID": shot.uid})
    (request,) = voyager.said_by_link()
    assert request["params"] == {"UID": shot.uid}
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    assert abort.state is CommandState.ACKNOWLEDGED
    voyager.say(result_event(shot.uid, code=7, param_ret={"DownloadAndSaveTime": -9.5}))
    assert shot.state is CommandState.ABORTED
    assert state_of(abort) is CommandState.OK
    assert outcome(abort.finished()).fields["ActionResultInt"] == 7
    assert voyager.link.session is not None and voyager.link.session.in_flight == 0
    voyager.stop()


def test_result_uids_are_matched_without_padding(voyager: FakeVoyager) -> None:
    """A result whose UID carries stray spaces (as documented examples do) still ends its command."""
    voyager.ready()
    command = voyager.link.submit("RemoteGetStatus")
    voyager.said_by_link()
    voyager.say(result_event(f" {command.uid}"))
    assert command.state is CommandState.OK
    voyager.stop()


def test_array_element_data_answers_get_array_element_data(voyager: FakeVoyager) -> None:
    """GetArrayElementData finishes with the ArrayElementData event."""
    voyager.ready()
    command = voyager.link.submit("GetArrayElementData")
    (request,) = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    assert command.state is CommandState.ACKNOWLEDGED
    voyager.say({"Event": "ArrayElementData", "Timestamp": 1.0, "Host": "OBS1", "Inst": 1, "Nodes": []})
    assert outcome(command.finished()).name == "ArrayElementData"
    voyager.stop()


def test_results_for_other_clients_are_ignored(voyager: FakeVoyager) -> None:
    """A RemoteActionResult with a UID we did not send is published but settles nothing."""
    voyager.ready()
    command = voyager.link.submit("RemoteGetStatus")
    voyager.said_by_link()
    seen: list[str] = []
    voyager.link.events.subscribe(lambda event: seen.append(event.name))
    voyager.say(result_event("someone-else"))
    assert command.state is CommandState.SENT and seen == ["RemoteActionResult"]
    voyager.stop()


def test_malformed_and_oversize_lines_are_counted_and_survived() -> None:
    """Garbage and over-long lines are counted; the session stays up and keeps working."""
    fake = FakeVoyager(max_line_bytes=65536)
    fake.ready()
    fake.say(b"this is not json")
    fake.say(b'{"Event":"X","Blob":"' + b"a" * 70000 + b'"}')
    fake.say(b'{"no":"event or id"}')
    command = fake.link.submit("RemoteGetStatus")
    fake.said_by_link()
    fake.say(result_event(command.uid))
    assert command.state is CommandState.OK and fake.link.status.ready
    assert fake.link.cache.counters()["rejectedLines"] == {"malformed": 2, "too_long": 1}
    fake.stop()


def test_events_reach_subscribers_with_parsed_part(voyager: FakeVoyager) -> None:
    """Events are published on the bus with their parsed part; unknown ones untouched."""
    voyager.ready()
    seen: list[Any] = []
    voyager.link.events.subscribe(seen.append)
    voyager.say({"Event": "Signal", "Timestamp": 1.0, "Host": "OBS1", "Inst": 1, "Code": 18})
    voyager.say({"Event": "FutureThing", "Timestamp": 1.0, "Host": "OBS1", "Inst": 1, "X": [1]})
    assert seen[0].parsed["code"] == 18 and seen[0].parsed["text"]
    assert seen[1].fields["X"] == [1] and seen[1].parsed is None
    voyager.stop()


def test_status_changes_are_published(voyager: FakeVoyager) -> None:
    """Every state change is published, in order."""
    states: list[LinkState] = []
    voyager.link.status_changes.subscribe(lambda status: states.append(status.state))
    voyager.ready()
    voyager.stop()
    assert states == [
        LinkState.CONNECTING,
        LinkState.AWAITING_VERSION,
        LinkState.CONFIGURING,
        LinkState.READY,
        LinkState.STOPPED,
    ]


def test_close_aborts_when_voyager_does_not_let_go(voyager: FakeVoyager) -> None:
    """If the close does not complete in 2 s the connection is aborted."""
    voyager.ready()
    closing = voyager.link.stopService()
    assert voyager.transport.disconnecting and not voyager.transport.disconnected  # a polite close first
    voyager.clock.advance(1.9)
    assert not voyager.transport.disconnected
    voyager.clock.advance(0.1)
    assert flag(voyager.transport.disconnected)  # how StringTransport records abortConnection
    voyager.finish_close()
    assert closing.called
    assert voyager.clock.getDelayedCalls() == []


def test_a_command_on_a_closed_session_fails_at_once(voyager: FakeVoyager) -> None:
    """A command sent on a session whose connection is gone fails at once with ConnectionLost, unwritten and untimed."""
    voyager.ready()
    session, transport = voyager.link.session, voyager.transport
    assert session is not None and transport is not None
    voyager.drop()
    command = session.send_command("RemoteGetStatus", {})
    failure = outcome(command.finished())
    assert failure.check(ConnectionLost) and not failure.value.acknowledged
    assert command.state is CommandState.LOST and session.in_flight == 0
    assert transport.value() == b""
    voyager.link.stopService()


def test_a_commands_repr_hides_its_params(voyager: FakeVoyager) -> None:
    """A command's repr, as logs and tracebacks show it, leaves out its params: they may hold a MAC."""
    voyager.ready()
    assert voyager.link.session is not None
    command = voyager.link.session.send_command(
        "RemoteGetStatus", {"Tag": "param-value-7"}, sign=lambda key, request_id, uid: "MAC-0123456789"
    )
    (request,) = voyager.said_by_link()
    assert request["params"]["MAC"] == "MAC-0123456789"  # sent, never shown
    shown = repr(command)
    assert "RemoteGetStatus" in shown
    assert "MAC-0123456789" not in shown and "param-value-7" not in shown
    voyager.finish(request)
    voyager.stop()
