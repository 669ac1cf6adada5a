"""RoboTarget through REST, against the simulator's RoboTarget database over loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import attrs
import pytest
import treq

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.logger import globalLogPublisher, formatEvent
from twisted.web.server import Site

from tests.integration.conftest import RunningSimulator, make_link
from tests.support.waiting import EventRecorder, ready
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings, RoboTargetSettings, WebSocketSettings
from voyager_proxy.web import build_root

KEY = "robotarget-control-key-0123456789"
READ = "robotarget-read-key-0123456789ab"
NARROW = "robotarget-narrow-key-0123456789"
SECRET, MAC_KEY, WORDS = "observatory-secret", "MACKEY-1234-ABCD", ("w1-AAAA", "w2-BBBB", "w3-CCCC", "w4-DDDD")


@attrs.define
class Proxy:
    base: str
    link: Any
    simulator: RunningSimulator

    async def call(
        self, method: str, path: str, body: Any = None, key: str | None = KEY, **headers: str
    ) -> tuple[int, Any]:
        headers = {**headers, "X-API-Key": key} if key else headers
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["data"] = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        response = await treq.request(method, self.base + path, headers=headers, **kwargs)
        content = await response.content()
        kind = response.headers.getRawHeaders("Content-Type", [""])[0]
        return response.code, json.loads(content) if kind.startswith("application/json") else content

    async def robotarget_state(self) -> str:
        return (await self.call("GET", "/api/robotarget/status"))[1]["robotarget"]["state"]


async def start(simulator: RunningSimulator, words: tuple[str, ...] = WORDS) -> tuple[Proxy, Any]:
    link = make_link(simulator)
    api = ApiSettings(
        keys=(f"laravel:control:{KEY}", f"dashboard:read:{READ}", f"camera:control:{NARROW}:RemoteCameraShot")
    )
    robotarget = RoboTargetSettings(secret=SECRET, mac_key=MAC_KEY, mac_words=words)
    root = build_root(link, reactor, api, KeyRing(parse_keys(api.keys)), WebSocketSettings(), robotarget)
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    link.startService()
    await ready(link)
    return Proxy(f"http://127.0.0.1:{port.getHost().port}", link, simulator), port


@pytest_twisted.async_yield_fixture
async def licensed() -> AsyncIterator[RunningSimulator]:
    running = RunningSimulator(robotarget_secret=SECRET, robotarget_mac_key=MAC_KEY, robotarget_mac_words=WORDS)
    running.start()
    yield running
    await running.stop()


@pytest_twisted.async_yield_fixture
async def proxy(licensed: RunningSimulator) -> AsyncIterator[Proxy]:
    started, port = await start(licensed)
    await until_state(started, "ready")
    yield started
    await started.link.stopService()
    await port.stopListening()


async def until(condition: Callable[[], Awaitable[bool]], what: str, attempts: int = 200) -> None:
    """Wait for what happens over real sockets, checking every 50 ms, with a deadline."""
    for _ in range(attempts):
        if await condition():
            return
        await deferLater(reactor, 0.05, lambda: None)
    raise AssertionError(f"gave up waiting for {what}")


async def until_state(proxy: Proxy, state: str) -> None:
    """RoboTarget's state as REST shows it; manager mode takes one round trip after the session is ready."""

    async def reached() -> bool:
        return await proxy.robotarget_state() == state

    await until(reached, f"RoboTarget {state}")


async def base_sequence(proxy: Proxy) -> str:
    code, body = await proxy.call("GET", "/api/robotarget/base-sequences?profile=Default.v2y")
    assert code == 200 and body["baseSequences"]
    return body["baseSequences"][0]["guid"]


def booking(sequence: str, shots: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "set": {"Name": "Booking 456 - Dupont", "ProfileName": "Default.v2y", "Tag": "booking_456"},
        "target": {
            "RefGuidBaseSequence": sequence, "TargetName": "M42", "RAJ2000": "05:35:17.3", "DECJ2000": "-05:23:28",
            "Status": 1, "Priority": 3, "C_Mask": "BK", "C_AltMin": 30, "C_MoonDown": True,
            "DateCreation": "2026-11-27T18:00:00Z",
        },
        "shots": shots or [
            {"Label": "L", "FilterIndex": 0, "Num": 2, "Exposure": 0.2},
            {"Label": "R", "FilterIndex": 1, "Num": 1, "Exposure": 0.2},
        ],
    }


