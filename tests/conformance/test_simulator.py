"""
The simulator against Voyager's own documents, as the protocol catalogue records them.

Every method the simulator implements: its param table equals the catalogue's,
its answers have the documented shape and completion, it refuses params the
documents do not allow, and the documents' example requests are accepted.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.conformance.coverage import record
from tests.support import catalogue
from tests.unit.simulator.conftest import START
from tests.unit.simulator.test_robotarget import (
    LRGB,
    MAC_KEY,
    SECRET,
    SET,
    SHOT_L,
    TARGET,
    WORDS,
    Manager,
    add_set,
    add_shot,
    add_target,
    enable,
    ok,
)
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.simulator.dispatch import HANDLERS
from voyager_proxy.simulator.params import TABLE
from voyager_proxy.simulator.robotarget import command_mac, manager_hash

IMPLEMENTED = sorted(HANDLERS)
USER, PASSWORD = "admin", "password"  # the credentials of AuthenticateUserBase's example
LOGIN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
NEW_GUID = "d4d4d4d4-0000-4000-8000-000000000001"
RUN_SECONDS = 70  # longer than any simulated action (RemoteSequence takes 60 s)

# Documented params for each method whose example cannot serve (it names objects
# the simulated database does not hold, or does not parse).
SCENARIOS: dict[str, dict[str, Any]] = {
    "RemoteRoboTargetGetSet": {"ProfileName": ""},
    "RemoteRoboTargetGetBaseSequence": {"ProfileName": ""},
    "RemoteRoboTargetGetTarget": {"RefGuidSet": ""},
    "RemoteRoboTargetGetShot": {"RefGuidTarget": TARGET},
    "RemoteRoboTargetGetRunList": {"ProfileName": "", "Days": 0},
    "RemoteRoboTargetGetSessionListByTarget": {"RefGuidTarget": TARGET},
    "RemoteRoboTargetGetShotDoneBySetList": {"RefGuidSet": SET},
    "RemoteRoboTargetGetShotDoneSinceList": {"Since": 0, "SinceUTC": 0, "RefGuidSet": "", "RefGuidTarget": TARGET},
    "RemoteRoboTargetAddSet": {
        "Guid": NEW_GUID,
        "Name": "Comets",
        "ProfileName": "Default.v2y",
        "IsDefault": False,
        "Tag": "",
        "Status": 0,
        "Note": "",
    },
    "RemoteRoboTargetUpdateSet": {"RefGuidSet": SET, "Name": "Galaxies 2", "Status": 0, "Tag": "", "Note": ""},
    "RemoteRoboTargetRemoveSet": {"RefGuidSet": SET},
    "RemoteRoboTargetAddTarget": {
        "GuidTarget": NEW_GUID,
        "RefGuidSet": SET,
        "RefGuidBaseSequence": LRGB,
        "TargetName": "M33",
        "Tag": "",
        "RAJ2000": 1.564,
        "DECJ2000": 30.66,
        "PA": 0,
        "Status": 1,
        "StatusOp": 0,
        "Priority": 2,
        "Note": "",
        "C_Mask": "BSTUV",
        "C_AltMin": 30,
        "C_MoonDistanceLorentzian": 1,
        "C_MaxTime": 3600,
        "C_OSDateStart": 0,
        "C_OSTimeStart": 0,
        "C_OSEarly": 0,
        "C_PINTEarly": 0,
        "C_PINTReset": False,
        "C_PINTIntervals": [],
        "TType": 0,
    },
    "RemoteRoboTargetUpdateTarget": {"RefGuidTarget": TARGET, "TargetName": "Andromeda", "TType": 0},
    "RemoteRoboTargetRemoveTarget": {"RefGuidTarget": TARGET},
    "RemoteRoboTargetAddShot": {
        "GuidShot": NEW_GUID,
        "RefGuidTarget": TARGET,
        "Label": "R",
        "FilterIndex": 1,
        "Num": 2,
        "Bin": 1,
        "ReadoutMode": 0,
        "Type": 0,
        "Speed": 0,
        "Gain": 0,
        "Offset": 0,
        "Exposure": 60,
        "Order": 2,
        "Done": False,
        "Enabled": True,
    },
    "RemoteRoboTargetUpdateShot": {"RefGuidShot": SHOT_L, "Num": 3, "Gain": 100, "Offset": 10},
    "RemoteRoboTargetRemoveShot": {"RefGuidShot": SHOT_L},
    "RemoteRoboTargetEnableDisableObject": {"RefGuidObject": TARGET, "ObjectType": 1, "OperationType": 0},
    "RemoteRoboTargetAbort": {"RefGuidTarget": "", "RefGuidSet": "", "RefGuidTargetTag": "", "RefGuidSetTag": ""},
}
# Example requests the simulator refuses because the same document's table
# forbids them: the param named is what the table requires and the example omits.
REFUSED_EXAMPLES = {"RemoteRoboTargetAddTarget": "TType", "RemoteRoboTargetUpdateTarget": "TType"}


EXAMPLES = [name for name in IMPLEMENTED if catalogue.example_request(name) is not None]


class Observatory:
    """A simulator with login and RoboTarget, and one authenticated manager client, on a memory clock."""

    def __init__(self, clock: MemoryReactorClock, **settings: Any) -> None:
        clock.advance(START)
        self.clock = clock
        self.sim = VoyagerSimulator(
            clock,
            SimulatorSettings(
                username=USER,
                password=PASSWORD,
                robotarget_secret=SECRET,
                robotarget_mac_key=MAC_KEY,
                robotarget_mac_words=WORDS,
                **settings,
            ),
        )
        self.sim.doStart()
        self.client = self.login(Manager(self.sim))
        ok(self.client.enter())
        self.client.received()

    def login(self, client: Manager) -> Manager:
        client.request("AuthenticateUserBase", Base=LOGIN)
        assert "authbase" in client.received()[-1]
        return client

    def populate(self) -> None:
        """A set with one target of one 2 s shot, imaged to completion."""
        ok(add_set(self.client))
        ok(add_target(self.client))
        ok(add_shot(self.client, SHOT_L, Num=1))
        ok(enable(self.client, TARGET, 1))
        self.tick(10)
        self.client.received()

    def tick(self, seconds: int) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        for _ in range(seconds):
            self.clock.advance(1)
            self.client.keep_alive()
            seen += self.client.received()
        return seen

    def send(self, request: dict[str, Any], client: Manager | None = None) -> list[dict[str, Any]]:
        """Send one request line as given (a RoboTarget MAC signed anew for its id and UID); what came back."""
        client = client or self.client
        params = request.get("params", {})
        signable = all(isinstance(params.get(key), str) for key in ("MAC", "UID"))
        if request["method"].startswith("RemoteRoboTarget") and signable:
            params["MAC"] = command_mac(SECRET, client.protocol.session_key, request["id"], params["UID"])
        if request["method"] == "RemoteSetRoboTargetManagerMode":
            valid = {"MACKey": MAC_KEY, "Hash": manager_hash(SECRET, client.protocol.session_key, WORDS)}
            params.update((key, value) for key, value in valid.items() if isinstance(params.get(key), str))
        client.last_id = request["id"]
        client.protocol.dataReceived(json.dumps(request).encode() + b"\r\n")
        return client.received()

    def close(self) -> None:
        for client in list(self.sim.clients):
            client.connectionLost()
        self.sim.doStop()
        assert self.clock.getDelayedCalls() == []


@pytest.fixture
def clock() -> MemoryReactorClock:
    return MemoryReactorClock()


def observatory(clock: MemoryReactorClock, **settings: Any) -> Observatory:
    return Observatory(clock, **settings)


def scenario(obs: Observatory, name: str) -> dict[str, Any]:
    """A complete documented request for C{name} against the populated database."""
    request = catalogue.example_request(name) or {"method": name, "params": {}, "id": 1}
    params = dict(request.get("params", {}))
    if name in SCENARIOS:
        params = {"UID": params.get("UID", f"uid-{name}"), **SCENARIOS[name], "MAC": "signed when sent"}
    if name == "RemoteRoboTargetGetShotDoneBySessionList":
        params["RefGuidSession"] = obs.sim.robotarget.sessions[0].guid
    if name == "RemoteRoboTargetGetShotJpg":
        params.update(RefGuidShotDone=obs.sim.robotarget.shots_done[0].guid, FITFileName="")
    return {"method": name, "params": params, "id": 900}


def start_shot(obs: Observatory, uid: str) -> None:
    """A 60 s RemoteCameraShot running under C{uid}, for RemoteActionAbort to stop."""
    obs.send({"method": "RemoteCameraShot", "params": {"UID": uid, "Expo": 60, "Bin": 1}, "id": 899})


def signal_order(messages: list[Any], documented: list[int]) -> list[str]:
    """The documented signals and the RemoteActionResult, in the order they appear."""
    order = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("Event") == "Signal" and message["Code"] in documented:
            order.append(f"Signal {message['Code']}")
        elif message.get("Event") == "RemoteActionResult":
            order.append("RemoteActionResult")
    return order


# The table the simulator checks.


def test_param_table_equals_the_catalogue() -> None:
    """The simulator's shipped param table is the catalogue's, for exactly the methods it implements."""
    assert sorted(TABLE) == IMPLEMENTED
    for name in IMPLEMENTED:
        assert TABLE[name] == catalogue.param_table(name), name


# Answers.


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_answer_has_the_documented_shape(clock: MemoryReactorClock, name: str) -> None:
    """Ack first; then the documented signals, final answer and ParamRet fields and types, or no result at all."""
    obs = observatory(clock)
    obs.populate()
    request = scenario(obs, name)
    uid = request["params"].get("UID", "")
    if name == "RemoteActionAbort":
        start_shot(obs, uid)
    client = obs.client
    if name == "AuthenticateUserBase":
        client = Manager(obs.sim)
        client.received()
    messages = obs.send(request, client) + (obs.tick(RUN_SECONDS) if client is obs.client else [])
    entry = catalogue.method(name)
    answers = [m for m in messages if m.get("id") == request["id"]]
    assert answers and "error" not in answers[0], answers
    results = [m for m in messages if m.get("Event") == "RemoteActionResult" and m.get("UID") == uid]
    if name == "AuthenticateUserBase":
        assert catalogue.shape_problems(entry["paramRet"], answers[0]["authbase"], "authbase") == []
    elif entry["final"] == "RemoteActionResult":
        assert len(results) == 1, messages
        param_ret = results[0]["ParamRet"]
        assert catalogue.shape_problems(entry["paramRet"], param_ret) == []
        assert catalogue.missing_fields(entry["paramRet"], param_ret) == []
        if name.startswith("RemoteRoboTarget") and "ret" in param_ret:
            assert param_ret["ret"] == "DONE", param_ret
    else:
        assert results == [], results
        if entry["final"] != "none":
            (answer,) = [m for m in messages if m.get("Event") == entry["final"]]
            fields = {k: v for k, v in answer.items() if k not in catalogue.catalogue()["common_event_fields"]}
            assert catalogue.shape_problems(catalogue.event(entry["final"])["fields"], fields, entry["final"]) == []
            assert catalogue.missing_fields(catalogue.event(entry["final"])["fields"], fields) == []
    documented = [a for a in entry.get("example_answers", []) if isinstance(a, dict)]
    expected = signal_order(documented, entry["signals"])
    if entry["signals"]:
        assert signal_order(messages, entry["signals"]) == expected
    record("simulator methods", name)
    obs.close()


def test_abort_sends_no_result_of_its_own(clock: MemoryReactorClock) -> None:
    """Abort (no UID) is answered by its ack alone; only the aborted action's result 7 follows."""
    obs = observatory(clock)
    start_shot(obs, "shot-1")
    messages = obs.send({"method": "Abort", "params": {"IsHalt": False}, "id": 7}) + obs.tick(RUN_SECONDS)
    assert messages[0] == {"jsonrpc": "2.0", "result": 0, "id": 7}
    results = [m for m in messages if m.get("Event") == "RemoteActionResult"]
    assert [(r["UID"], r["ActionResultInt"]) for r in results] == [("shot-1", 7)]
    obs.close()


