"""The simulator's RoboTarget: signing, manager mode, the database and the scheduler, line by line."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.unit.simulator.conftest import START, Client
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.simulator.robotarget import command_mac, manager_hash
from voyager_proxy.simulator.robotarget_db import BASE_SEQUENCE_GUIDS

SECRET = "s3cr3t"
KEY = "1795484593.57388"
WORDS = ("w1-AAAA", "w2-BBBB", "w3-CCCC", "w4-DDDD")
HASH_HEX = "NmE0Zjg5NTRkZTUwOWM0OWNhZTNkMTNlZDVmMTg3OGM2OGY3NDhhYw=="
HASH_RAW = "ak+JVN5QnEnK49E+1fGHjGj3SKw="
VECTOR_UID = "0697f2f9-24e4-4850-84e9-18ea28b05fe9"
MAC_HEX = "NDM1ODc5NTBkM2FlMGE1ZTc3NjYxOTBhOTA1ODAwMjkzNDg4MDkwYw=="
MAC_RAW = "Q1h5UNOuCl53ZhkKkFgAKTSICQw="
MAC_KEY = "LIC-0042-ADVANCED"

SET = "a1a1a1a1-0000-4000-8000-000000000001"
OTHER_SET = "a1a1a1a1-0000-4000-8000-000000000002"
TARGET = "b2b2b2b2-0000-4000-8000-000000000001"
SHOT_L = "c3c3c3c3-0000-4000-8000-000000000001"
SHOT_HA = "c3c3c3c3-0000-4000-8000-000000000002"
LRGB = BASE_SEQUENCE_GUIDS["Default.v2y"][0]


class Manager(Client):
    """A client that can enter manager mode and sign its RoboTarget calls."""

    def enter(self, mac_key: str = MAC_KEY, hash_: str | None = None) -> dict[str, Any]:
        given = hash_ if hash_ is not None else manager_hash(SECRET, self.protocol.session_key, WORDS)
        self.request("RemoteSetRoboTargetManagerMode", MACKey=mac_key, Hash=given)
        return self.answer(f"uid-{self.last_id}")

    def call(self, name: str, mac: str | None = None, **params: Any) -> dict[str, Any]:
        """RemoteRoboTarget<name>, signed for its id unless C{mac} is given; its RemoteActionResult or error."""
        request_id = self.last_id + 1
        params.setdefault("UID", f"uid-{request_id}")
        if mac is None:
            mac = command_mac(SECRET, self.protocol.session_key, request_id, params["UID"])
        self.request("RemoteRoboTarget" + name, MAC=mac, **params)
        return self.answer(params["UID"])

    def answer(self, uid: str) -> dict[str, Any]:
        """The error for the last request, or its ack and the RemoteActionResult for C{uid} (others dropped)."""
        messages = self.received()
        replies = [m for m in messages if m.get("id") == self.last_id]
        if replies and "error" in replies[0]:
            return replies[0]
        assert replies == [{"jsonrpc": "2.0", "result": 0, "id": self.last_id}]
        (result,) = [m for m in messages if m.get("Event") == "RemoteActionResult" and m["UID"] == uid]
        return result


def ok(result: dict[str, Any]) -> dict[str, Any]:
    """The ParamRet of a successful result."""
    assert result["ActionResultInt"] == 4 and result["Motivo"] == "", result
    param_ret: dict[str, Any] = result["ParamRet"]
    return param_ret


def rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = ok(result)["list"]
    return listed


def done_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The shots done of a shots-done list: C{list} holds C{done} and an empty C{deleted}."""
    listed = ok(result)["list"]
    assert set(listed) == {"done", "deleted"} and listed["deleted"] == [], listed
    done: list[dict[str, Any]] = listed["done"]
    return done


def refused(result: dict[str, Any], reason: str) -> bool:
    return bool(
        result["ActionResultInt"] == 5
        and result["Motivo"] == reason
        and result["ParamRet"] == {"ret": "ERROR : " + reason}
    )