@pytest_twisted.ensureDeferred
async def test_cas_1_a_booking_from_plan_to_deletion(proxy: Proxy) -> None:
    """Plan the day before, activate at the slot, see the shots done and their JPEG, deactivate, delete."""
    code, planned = await proxy.call("POST", "/api/robotarget/plans", booking(await base_sequence(proxy)))
    assert code == 201, planned
    set_guid, target_guid = planned["setGuid"], planned["targetGuid"]
    code, listed = await proxy.call("GET", f"/api/robotarget/targets?setGuid={set_guid}")
    [target] = listed["targets"]
    assert target["guid"] == target_guid and target["status"] == 1
    assert abs(target["raj2000"] - (5 + 35 / 60 + 17.3 / 3600)) < 1e-9 and target["cmask"] == "BK"
    code, shots = await proxy.call("GET", f"/api/robotarget/targets/{target_guid}/shots")
    assert [shot["guid"] for shot in shots["shots"]] == planned["shotGuids"]

    recorder = EventRecorder(proxy.link)
    code, _ = await proxy.call("POST", f"/api/robotarget/targets/{target_guid}/activate")
    assert code == 200
    for _ in range(3):
        fits = await recorder.next("NewFITReady")
        assert fits.fields["SeqTarget"] == "M42"
    recorder.stop()

    code, sessions = await proxy.call("GET", f"/api/robotarget/targets/{target_guid}/sessions")
    [session] = sessions["sessions"]
    code, by_session = await proxy.call("GET", f"/api/robotarget/sessions/{session['guid']}/shots-done")
    assert len(by_session["shotsDone"]["done"]) == 3 and by_session["shotsDone"]["deleted"] == []
    code, by_set = await proxy.call("GET", f"/api/robotarget/sets/{set_guid}/shots-done")
    assert len(by_set["shotsDone"]["done"]) == 3
    code, since = await proxy.call("GET", f"/api/robotarget/shots-done?since=2026-01-01T00:00:00Z&setGuid={set_guid}")
    assert code == 200 and {shot["guid"] for shot in since["shotsDone"]["done"]} == {shot["guid"] for shot in by_set["shotsDone"]["done"]}
    code, jpeg = await proxy.call("GET", f"/api/robotarget/shots-done/{by_set['shotsDone']['done'][0]['guid']}/jpeg")
    assert code == 200 and jpeg[:2] == b"\xff\xd8"

    code, _ = await proxy.call("POST", f"/api/robotarget/targets/{target_guid}/deactivate")
    assert code == 200
    code, found = await proxy.call("GET", f"/api/robotarget/targets/{target_guid}")
    assert code == 200 and found["target"]["status"] == 1
    code, _ = await proxy.call("DELETE", f"/api/robotarget/plans/{set_guid}")
    assert code == 200
    code, sets = await proxy.call("GET", "/api/robotarget/sets")
    assert sets["sets"] == []
    code, gone = await proxy.call("GET", f"/api/robotarget/targets/{target_guid}")
    assert code == 404 and gone["error"]["code"] == "unknown_target"


@pytest_twisted.ensureDeferred
async def test_plan_failing_at_a_shot_leaves_nothing_behind(proxy: Proxy) -> None:
    """A shot Voyager refuses (its GUID is taken) rolls back the set, target and earlier shots."""
    sequence = await base_sequence(proxy)
    code, first = await proxy.call("POST", "/api/robotarget/plans", booking(sequence))
    assert code == 201
    taken = first["shotGuids"][0]
    shots = [{"Num": 1, "Exposure": 10}, {"GuidShot": taken, "Num": 1, "Exposure": 10}]
    code, failed = await proxy.call("POST", "/api/robotarget/plans", booking(sequence, shots))
    assert code == 502, failed
    error = failed["error"]
    assert error["code"] == "plan_failed" and error["step"] == "AddShot" and error["shotIndex"] == 1
    assert "GUID already used" in error["reason"] and error["rolledBack"] is True
    code, sets = await proxy.call("GET", "/api/robotarget/sets")
    assert [found["guid"] for found in sets["sets"]] == [first["setGuid"]]
    code, left = await proxy.call("GET", f"/api/robotarget/targets/{first['targetGuid']}/shots")
    assert [shot["guid"] for shot in left["shots"]] == first["shotGuids"]
    assert proxy.simulator.simulator.robotarget.targets.keys() == {first["targetGuid"]}


