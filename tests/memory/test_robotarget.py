"""RoboTarget through REST, against the simulator's RoboTarget database, all in memory on one clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from twisted.internet.defer import Deferred
from twisted.logger import ILogObserver, LogEvent, formatEvent, globalLogPublisher
from twisted.web.client import ResponseNeverReceived
from zope.interface import provider

from tests.support.observatory import BASE, Observatory
from voyager_proxy.config import RoboTargetSettings, WebSocketSettings
from voyager_proxy.voyager.events import VoyagerEvent
from voyager_proxy.voyager.link import VoyagerLink

KEY = "robotarget-control-key-0123456789"
READ = "robotarget-read-key-0123456789ab"
NARROW = "robotarget-narrow-key-0123456789"
SECRET, MAC_KEY, WORDS = "observatory-secret", "MACKEY-1234-ABCD", ("w1-AAAA", "w2-BBBB", "w3-CCCC", "w4-DDDD")


@attrs.define
class Proxy:
    """The HTTP API on StubTreq, its link and the licensed simulator behind it."""

    observatory: Observatory

    @property
    def link(self) -> VoyagerLink:
        return self.observatory.link

    def call(self, method: str, path: str, body: Any = None, key: str | None = KEY, **headers: str) -> tuple[int, Any]:
        code, answer, _ = self.observatory.call(method, path, body, key, headers=headers)
        return code, answer

    def robotarget_state(self) -> str:
        state: str = self.call("GET", "/api/robotarget/status")[1]["robotarget"]["state"]
        return state


def start(words: tuple[str, ...] = WORDS) -> Proxy:
    observatory = Observatory(
        simulator={"robotarget_secret": SECRET, "robotarget_mac_key": MAC_KEY, "robotarget_mac_words": WORDS}
    )
    observatory.serve(
        (f"laravel:control:{KEY}", f"dashboard:read:{READ}", f"camera:control:{NARROW}:RemoteCameraShot"),
        {"failed_auth_burst": 1000},  # the tests refuse many keys on purpose
        websocket=WebSocketSettings(),
        robotarget=RoboTargetSettings(secret=SECRET, mac_key=MAC_KEY, mac_words=words),
    )
    observatory.ready()
    return Proxy(observatory)


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    started = start()
    until_state(started, "ready")
    yield started
    started.observatory.stop()


def until_state(proxy: Proxy, state: str, seconds: float = 10.0) -> None:
    """RoboTarget's state as REST shows it, asked every 50 ms of simulated time; manager mode takes one round trip."""
    for _ in range(int(seconds / 0.05)):
        if proxy.robotarget_state() == state:
            return
        proxy.observatory.advance(0.05)
    raise AssertionError(f"gave up waiting for RoboTarget {state}")


def base_sequence(proxy: Proxy) -> str:
    code, body = proxy.call("GET", "/api/robotarget/base-sequences?profile=Default.v2y")
    assert code == 200 and body["baseSequences"]
    guid: str = body["baseSequences"][0]["guid"]
    return guid


def booking(sequence: str, shots: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "set": {"Name": "Booking 456 - Dupont", "ProfileName": "Default.v2y", "Tag": "booking_456"},
        "target": {
            "RefGuidBaseSequence": sequence,
            "TargetName": "M42",
            "RAJ2000": "05:35:17.3",
            "DECJ2000": "-05:23:28",
            "Status": 1,
            "Priority": 3,
            "C_Mask": "BK",
            "C_AltMin": 30,
            "C_MoonDown": True,
            "DateCreation": "2026-11-27T18:00:00Z",
        },
        "shots": shots
        or [
            {"Label": "L", "FilterIndex": 0, "Num": 2, "Exposure": 0.2},
            {"Label": "R", "FilterIndex": 1, "Num": 1, "Exposure": 0.2},
        ],
    }