def add_set(manager: Manager, guid: str = SET, **params: Any) -> dict[str, Any]:
    defaults = {"Name": "Galaxies", "ProfileName": "Default.v2y", "IsDefault": False, "Tag": "gal", "Status": 0}
    return manager.call("AddSet", Guid=guid, **{**defaults, "Note": "", **params})


def add_target(manager: Manager, guid: str = TARGET, **params: Any) -> dict[str, Any]:
    defaults = {
        "RefGuidSet": SET,
        "RefGuidBaseSequence": LRGB,
        "TargetName": "M31",
        "Tag": "andromeda",
        "RAJ2000": 0.7123,
        "DECJ2000": 41.269,
        "PA": 0,
        "Status": 1,
        "Priority": 2,
        "C_Mask": "B",
        "C_AltMin": 30,
        "TType": 0,
    }
    return manager.call("AddTarget", GuidTarget=guid, **{**defaults, **params})


def add_shot(manager: Manager, guid: str, **params: Any) -> dict[str, Any]:
    defaults = {"RefGuidTarget": TARGET, "Label": "L", "FilterIndex": 0, "Num": 2, "Bin": 1, "Type": 0}
    return manager.call("AddShot", GuidShot=guid, **{**defaults, "Exposure": 2, "Order": -1, **params})


def enable(manager: Manager, guid: str, kind: int, on: bool = True) -> dict[str, Any]:
    return manager.call("EnableDisableObject", RefGuidObject=guid, ObjectType=kind, OperationType=0 if on else 1)


def session_of(manager: Manager, target: str = TARGET) -> dict[str, Any]:
    (session,) = rows(manager.call("GetSessionListByTarget", RefGuidTarget=target))
    return session


def target_row(manager: Manager, set_guid: str = SET) -> dict[str, Any]:
    (row,) = rows(manager.call("GetTarget", RefGuidSet=set_guid))
    return row


def tick(clock: MemoryReactorClock, clients: list[Client], seconds: int = 1) -> list[dict[str, Any]]:
    """Let time pass one second at a time, keeping the clients alive; what the first one received."""
    seen: list[dict[str, Any]] = []
    for _ in range(seconds):
        clock.advance(1)
        for client in clients:
            client.keep_alive()
        seen += clients[0].received()
    return seen


def named(messages: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("Event") == event]


@pytest.fixture
def settings() -> SimulatorSettings:
    return SimulatorSettings(robotarget_secret=SECRET, robotarget_mac_key=MAC_KEY, robotarget_mac_words=WORDS)


@pytest.fixture
def manager(simulator: VoyagerSimulator) -> Manager:
    client = Manager(simulator)
    client.received()
    ok(client.enter())
    return client


@pytest.fixture
def running(manager: Manager, clock: MemoryReactorClock) -> Manager:
    """A manager whose target (two L shots of 2 s, one Ha of 3 s) has just started on the scheduler."""
    ok(add_set(manager))
    ok(add_target(manager))
    ok(add_shot(manager, SHOT_L))
    ok(add_shot(manager, SHOT_HA, Label="Ha", FilterIndex=4, Num=1, Exposure=3))
    ok(enable(manager, TARGET, 1))
    tick(clock, [manager])
    assert session_of(manager)["status"] == 1
    return manager


# Signing and manager mode.


def test_signing_vectors() -> None:
    """The sheet's Hash and MAC vectors, in both encodings."""
    assert manager_hash(SECRET, KEY, WORDS) == HASH_HEX
    assert manager_hash(SECRET, KEY, WORDS, "raw-base64") == HASH_RAW
    assert command_mac(SECRET, KEY, 7, VECTOR_UID) == MAC_HEX
    assert command_mac(SECRET, KEY, 7, VECTOR_UID, "raw-base64") == MAC_RAW


def test_manager_mode_accepted_with_the_sheet_vectors(simulator: VoyagerSimulator) -> None:
    """The literal Hash is accepted on this session key; then the literal MAC for id 7 is accepted."""
    client = Manager(simulator)
    assert client.protocol.session_key == KEY
    client.received()
    assert ok(client.enter(hash_=HASH_HEX)) == {"ret": "DONE", "VersionDB": 12}
    assert client.protocol.robotarget_manager is True
    client.last_id = 6
    assert rows(client.call("GetSet", mac=MAC_HEX, UID=VECTOR_UID, ProfileName="")) == []