@pytest_twisted.ensureDeferred
async def test_crud_of_sets_targets_and_shots(proxy: Proxy) -> None:
    """Each object on its own: create with a generated GUID, update, enable/disable, remove."""
    code, created = await proxy.call("POST", "/api/robotarget/sets", {"Name": "Tonight", "ProfileName": "Default.v2y"})
    assert code == 201
    set_guid = created["guid"]
    assert (await proxy.call("PUT", f"/api/robotarget/sets/{set_guid}", {"Name": "Tonight (M31)", "Status": 1}))[0] == 200
    assert (await proxy.call("POST", f"/api/robotarget/sets/{set_guid}/enable"))[0] == 200
    code, sets = await proxy.call("GET", "/api/robotarget/sets?profile=Default.v2y")
    assert sets["sets"][0]["setname"] == "Tonight (M31)" and sets["sets"][0]["status"] == 0
    # Disabled (Status 1), so the simulator's scheduler never starts a run while the test goes on.
    target = {"RefGuidSet": set_guid, "RefGuidBaseSequence": await base_sequence(proxy), "TargetName": "M31",
              "RAJ2000": 0.7123, "DECJ2000": 41.269, "Status": 1}
    code, made = await proxy.call("POST", "/api/robotarget/targets", target)
    assert code == 201
    assert (await proxy.call("PUT", f"/api/robotarget/targets/{made['guid']}", {**target, "Priority": 4}))[0] == 200
    code, shot = await proxy.call("POST", "/api/robotarget/shots", {"RefGuidTarget": made["guid"], "Num": 5, "Exposure": 120})
    assert code == 201
    update = {"RefGuidTarget": made["guid"], "Num": 10, "Exposure": 60}
    assert (await proxy.call("PUT", f"/api/robotarget/shots/{shot['guid']}", update))[0] == 200
    code, shots = await proxy.call("GET", f"/api/robotarget/targets/{made['guid']}/shots")
    assert shots["shots"][0]["num"] == 10 and shots["shots"][0]["exposure"] == 60
    assert (await proxy.call("DELETE", f"/api/robotarget/shots/{shot['guid']}"))[0] == 200
    assert (await proxy.call("DELETE", f"/api/robotarget/targets/{made['guid']}"))[0] == 200
    code, missing = await proxy.call("DELETE", f"/api/robotarget/targets/{made['guid']}")
    assert code == 502 and "not found" in missing["error"]["message"].lower()
    assert (await proxy.call("DELETE", f"/api/robotarget/sets/{set_guid}"))[0] == 200
    code, runs = await proxy.call("GET", "/api/robotarget/runs?days=1")
    assert code == 200 and runs["runs"] == []
    code, since = await proxy.call("GET", "/api/robotarget/shots-done?since=1700000000.5")
    assert code == 200 and since["shotsDone"] == {"done": [], "deleted": []}
    code, refused = await proxy.call("GET", "/api/robotarget/shots-done?since=last-week")
    assert code == 400 and refused["error"]["field"] == "since"