def test_cas_1_a_booking_from_plan_to_deletion(proxy: Proxy) -> None:
    """Plan the day before, activate at the slot, see the shots done and their JPEG, deactivate, delete."""
    code, planned = proxy.call("POST", "/api/robotarget/plans", booking(base_sequence(proxy)))
    assert code == 201, planned
    set_guid, target_guid = planned["setGuid"], planned["targetGuid"]
    code, listed = proxy.call("GET", f"/api/robotarget/targets?setGuid={set_guid}")
    [target] = listed["targets"]
    assert target["guid"] == target_guid and target["status"] == 1
    assert abs(target["raj2000"] - (5 + 35 / 60 + 17.3 / 3600)) < 1e-9 and target["cmask"] == "BK"
    code, shots = proxy.call("GET", f"/api/robotarget/targets/{target_guid}/shots")
    assert [shot["guid"] for shot in shots["shots"]] == planned["shotGuids"]

    events: list[VoyagerEvent] = []
    subscription = proxy.link.events.subscribe(events.append)
    code, _ = proxy.call("POST", f"/api/robotarget/targets/{target_guid}/activate")
    assert code == 200
    fits = lambda: [event for event in events if event.name == "NewFITReady"]  # noqa: E731
    proxy.observatory.until(lambda: len(fits()) >= 3, "three NewFITReady")
    assert all(event.fields["SeqTarget"] == "M42" for event in fits()[:3])
    subscription.cancel()

    code, sessions = proxy.call("GET", f"/api/robotarget/targets/{target_guid}/sessions")
    [session] = sessions["sessions"]
    code, by_session = proxy.call("GET", f"/api/robotarget/sessions/{session['guid']}/shots-done")
    assert len(by_session["shotsDone"]["done"]) == 3 and by_session["shotsDone"]["deleted"] == []
    code, by_set = proxy.call("GET", f"/api/robotarget/sets/{set_guid}/shots-done")
    assert len(by_set["shotsDone"]["done"]) == 3
    code, since = proxy.call("GET", f"/api/robotarget/shots-done?since=2026-01-01T00:00:00Z&setGuid={set_guid}")
    assert code == 200 and {shot["guid"] for shot in since["shotsDone"]["done"]} == {
        shot["guid"] for shot in by_set["shotsDone"]["done"]
    }
    code, jpeg = proxy.call("GET", f"/api/robotarget/shots-done/{by_set['shotsDone']['done'][0]['guid']}/jpeg")
    assert code == 200 and jpeg[:2] == b"\xff\xd8"

    code, _ = proxy.call("POST", f"/api/robotarget/targets/{target_guid}/deactivate")
    assert code == 200
    code, found = proxy.call("GET", f"/api/robotarget/targets/{target_guid}")
    assert code == 200 and found["target"]["status"] == 1
    code, _ = proxy.call("DELETE", f"/api/robotarget/plans/{set_guid}")
    assert code == 200
    code, sets = proxy.call("GET", "/api/robotarget/sets")
    assert sets["sets"] == []
    code, gone = proxy.call("GET", f"/api/robotarget/targets/{target_guid}")
    assert code == 404 and gone["error"]["code"] == "unknown_target"


def test_plan_failing_at_a_shot_leaves_nothing_behind(proxy: Proxy) -> None:
    """A shot Voyager refuses (its GUID is taken) rolls back the set, target and earlier shots."""
    sequence = base_sequence(proxy)
    code, first = proxy.call("POST", "/api/robotarget/plans", booking(sequence))
    assert code == 201
    taken = first["shotGuids"][0]
    shots = [{"Num": 1, "Exposure": 10}, {"GuidShot": taken, "Num": 1, "Exposure": 10}]
    code, failed = proxy.call("POST", "/api/robotarget/plans", booking(sequence, shots))
    assert code == 502, failed
    error = failed["error"]
    assert error["code"] == "plan_failed" and error["step"] == "AddShot" and error["shotIndex"] == 1
    assert "GUID already used" in error["reason"] and error["rolledBack"] is True
    code, sets = proxy.call("GET", "/api/robotarget/sets")
    assert [found["guid"] for found in sets["sets"]] == [first["setGuid"]]
    code, left = proxy.call("GET", f"/api/robotarget/targets/{first['targetGuid']}/shots")
    assert [shot["guid"] for shot in left["shots"]] == first["shotGuids"]
    assert proxy.observatory.simulator.robotarget.targets.keys() == {first["targetGuid"]}