def test_drag_script_ends_without_result(clock: MemoryReactorClock) -> None:
    """RemoteDragScript is acknowledged, runs (RUNDS names it) and ends with no RemoteActionResult."""
    obs = observatory(clock)
    request = catalogue.example_request("RemoteDragScript")
    assert request is not None
    messages = obs.send(request)
    assert messages[0]["result"] == 0 and obs.sim.model.control_data()["RUNDS"] == "Pippo.s2q"
    messages += obs.tick(RUN_SECONDS)
    assert [m for m in messages if m.get("Event") == "RemoteActionResult"] == []
    assert obs.sim.action is None
    obs.close()


@pytest.mark.parametrize("key", ["BaseData", "Base64Data"])
def test_shot_jpg_serves_either_documented_spelling(clock: MemoryReactorClock, key: str) -> None:
    """GetShotJpg's image is under the table's BaseData or the example's Base64Data, as configured."""
    obs = observatory(clock, shot_jpg_key=key)
    obs.populate()
    messages = obs.send(scenario(obs, "RemoteRoboTargetGetShotJpg"))
    (result,) = [m for m in messages if m.get("Event") == "RemoteActionResult"]
    other = "BaseData" if key == "Base64Data" else "Base64Data"
    assert other not in result["ParamRet"] and base64.b64decode(result["ParamRet"][key])[:2] == b"\xff\xd8"
    documented = catalogue.method("RemoteRoboTargetGetShotJpg")["paramRet"]
    assert catalogue.shape_problems(documented, result["ParamRet"]) == []
    obs.close()