@pytest_twisted.ensureDeferred
async def test_bad_bodies_are_refused_before_voyager_hears_of_them(proxy: Proxy) -> None:
    """400 naming the field; the simulator's database is untouched."""
    sequence = await base_sequence(proxy)
    cases = [
        ({**booking(sequence), "target": {**booking(sequence)["target"], "RAJ2000": "25:00:00"}}, "target.RAJ2000"),
        ({**booking(sequence), "target": {**booking(sequence)["target"], "C_Mask": "BI"}}, "target.C_Mask"),
        ({**booking(sequence), "target": {**booking(sequence)["target"], "C_Mask": "BKL"}}, "target.C_MoonPhaseMin"),
        ({**booking(sequence), "shots": [{"Num": 1, "Exposure": 0}]}, "shots[0].Exposure"),
        ({**booking(sequence), "shots": [{"Num": 1, "Exposure": 1, "Gain": -5}]}, "shots[0].Gain"),
        ({**booking(sequence), "set": {"Name": "x", "ProfileName": "Default.v2y", "Guid": "not-a-guid"}}, "set.Guid"),
    ]
    for body, field in cases:
        code, answer = await proxy.call("POST", "/api/robotarget/plans", body)
        assert code == 400 and answer["error"]["field"] == field, (field, answer)
    code, answer = await proxy.call("GET", "/api/robotarget/targets?setGuid=nope")
    assert code == 400 and answer["error"]["field"] == "setGuid"
    assert proxy.simulator.simulator.robotarget.sets == {}


@pytest_twisted.ensureDeferred
async def test_reconnect_enters_manager_mode_again(proxy: Proxy) -> None:
    """A Voyager restart means a new session key: manager mode again, and MACs signed with the new key."""
    await proxy.simulator.kill()
    await until_state(proxy, "waiting")
    code, answer = await proxy.call("GET", "/api/robotarget/sets")
    assert code == 503 and answer["error"]["code"] == "robotarget_unavailable"
    proxy.simulator.start()
    await until_state(proxy, "ready")
    code, created = await proxy.call("POST", "/api/robotarget/sets", {"Name": "After restart", "ProfileName": "Default.v2y"})
    assert code == 201, created


@pytest_twisted.ensureDeferred
async def test_wrong_mac_words_make_robotarget_unavailable_and_the_rest_works(licensed: RunningSimulator) -> None:
    """Voyager refuses manager mode: RoboTarget says error with the reason; no secret in logs or answers."""
    logged: list[str] = []
    observer = lambda event: logged.append(formatEvent(event))  # noqa: E731
    globalLogPublisher.addObserver(observer)
    started, port = await start(licensed, words=("w1-AAAA", "w2-BBBB", "w3-CCCC", "wrong"))
    try:
        await until_state(started, "error")
        code, status = await started.call("GET", "/api/robotarget/status")
        assert "Hash not valid" in status["robotarget"]["reason"]
        code, health = await started.call("GET", "/health")
        assert health["robotarget"]["state"] == "error" and health["voyager"]["ready"] is True
        code, refused = await started.call("POST", "/api/robotarget/plans", booking("6c0f7a52-3d1e-4b8a-9f21-5a0c3e7d1b01"))
        assert code == 503 and refused["error"]["code"] == "robotarget_unavailable"
        code, state = await started.call("GET", "/api/dashboard/state")
        assert code == 200 and state["state"]["connection"]["state"] == "ready"
        answers = json.dumps([status, health, refused])
    finally:
        globalLogPublisher.removeObserver(observer)
        await started.link.stopService()
        await port.stopListening()
    assert any("manager mode refused" in line for line in logged)
    for secret in (SECRET, MAC_KEY, "w4-DDDD", "wrong"):
        assert not any(secret in line for line in logged) and secret not in answers


@pytest_twisted.ensureDeferred
async def test_writes_need_the_control_role(proxy: Proxy) -> None:
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
                code, _ = await proxy.call("GET", url, key=READ)
                assert code not in (401, 403), url
                reads += 1
                continue
            assert (await proxy.call(method.upper(), url, {}, key=None))[0] == 401, url
            code, answer = await proxy.call(method.upper(), url, {}, key=READ)
            assert code == 403 and answer["error"]["code"] == "forbidden", url
            writes += 1
    assert (writes, reads) == (15, 12)
    assert proxy.simulator.simulator.robotarget.sets == {}