def test_crud_of_sets_targets_and_shots(proxy: Proxy) -> None:
    """Each object on its own: create with a generated GUID, update, enable/disable, remove."""
    code, created = proxy.call("POST", "/api/robotarget/sets", {"Name": "Tonight", "ProfileName": "Default.v2y"})
    assert code == 201
    set_guid = created["guid"]
    assert (proxy.call("PUT", f"/api/robotarget/sets/{set_guid}", {"Name": "Tonight (M31)", "Status": 1}))[0] == 200
    assert (proxy.call("POST", f"/api/robotarget/sets/{set_guid}/enable"))[0] == 200
    code, sets = proxy.call("GET", "/api/robotarget/sets?profile=Default.v2y")
    assert sets["sets"][0]["setname"] == "Tonight (M31)" and sets["sets"][0]["status"] == 0
    target = {
        "RefGuidSet": set_guid,
        "RefGuidBaseSequence": base_sequence(proxy),
        "TargetName": "M31",
        "RAJ2000": 0.7123,
        "DECJ2000": 41.269,
    }
    code, made = proxy.call("POST", "/api/robotarget/targets", target)
    assert code == 201
    assert (proxy.call("PUT", f"/api/robotarget/targets/{made['guid']}", {**target, "Priority": 4}))[0] == 200
    code, shot = proxy.call("POST", "/api/robotarget/shots", {"RefGuidTarget": made["guid"], "Num": 5, "Exposure": 120})
    assert code == 201
    update = {"RefGuidTarget": made["guid"], "Num": 10, "Exposure": 60}
    assert (proxy.call("PUT", f"/api/robotarget/shots/{shot['guid']}", update))[0] == 200
    code, shots = proxy.call("GET", f"/api/robotarget/targets/{made['guid']}/shots")
    assert shots["shots"][0]["num"] == 10 and shots["shots"][0]["exposure"] == 60
    assert (proxy.call("DELETE", f"/api/robotarget/shots/{shot['guid']}"))[0] == 200
    assert (proxy.call("DELETE", f"/api/robotarget/targets/{made['guid']}"))[0] == 200
    code, missing = proxy.call("DELETE", f"/api/robotarget/targets/{made['guid']}")
    assert code == 502 and "not found" in missing["error"]["message"].lower()
    assert (proxy.call("DELETE", f"/api/robotarget/sets/{set_guid}"))[0] == 200
    code, runs = proxy.call("GET", "/api/robotarget/runs?days=1")
    assert code == 200 and runs["runs"] == []
    code, since = proxy.call("GET", "/api/robotarget/shots-done?since=1700000000.5")
    assert code == 200 and since["shotsDone"] == {"done": [], "deleted": []}
    code, refused = proxy.call("GET", "/api/robotarget/shots-done?since=last-week")
    assert code == 400 and refused["error"]["field"] == "since"


def test_bad_bodies_are_refused_before_voyager_hears_of_them(proxy: Proxy) -> None:
    """400 naming the field; the simulator's database is untouched."""
    sequence = base_sequence(proxy)
    cases = [
        ({**booking(sequence), "target": {**booking(sequence)["target"], "RAJ2000": "25:00:00"}}, "target.RAJ2000"),
        ({**booking(sequence), "target": {**booking(sequence)["target"], "C_Mask": "BI"}}, "target.C_Mask"),
        ({**booking(sequence), "target": {**booking(sequence)["target"], "C_Mask": "BKL"}}, "target.C_MoonPhaseMin"),
        ({**booking(sequence), "shots": [{"Num": 1, "Exposure": 0}]}, "shots[0].Exposure"),
        ({**booking(sequence), "shots": [{"Num": 1, "Exposure": 1, "Gain": -5}]}, "shots[0].Gain"),
        ({**booking(sequence), "set": {"Name": "x", "ProfileName": "Default.v2y", "Guid": "not-a-guid"}}, "set.Guid"),
    ]
    for body, field in cases:
        code, answer = proxy.call("POST", "/api/robotarget/plans", body)
        assert code == 400 and answer["error"]["field"] == field, (field, answer)
    code, answer = proxy.call("GET", "/api/robotarget/targets?setGuid=nope")
    assert code == 400 and answer["error"]["field"] == "setGuid"
    assert proxy.observatory.simulator.robotarget.sets == {}