@pytest.mark.parametrize("dec_type", ["string", "number"])
def test_plate_solve_dec_as_table_or_example(clock: MemoryReactorClock, dec_type: str) -> None:
    """RemoteSolveActualPosition's DEC is text (the table) or a number (the examples), as configured."""
    obs = observatory(clock, solve_dec_type=dec_type)
    request = catalogue.example_request("RemoteSolveActualPosition")
    assert request is not None
    messages = obs.send(request) + obs.tick(5)
    (result,) = [m for m in messages if m.get("Event") == "RemoteActionResult"]
    (documented,) = [a for a in catalogue.method("RemoteSolveActualPosition")["example_answers"] if "ParamRet" in a]
    assert set(result["ParamRet"]) == set(documented["ParamRet"])
    dec = result["ParamRet"]["DEC"]
    assert isinstance(dec, str) if dec_type == "string" else isinstance(dec, float)
    assert float(dec) == pytest.approx(obs.sim.model.dec_degrees, abs=1e-6)
    obs.close()


def test_shots_done_lists_are_done_and_deleted(clock: MemoryReactorClock) -> None:
    """The three shots-done lists answer ParamRet.list = {"done": [...], "deleted": [...]}."""
    obs = observatory(clock)
    obs.populate()
    for name in ("BySessionList", "BySetList", "SinceList"):
        messages = obs.send(scenario(obs, "RemoteRoboTargetGetShotDone" + name))
        (result,) = [m for m in messages if m.get("Event") == "RemoteActionResult"]
        listed = result["ParamRet"]["list"]
        assert set(listed) == {"done", "deleted"} and len(listed["done"]) == 1 and listed["deleted"] == []
    obs.close()