def test_raw_base64_encoding(clock: MemoryReactorClock) -> None:
    """With raw-base64 configured the raw vectors pass and the hex ones do not."""
    clock.advance(START)
    sim = VoyagerSimulator(
        clock,
        SimulatorSettings(
            robotarget_secret=SECRET,
            robotarget_mac_key=MAC_KEY,
            robotarget_mac_words=WORDS,
            robotarget_mac_encoding="raw-base64",
        ),
    )
    client = Manager(sim)
    client.received()
    assert refused(client.enter(hash_=HASH_HEX), "Hash not valid")
    ok(client.enter(hash_=HASH_RAW))
    client.last_id = 6
    assert rows(client.call("GetSet", mac=MAC_RAW, UID=VECTOR_UID)) == []
    client.last_id = 6
    assert refused(client.call("GetSet", mac=MAC_HEX, UID=VECTOR_UID), "MAC not valid")
    client.protocol.connectionLost()


def test_manager_mode_refused(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """A wrong MAC key, a wrong Hash, or a Hash for another session key: refused, no manager mode."""
    client = Manager(simulator)
    clock.advance(1)
    later = Manager(simulator)
    client.received()
    assert refused(client.enter(mac_key="LIC-0000"), "MAC Key not valid")
    assert refused(client.enter(hash_=HASH_HEX[:-4] + "AAA="), "Hash not valid")
    assert refused(client.enter(hash_=manager_hash(SECRET, later.protocol.session_key, WORDS)), "Hash not valid")
    assert client.protocol.robotarget_manager is False
    client.request("RemoteSetRoboTargetManagerMode", MACKey=MAC_KEY)
    assert client.answer("")["error"]["code"] == 1


def test_not_licensed(clock: MemoryReactorClock) -> None:
    """Without a RoboTarget secret every RoboTarget call is refused, manager mode first."""
    clock.advance(START)
    sim = VoyagerSimulator(clock, SimulatorSettings())
    client = Manager(sim)
    client.received()
    assert refused(client.enter(hash_=HASH_HEX), "RoboTarget not licensed")
    assert refused(client.call("GetSet", ProfileName=""), "RoboTarget not licensed")
    client.protocol.connectionLost()


def test_call_before_manager_mode_refused(simulator: VoyagerSimulator) -> None:
    """A correctly signed call on a connection not in manager mode is refused."""
    client = Manager(simulator)
    client.received()
    assert refused(client.call("GetSet", ProfileName=""), "RoboTarget Manager Mode not active")


def test_manager_mode_is_per_connection(simulator: VoyagerSimulator, manager: Manager) -> None:
    """Another connection of the same simulator is not in manager mode."""
    other = Manager(simulator)
    other.received()
    assert refused(other.call("GetSet", ProfileName=""), "RoboTarget Manager Mode not active")
    assert rows(manager.call("GetSet", ProfileName="")) == []


def test_wrong_mac_refused(manager: Manager) -> None:
    """A MAC that is not the call's own, or none, is refused; the database is untouched."""
    assert refused(add_set(manager, mac="bm90IGEgTUFD"), "MAC not valid")
    other_id = command_mac(SECRET, manager.protocol.session_key, manager.last_id + 2, f"uid-{manager.last_id + 1}")
    assert refused(add_set(manager, mac=other_id), "MAC not valid")
    other_uid = command_mac(SECRET, manager.protocol.session_key, manager.last_id + 1, "another-uid")
    assert refused(add_set(manager, mac=other_uid), "MAC not valid")
    other_key = command_mac(SECRET, "1795484593.57389", manager.last_id + 1, f"uid-{manager.last_id + 1}")
    assert refused(add_set(manager, mac=other_key), "MAC not valid")
    manager.request("RemoteRoboTargetGetSet", ProfileName="")
    assert manager.answer("")["error"]["code"] == 1
    assert rows(manager.call("GetSet", ProfileName="")) == []


# Database.


def test_seeded_profiles_and_base_sequences(manager: Manager) -> None:
    """Two base sequences per profile with the exported GUIDs; "" lists every profile; no sets."""
    every = rows(manager.call("GetBaseSequence", ProfileName=""))
    assert [r["guid"] for r in every] == [*BASE_SEQUENCE_GUIDS["Default.v2y"], *BASE_SEQUENCE_GUIDS["Narrowband.v2y"]]
    narrowband = rows(manager.call("GetBaseSequence", ProfileName="Narrowband.v2y"))
    assert {r["profilename"] for r in narrowband} == {"Narrowband.v2y"} and len(narrowband) == 2
    assert set(every[0]) == {"guid", "basesequencename", "filename", "profilename", "isdefault", "status", "note"}
    assert rows(manager.call("GetSet", ProfileName="")) == []


def test_set_add_get_update_remove(manager: Manager) -> None:
    """Sets: GUIDs chosen by the client and never reused, profile checked, updated and removed."""
    assert ok(add_set(manager)) == {"ret": "DONE"}
    assert refused(add_set(manager), "GUID already used")
    assert refused(add_set(manager, OTHER_SET, ProfileName="Missing.v2y"), "Profile not found")
    ok(add_set(manager, OTHER_SET, Name="Nebulae", ProfileName="Narrowband.v2y"))
    (row,) = rows(manager.call("GetSet", ProfileName="Default.v2y"))
    assert row == {
        "guid": SET,
        "setname": "Galaxies",
        "profilename": "Default.v2y",
        "isdefault": False,
        "status": 0,
        "tag": "gal",
        "note": "",
    }
    ok(manager.call("UpdateSet", RefGuidSet=SET, Name="Spring galaxies", Status=1, Tag="spring", Note="n"))
    (row,) = rows(manager.call("GetSet", ProfileName="Default.v2y"))
    assert (row["setname"], row["status"], row["tag"], row["note"]) == ("Spring galaxies", 1, "spring", "n")
    assert refused(manager.call("UpdateSet", RefGuidSet=TARGET, Name="x"), "Set not found")
    assert manager.call("UpdateSet", RefGuidSet=SET, Status=5)["error"]["code"] == 1
    ok(manager.call("RemoveSet", RefGuidSet=SET))
    assert [r["guid"] for r in rows(manager.call("GetSet", ProfileName=""))] == [OTHER_SET]
    assert refused(manager.call("RemoveSet", RefGuidSet=SET), "Set not found")


def test_target_add_get_update_remove(manager: Manager) -> None:
    """Targets need an existing set and base sequence; lists join the set; removal takes the shots."""
    assert refused(add_target(manager), "Set not found")
    ok(add_set(manager))
    assert refused(add_target(manager, RefGuidBaseSequence=SHOT_L), "Base sequence not found")
    assert add_target(manager, RAJ2000="00:42:44")["error"]["code"] == 1
    assert add_target(manager, RAJ2000=10.7, DECJ2000=141.0)["error"]["code"] == 1
    ok(add_target(manager))
    assert refused(add_target(manager), "GUID already used")
    row = target_row(manager)
    assert (row["guid"], row["refguidset"], row["targetname"], row["raj2000"], row["decj2000"]) == (
        TARGET,
        SET,
        "M31",
        0.7123,
        41.269,
    )
    assert (row["setname"], row["settag"], row["profilename"], row["sequencename"]) == (
        "Galaxies",
        "gal",
        "Default.v2y",
        "Deep Sky LRGB",
    )
    assert (row["cmask"], row["caltmin"], row["status"], row["statusop"], row["priority"]) == ("B", 30, 1, 0, 2)
    assert row["auxsessioncontainer"] == {"progress": 0.0}
    ok(manager.call("UpdateTarget", RefGuidTarget=TARGET, TargetName="Andromeda", Priority=4, TType=0))
    row = target_row(manager)
    assert (row["targetname"], row["priority"], row["tag"]) == ("Andromeda", 4, "andromeda")
    assert refused(manager.call("UpdateTarget", RefGuidTarget=SET, TargetName="x", TType=0), "Target not found")
    ok(add_shot(manager, SHOT_L))
    ok(manager.call("RemoveTarget", RefGuidTarget=TARGET))
    assert rows(manager.call("GetTarget", RefGuidSet=SET)) == []
    assert rows(manager.call("GetShot", RefGuidTarget=TARGET)) == []
    assert refused(add_shot(manager, SHOT_HA), "Target not found")
    assert refused(manager.call("RemoveTarget", RefGuidTarget=TARGET), "Target not found")


def test_shot_add_get_update_remove(manager: Manager) -> None:
    """Shots need an existing target; Order -1 appends; updates go by RefGuidShot."""
    ok(add_set(manager))
    ok(add_target(manager))
    ok(add_shot(manager, SHOT_L))
    ok(add_shot(manager, SHOT_HA, Label="Ha", FilterIndex=4))
    assert refused(add_shot(manager, TARGET), "GUID already used")
    assert add_shot(manager, "c3c3", Exposure="300s")["error"]["code"] == 1
    first, second = rows(manager.call("GetShot", RefGuidTarget=TARGET))
    assert (first["guid"], first["order"], second["guid"], second["order"]) == (SHOT_L, 0, SHOT_HA, 1)
    assert set(first) == {
        "guid",
        "label",
        "refguidtarget",
        "filterindex",
        "num",
        "bin",
        "readoutmode",
        "type",
        "speed",
        "gain",
        "offset",
        "exposure",
        "order",
        "done",
        "enabled",
        "auxtotshot",
        "auxshotdone",
        "auxshotdonedeleted",
    }
    assert (first["num"], first["auxtotshot"], first["auxshotdone"], first["enabled"]) == (2, 2, 0, True)
    ok(manager.call("UpdateShot", RefGuidShot=SHOT_HA, Exposure=300, Num=5))
    second = rows(manager.call("GetShot", RefGuidTarget=TARGET))[1]
    assert (second["exposure"], second["num"], second["label"]) == (300, 5, "Ha")
    assert refused(manager.call("UpdateShot", RefGuidShot=TARGET, Num=1), "Shot not found")
    ok(manager.call("RemoveShot", RefGuidShot=SHOT_L))
    assert [r["guid"] for r in rows(manager.call("GetShot", RefGuidTarget=TARGET))] == [SHOT_HA]
    assert refused(manager.call("RemoveShot", RefGuidShot=SHOT_L), "Shot not found")


def test_enable_disable(manager: Manager) -> None:
    """EnableDisableObject switches a shot's Enabled, a target's or a set's Status."""
    ok(add_set(manager))
    ok(add_target(manager))
    ok(add_shot(manager, SHOT_L))
    assert ok(enable(manager, TARGET, 1)) == {"ret": "DONE", "IsChangedProfile": False}
    assert target_row(manager)["status"] == 0
    ok(enable(manager, TARGET, 1, on=False))
    assert target_row(manager)["status"] == 1
    ok(enable(manager, SET, 2, on=False))
    assert rows(manager.call("GetSet", ProfileName=""))[0]["status"] == 1
    ok(enable(manager, SHOT_L, 0, on=False))
    assert rows(manager.call("GetShot", RefGuidTarget=TARGET))[0]["enabled"] is False
    assert refused(enable(manager, SHOT_L, 1), "Target not found")
    assert enable(manager, SET, 3)["error"]["code"] == 1


# Scheduler.


def test_nothing_runs_while_disabled(manager: Manager, clock: MemoryReactorClock) -> None:
    """A disabled target, or an enabled one in a disabled set, is not started."""
    ok(add_set(manager, Status=1))
    ok(add_target(manager))
    ok(add_shot(manager, SHOT_L))
    tick(clock, [manager], 3)
    ok(enable(manager, TARGET, 1))
    tick(clock, [manager], 3)
    assert rows(manager.call("GetSessionListByTarget", RefGuidTarget=TARGET)) == []
    assert rows(manager.call("GetRunList", ProfileName="", Days=0)) == []


def test_scheduler_runs_a_target_to_completion(running: Manager, clock: MemoryReactorClock) -> None:
    """Each shot takes its exposure; shots done are listed by session, by set and since a time."""
    manager = running
    session = session_of(manager)
    assert (session["status"], session["result"], session["targetname"]) == (1, 0, "M31")
    assert target_row(manager)["statusop"] == 1
    seen = tick(clock, [manager], 2)
    (first,) = named(seen, "NewFITReady")
    assert (first["VoyType"], first["SeqTarget"], first["Type"]) == ("SHOT", "M31", 0)
    middle = clock.seconds() + 0.5
    seen = tick(clock, [manager], 5)
    assert len(named(seen, "NewFITReady")) == 2
    session = session_of(manager)
    assert (session["status"], session["result"], session["shotnumber"]) == (0, 1, 3)
    assert target_row(manager)["statusop"] == 2 and target_row(manager)["auxsessioncontainer"]["progress"] == 100.0
    shots = rows(manager.call("GetShot", RefGuidTarget=TARGET))
    assert [s["auxshotdone"] for s in shots] == [2, 1]

    by_session = done_rows(manager.call("GetShotDoneBySessionList", RefGuidSession=session["guid"]))
    assert [(d["refguidshot"], d["exposure"], d["filterindex"]) for d in by_session] == [
        (SHOT_L, 2, 0),
        (SHOT_L, 2, 0),
        (SHOT_HA, 3, 4),
    ]
    assert set(by_session[0]) == {
        "datetimeshot",
        "datetimeshotutc",
        "filename",
        "path",
        "hfd",
        "starindex",
        "min",
        "max",
        "mean",
        "bin",
        "filterindex",
        "exposure",
        "rating",
        "refguidsession",
        "refguidshot",
    }
    by_set = done_rows(manager.call("GetShotDoneBySetList", RefGuidSet=SET))
    assert len(by_set) == 3 and len({d["guid"] for d in by_set}) == 3
    since = done_rows(manager.call("GetShotDoneSinceList", Since=middle, RefGuidSet="", RefGuidTarget=TARGET))
    assert [d["guid"] for d in since] == [d["guid"] for d in by_set[1:]]
    assert (since[0]["refguidset"], since[0]["refguidtarget"], since[0]["raj2000"]) == (SET, TARGET, "00:42:44")
    assert done_rows(manager.call("GetShotDoneSinceList", Since=middle, RefGuidSet=OTHER_SET, RefGuidTarget="")) == []

    jpg = ok(manager.call("GetShotJpg", RefGuidShotDone=by_set[0]["guid"], FITFileName=""))
    assert jpg["ret"] == "DONE" and base64.b64decode(jpg["BaseData"])[:2] == b"\xff\xd8"
    assert (jpg["PixelDimX"], jpg["PixelDimY"], jpg["HFD"]) == (160, 100, by_set[0]["hfd"])
    by_name = ok(manager.call("GetShotJpg", RefGuidShotDone="", FITFileName=by_set[2]["filename"]))
    assert by_name["BaseData"] == jpg["BaseData"]
    assert refused(manager.call("GetShotJpg", RefGuidShotDone="", FITFileName="none.fit"), "Shot done not found")

    (run,) = rows(manager.call("GetRunList", ProfileName="Default.v2y", Days=1))
    assert run["isrunning"] is True and run["seqcount"] == 1
    tick(clock, [manager])
    (run,) = rows(manager.call("GetRunList", ProfileName="", Days=0))
    assert run["isrunning"] is False and run["guid"] == session["refguidrun"]
    assert named(tick(clock, [manager], 3), "NewFITReady") == []


def test_remove_set_cascades(running: Manager, clock: MemoryReactorClock) -> None:
    """RemoveSet takes the set's targets, shots, sessions and shots done with it."""
    manager = running
    tick(clock, [manager], 3)
    session = session_of(manager)
    ok(manager.call("RemoveSet", RefGuidSet=SET))
    assert rows(manager.call("GetTarget", RefGuidSet=SET)) == []
    assert rows(manager.call("GetShot", RefGuidTarget=TARGET)) == []
    assert rows(manager.call("GetSessionListByTarget", RefGuidTarget=TARGET)) == []
    assert done_rows(manager.call("GetShotDoneBySessionList", RefGuidSession=session["guid"])) == []
    assert done_rows(manager.call("GetShotDoneSinceList", Since=0, RefGuidSet="", RefGuidTarget="")) == []
    assert named(tick(clock, [manager], 5), "NewFITReady") == []


@pytest.mark.parametrize("stop", ["disable target", "disable set", "remove target", "abort"])
def test_stopping_mid_run_aborts_the_session(running: Manager, clock: MemoryReactorClock, stop: str) -> None:
    """Disabling or removing the running target (or its set), or Abort, ends the session ABORTED."""
    manager = running
    tick(clock, [manager])
    if stop == "disable target":
        ok(enable(manager, TARGET, 1, on=False))
    elif stop == "disable set":
        ok(enable(manager, SET, 2, on=False))
    elif stop == "remove target":
        ok(manager.call("RemoveTarget", RefGuidTarget=TARGET))
    else:
        ok(manager.call("Abort", RefGuidTarget="", RefGuidSet="", RefGuidTargetTag="", RefGuidSetTag=""))
    session = session_of(manager)
    assert (session["status"], session["result"], session["shotnumber"]) == (0, 2, 0)
    assert named(tick(clock, [manager], 6), "NewFITReady") == []
    assert session_of(manager)["result"] == 2


def test_abort_halts_until_something_is_enabled(running: Manager, clock: MemoryReactorClock) -> None:
    """After Abort the scheduler waits; enabling an object lets it start the target again."""
    manager = running
    ok(manager.call("Abort", RefGuidTarget="", RefGuidSet="", RefGuidTargetTag="", RefGuidSetTag=""))
    assert target_row(manager)["statusop"] == 0
    assert named(tick(clock, [manager], 4), "RoboTargetRunningTargetEphemerisPNG") == []
    ok(enable(manager, SHOT_L, 0))
    assert len(named(tick(clock, [manager]), "RoboTargetRunningTargetEphemerisPNG")) == 1
    assert [s["result"] for s in rows(manager.call("GetSessionListByTarget", RefGuidTarget=TARGET))] == [2, 0]


def test_abort_of_another_target_leaves_the_session(running: Manager, clock: MemoryReactorClock) -> None:
    """Abort naming another target or tag does not stop the running session."""
    manager = running
    ok(manager.call("Abort", RefGuidTarget=OTHER_SET, RefGuidSet="", RefGuidTargetTag="", RefGuidSetTag=""))
    ok(manager.call("Abort", RefGuidTarget="", RefGuidSet="", RefGuidTargetTag="other", RefGuidSetTag=""))
    assert session_of(manager)["status"] == 1
    assert len(named(tick(clock, [manager], 2), "NewFITReady")) == 1


def test_ephemeris_goes_to_manager_clients_only(simulator: VoyagerSimulator, clock: MemoryReactorClock) -> None:
    """The ephemeris PNG event reaches manager-mode clients only; NewFITReady reaches everyone."""
    manager, watcher = Manager(simulator), Client(simulator)
    manager.received()
    ok(manager.enter())
    ok(add_set(manager))
    ok(add_target(manager, Status=0))
    ok(add_shot(manager, SHOT_L, Num=1))
    watcher.received()
    seen = tick(clock, [manager, watcher], 3)
    (ephemeris,) = named(seen, "RoboTargetRunningTargetEphemerisPNG")
    assert (ephemeris["TargetUID"], ephemeris["TargetTAG"], ephemeris["TargetName"]) == (TARGET, "andromeda", "M31")
    assert ephemeris["IsValid"] is True and ephemeris["MinutesForPixel"] > 0
    assert ephemeris["StartDateTimeUTC"] < ephemeris["EndDateTimeUTC"]
    assert {"StartDateTime", "EndDateTime"} <= set(ephemeris)
    assert_valid_png(base64.b64decode(ephemeris["Base64Data"]))
    others = watcher.received()
    assert named(others, "RoboTargetRunningTargetEphemerisPNG") == []
    assert len(named(others, "NewFITReady")) == 1 == len(named(seen, "NewFITReady"))


def assert_valid_png(data: bytes) -> None:
    """Signature, chunk CRCs, and image data the size the header announces."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks[kind] = body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 0) and b"IEND" in chunks
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (width + 1)