def test_reconnect_enters_manager_mode_again(proxy: Proxy) -> None:
    """A Voyager restart means a new session key: manager mode again, and MACs signed with the new key."""
    proxy.observatory.kill()
    until_state(proxy, "waiting")
    code, answer = proxy.call("GET", "/api/robotarget/sets")
    assert code == 503 and answer["error"]["code"] == "robotarget_unavailable"
    proxy.observatory.start()
    until_state(proxy, "ready")
    code, created = proxy.call("POST", "/api/robotarget/sets", {"Name": "After restart", "ProfileName": "Default.v2y"})
    assert code == 201, created


def test_wrong_mac_words_make_robotarget_unavailable_and_the_rest_works() -> None:
    """Voyager refuses manager mode: RoboTarget says error with the reason; no secret in logs or answers."""
    logged: list[str] = []

    @provider(ILogObserver)
    def observer(event: LogEvent) -> None:
        logged.append(formatEvent(event))

    globalLogPublisher.addObserver(observer)
    try:
        started = start(words=("w1-AAAA", "w2-BBBB", "w3-CCCC", "wrong"))
        until_state(started, "error")
        code, status = started.call("GET", "/api/robotarget/status")
        assert "Hash not valid" in status["robotarget"]["reason"]
        code, health = started.call("GET", "/health")
        assert health["robotarget"]["state"] == "error" and health["voyager"]["ready"] is True
        code, refused = started.call("POST", "/api/robotarget/plans", booking("6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b01"))
        assert code == 503 and refused["error"]["code"] == "robotarget_unavailable"
        code, state = started.call("GET", "/api/dashboard/state")
        assert code == 200 and state["state"]["connection"]["state"] == "ready"
        answers = json.dumps([status, health, refused])
    finally:
        globalLogPublisher.removeObserver(observer)
        started.observatory.stop()
    assert any("manager mode refused" in line for line in logged)
    for secret in (SECRET, MAC_KEY, "w4-DDDD", "wrong"):
        assert not any(secret in line for line in logged) and secret not in answers


def test_writes_need_the_control_role(proxy: Proxy) -> None:
    """Every RoboTarget write of the OpenAPI document: 401 without a key, 403 with a read key; reads take a read key."""
    document = json.loads((Path(__file__).parents[2] / "voyager_proxy/rest/openapi.json").read_text())
    any_guid = "0697f2f9-24e4-4850-84e9-18ea28b05fe9"
    writes = reads = 0
    for path, item in document["paths"].items():
        if not path.startswith("/api/robotarget/"):
            continue
        for method in item:
            url = path.replace("{guid}", any_guid)
            if method == "get":
                code, _ = proxy.call("GET", url, key=READ)
                assert code not in (401, 403), url
                reads += 1
                continue
            assert (proxy.call(method.upper(), url, {}, key=None))[0] == 401, url
            code, answer = proxy.call(method.upper(), url, {}, key=READ)
            assert code == 403 and answer["error"]["code"] == "forbidden", url
            writes += 1
    assert (writes, reads) == (15, 12)
    assert proxy.observatory.simulator.robotarget.sets == {}


def test_a_repeated_plan_is_answered_once_and_a_taken_set_guid_is_a_conflict(proxy: Proxy) -> None:
    """Idempotency-Key replays the first answer (422 with another body); a plan whose set GUID exists gets 409 and changes nothing."""
    body = booking(base_sequence(proxy))
    code, first = proxy.call("POST", "/api/robotarget/plans", body, **{"Idempotency-Key": "booking-456"})
    code_again, again = proxy.call("POST", "/api/robotarget/plans", body, **{"Idempotency-Key": "booking-456"})
    assert (code, code_again) == (201, 201) and again == first
    assert len(proxy.observatory.simulator.robotarget.sets) == 1
    other = {**body, "set": {**body["set"], "Name": "another booking"}}
    code, refused = proxy.call("POST", "/api/robotarget/plans", other, **{"Idempotency-Key": "booking-456"})
    assert code == 422 and refused["error"]["code"] == "idempotency_key_reused"
    code, refused = proxy.call("POST", "/api/telescope/park", None, **{"Idempotency-Key": "booking-456"})
    assert code == 422 and refused["error"]["code"] == "idempotency_key_reused"  # a command route is another route
    assert len(proxy.observatory.simulator.robotarget.sets) == 1
    taken = {**body, "set": {**body["set"], "Guid": first["setGuid"]}}
    code, conflict = proxy.call("POST", "/api/robotarget/plans", taken)
    assert code == 409 and conflict["error"]["code"] == "plan_conflict"
    assert proxy.observatory.simulator.robotarget.targets.keys() == {first["targetGuid"]}