def test_get_target_with_empty_set_lists_every_target(clock: MemoryReactorClock) -> None:
    """GetTarget with RefGuidSet "" lists the targets of every set."""
    obs = observatory(clock)
    obs.populate()
    other = "e5e5e5e5-0000-4000-8000-000000000001"
    ok(add_set(obs.client, other, Name="Nebulae"))
    ok(add_target(obs.client, NEW_GUID, RefGuidSet=other))
    messages = obs.send(scenario(obs, "RemoteRoboTargetGetTarget"))
    (result,) = [m for m in messages if m.get("Event") == "RemoteActionResult"]
    assert sorted(row["guid"] for row in result["ParamRet"]["list"]) == sorted([TARGET, NEW_GUID])
    obs.close()


@pytest.mark.parametrize("level, types", [(0, list(range(1, 10))), (1, [3, 4, 5, 6, 7, 8, 9])])
def test_log_level_filters_as_documented(clock: MemoryReactorClock, level: int, types: list[int]) -> None:
    """RemoteSetLogEvent Level 0 sends every LogEvent type; Level 1 drops DEBUG (1) and INFO (2)."""
    obs = observatory(clock)
    params = {"UID": "log", "IsOn": True, "Level": level}
    messages = obs.send({"method": "RemoteSetLogEvent", "params": params, "id": 3})
    assert [m.get("Event") for m in messages[1:]] == ["RemoteActionResult"]
    for log_type in range(1, 10):
        obs.sim.log(log_type, f"type {log_type}")
    assert [m["Type"] for m in obs.client.received() if m.get("Event") == "LogEvent"] == types
    obs.close()


def test_rejected_login_says_so_then_closes(clock: MemoryReactorClock) -> None:
    """A failed AuthenticateUserBase gets the documented error line, then the connection closes."""
    obs = observatory(clock)
    client = Manager(obs.sim)
    client.received()
    request = catalogue.example_request("AuthenticateUserBase")
    assert request is not None
    request["params"]["Base"] = base64.b64encode(b"admin:wrong").decode()
    (answer,) = obs.send(request, client)
    (documented, _) = catalogue.method("AuthenticateUserBase")["example_answers"]
    assert answer == documented and client.transport.disconnecting
    obs.close()