@pytest_twisted.ensureDeferred
async def test_a_repeated_plan_is_answered_once_and_a_taken_set_guid_is_a_conflict(proxy: Proxy) -> None:
    """Idempotency-Key replays the first answer; a plan whose set GUID exists gets 409 and changes nothing."""
    body = booking(await base_sequence(proxy))
    code, first = await proxy.call("POST", "/api/robotarget/plans", body, **{"Idempotency-Key": "booking-456"})
    code_again, again = await proxy.call("POST", "/api/robotarget/plans", body, **{"Idempotency-Key": "booking-456"})
    assert (code, code_again) == (201, 201) and again == first
    assert len(proxy.simulator.simulator.robotarget.sets) == 1
    taken = {**body, "set": {**body["set"], "Guid": first["setGuid"]}}
    code, conflict = await proxy.call("POST", "/api/robotarget/plans", taken)
    assert code == 409 and conflict["error"]["code"] == "plan_conflict"
    assert proxy.simulator.simulator.robotarget.targets.keys() == {first["targetGuid"]}


@pytest_twisted.ensureDeferred
async def test_a_key_narrowed_to_other_methods_may_read_but_not_write(proxy: Proxy) -> None:
    """A control key narrowed to RemoteCameraShot lists sets (200) but may not create one (403 naming RemoteRoboTargetAddSet)."""
    code, _ = await proxy.call("GET", "/api/robotarget/sets", key=NARROW)
    assert code == 200
    code, refused = await proxy.call("POST", "/api/robotarget/sets", {"Name": "x", "ProfileName": "Default.v2y"}, key=NARROW)
    assert code == 403 and "RemoteRoboTargetAddSet" in refused["error"]["message"]


@pytest_twisted.ensureDeferred
async def test_a_plan_goes_on_when_the_http_client_leaves(proxy: Proxy) -> None:
    """Laravel's timeout fires mid-plan: the plan still ends whole, with every shot."""
    proxy.simulator.simulator.faults.result_delay = 0.1
    shots = [{"Num": 1, "Exposure": 60} for _ in range(5)]
    request = treq.post(f"{proxy.base}/api/robotarget/plans", json=booking(await base_sequence(proxy), shots),
                        headers={"X-API-Key": KEY})
    database = proxy.simulator.simulator.robotarget

    async def set_created() -> bool:
        return bool(database.sets)

    await until(set_created, "AddSet")
    request.cancel()
    with pytest.raises(Exception):
        await request

    async def all_shots() -> bool:
        return len(database.shots) == 5

    await until(all_shots, "the five shots")


@pytest_twisted.ensureDeferred
async def test_a_set_voyager_could_not_remove_is_removed_once_it_is_back(proxy: Proxy) -> None:
    """Voyager vanishes mid-plan: the answer says rolledBack false, and the set goes when RoboTarget is ready again."""
    database = proxy.simulator.simulator.robotarget
    proxy.simulator.simulator.faults.result_delay = 0.1
    shots = [{"Num": 1, "Exposure": 60} for _ in range(5)]
    request = Deferred.fromCoroutine(proxy.call("POST", "/api/robotarget/plans", booking(await base_sequence(proxy), shots)))

    async def target_created() -> bool:
        return bool(database.targets)

    await until(target_created, "AddTarget")
    await proxy.simulator.kill()
    code, failed = await request
    assert code == 502 and failed["error"]["rolledBack"] is False
    set_guid = failed["error"]["setGuid"]
    assert set_guid in database.sets
    code, status = await proxy.call("GET", "/api/robotarget/status")
    assert status["robotarget"]["pendingRemovals"] == [set_guid]
    proxy.simulator.simulator.faults.result_delay = 0
    proxy.simulator.start()

    async def removed() -> bool:
        return set_guid not in database.sets

    await until(removed, "the set's removal")
    code, status = await proxy.call("GET", "/api/robotarget/status")
    assert status["robotarget"]["pendingRemovals"] == []


@pytest_twisted.ensureDeferred
async def test_dashboards_and_recent_events_never_see_robotarget_answers(proxy: Proxy) -> None:
    """Customers' bookings and JPEGs stay between Laravel and Voyager."""
    code, _ = await proxy.call("POST", "/api/robotarget/plans", booking(await base_sequence(proxy)))
    assert code == 201
    code, recent = await proxy.call("GET", "/api/events/recent?type=RemoteActionResult")
    # Only the session's own mode switches (dashboard mode) are public; they carry no ParamRet.
    assert code == 200 and all(e["data"]["ParamRet"] == {} for e in recent["events"]), recent["events"]