def test_a_key_narrowed_to_other_methods_may_neither_read_nor_write(proxy: Proxy) -> None:
    """A key narrowed to RemoteCameraShot may not list RoboTarget sets nor add one."""
    code, refused = proxy.call("GET", "/api/robotarget/sets", key=NARROW)
    assert code == 403 and "RemoteRoboTargetGetSet" in refused["error"]["message"]
    code, refused = proxy.call("POST", "/api/robotarget/sets", {"Name": "x", "ProfileName": "Default.v2y"}, key=NARROW)
    assert code == 403 and "RemoteRoboTargetAddSet" in refused["error"]["message"]


def test_a_plan_goes_on_when_the_http_client_leaves(proxy: Proxy) -> None:
    """Laravel's timeout fires mid-plan: the plan still ends whole, with every shot."""
    proxy.observatory.simulator.faults.result_delay = 0.1
    shots = [{"Num": 1, "Exposure": 60} for _ in range(5)]
    observatory = proxy.observatory
    assert observatory.http is not None
    # StubTreq sets treq's functions on itself with setattr, so its type names none of them.
    request = observatory.http.post(  # type: ignore[attr-defined]
        f"{BASE}/api/robotarget/plans", json=booking(base_sequence(proxy), shots), headers={"X-API-Key": KEY}
    )
    database = observatory.simulator.robotarget
    observatory.until(lambda: bool(database.sets), "AddSet")
    request.cancel()
    with pytest.raises(ResponseNeverReceived):  # the client gave up; the plan goes on
        observatory.run(request)
    observatory.until(lambda: len(database.shots) == 5, "the five shots")


def test_a_set_voyager_could_not_remove_is_removed_once_it_is_back(proxy: Proxy) -> None:
    """Voyager vanishes mid-plan: the answer says rolledBack false, and the set goes when RoboTarget is ready again."""
    database = proxy.observatory.simulator.robotarget
    proxy.observatory.simulator.faults.result_delay = 0.1
    shots = [{"Num": 1, "Exposure": 60} for _ in range(5)]
    request = Deferred.fromCoroutine(
        proxy.observatory.call_async("POST", "/api/robotarget/plans", booking(base_sequence(proxy), shots), KEY)
    )
    proxy.observatory.until(lambda: bool(database.targets), "AddTarget")
    proxy.observatory.kill()
    code, failed, _ = proxy.observatory.run(request)
    assert code == 502 and failed["error"]["rolledBack"] is False
    set_guid = failed["error"]["setGuid"]
    assert set_guid in database.sets
    code, status = proxy.call("GET", "/api/robotarget/status")
    assert status["robotarget"]["pendingRemovals"] == [set_guid]
    proxy.observatory.simulator.faults.result_delay = 0
    proxy.observatory.start()
    proxy.observatory.until(lambda: set_guid not in database.sets, "the set's removal")
    code, status = proxy.call("GET", "/api/robotarget/status")
    assert status["robotarget"]["pendingRemovals"] == []


def test_dashboards_and_recent_events_never_see_robotarget_answers(proxy: Proxy) -> None:
    """Customers' bookings and JPEGs stay between Laravel and Voyager."""
    code, _ = proxy.call("POST", "/api/robotarget/plans", booking(base_sequence(proxy)))
    assert code == 201
    code, recent = proxy.call("GET", "/api/events/recent?type=RemoteActionResult")
    # Only the session's own mode switches (dashboard mode) are public; they carry no ParamRet.
    assert code == 200 and all(e["data"]["ParamRet"] == {} for e in recent["events"]), recent["events"]