@pytest.mark.parametrize("pier_east", [False, True])
def test_control_data_pier_and_flip_agree(clock: MemoryReactorClock, pier_east: bool) -> None:
    """ControlData's MNTPIER and MNTSFLIP tell the same side (0 pier West, 3 pier East), in documented types."""
    obs = observatory(clock)
    obs.sim.model.pier_east = pier_east
    data = obs.sim.model.control_data()
    flip = catalogue.catalogue()["enums"]["MNTSFLIP"]["values"][str(data["MNTSFLIP"])]
    assert data["MNTPIER"] in catalogue.catalogue()["enums"]["PierSide"]["values"]
    assert f"pier {data['MNTPIER'].removeprefix('pier')}" in flip
    # DRAGNAME and PSCONN are sent although the ControlData table lacks them (the proxy reads both).
    shown = {k: v for k, v in data.items() if k not in ("DRAGNAME", "PSCONN")}
    assert catalogue.shape_problems(catalogue.event("ControlData")["fields"], shown, "ControlData") == []
    obs.close()


# Refusals.


def wrong_type(json_type: str) -> Any:
    return {"string": 12345, "integer": "7", "number": "7.5", "boolean": 1, "array": {}, "object": []}[json_type]


def outside(spec: dict[str, Any], name: str) -> Any | None:
    """A value of the param's type outside its documented set, or None where the set is not closed."""
    if name in ("Gain", "Offset"):
        return None  # only special values are listed
    codes = spec.get("values")
    if not codes:
        return None
    if name == "StartFlag":
        return 16
    if name == "C_Mask":
        return "I"  # the AddTarget letter table has no I
    if name == "C_Mask2":
        return "ZZZ"
    if spec["type"] in ("integer", "number"):
        return max(int(code) for code in codes) + 100
    return "not-a-listed-value"


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_refuses_params_the_documents_do_not_allow(clock: MemoryReactorClock, name: str) -> None:
    """Unknown names, wrong JSON types, missing required params and values outside the set get error code 1."""
    obs = observatory(clock)
    obs.populate()
    base = scenario(obs, name)["params"]
    bad: list[dict[str, Any]] = [{**base, "NotAVoyagerParam": 1}]
    if name in catalogue.NO_UID:
        bad.append({**base, "UID": "not-documented"})
    for param, spec in TABLE[name].items():
        bad.append({**base, param: wrong_type(spec["type"])})
        if spec["required"] is True:
            bad.append({k: v for k, v in base.items() if k != param})
        value = outside(dict(spec), param)
        if value is not None:
            bad.append({**base, param: value})
    for n, params in enumerate(bad, start=1000):
        client = Manager(obs.sim)
        if name != "AuthenticateUserBase":
            obs.login(client)
        client.received()
        answers = obs.send({"method": name, "params": params, "id": n}, client)
        assert answers[:1] and answers[0].get("error", {}).get("code") == 1, (params, answers)
        assert answers[0]["id"] == n
    obs.close()


# Examples.


@pytest.mark.parametrize("name", EXAMPLES)
def test_documented_example_request_is_accepted(clock: MemoryReactorClock, name: str) -> None:
    """The documents' example request is acknowledged (RoboTarget ones signed anew: their MACs are illustrative)."""
    obs = observatory(clock)
    request = catalogue.example_request(name)
    assert request is not None
    client = obs.client
    if name == "AuthenticateUserBase":
        client = Manager(obs.sim)
        client.received()
    if name == "RemoteActionAbort":
        start_shot(obs, request["params"]["UID"])
    (answer, *_) = obs.send(request, client)
    assert answer["id"] == request["id"]
    if name in REFUSED_EXAMPLES:
        assert answer["error"]["code"] == 1 and REFUSED_EXAMPLES[name] in answer["error"]["message"]
        assert catalogue.request_problems(name, request["params"]) == [
            f"{name}: required param {REFUSED_EXAMPLES[name]} is missing"
        ]
        record("simulator refused examples", name)
    else:
        assert answer.get("result") == 0 or "authbase" in answer, answer
        record("simulator examples", name)
    obs.close()
