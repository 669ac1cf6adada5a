"""
What the proxy sends Voyager, checked against the protocol catalogue.

Every REST route is driven (in memory, a hand-played Voyager answering) and
every request line it writes must be documented: the method exists, each
param is a documented one of its JSON type and within its listed values, no
required param is missing, and a documented param is left out only where
LEFT_OUT says why. The routes come from the Klein app, so a new route
without a case here fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure

from tests.conformance.coverage import record
from tests.support import catalogue
from tests.support.bodies import CONSTRAINT_VALUES
from tests.support.memory_proxy import SET_GUID, TARGET_GUID, MemoryProxy
from tests.unit.test_push_flow import Client, make_factory
from voyager_proxy.config import PUBLIC_METHODS
from voyager_proxy.rest.api import klein_rules

GUID = "0697f2f9-24e4-4850-84e9-18ea28b05fe9"
SEQUENCE = "90ae5721-a248-4159-ad74-56e13cf26141"
TARGET = {
    "RefGuidSet": SET_GUID,
    "RefGuidBaseSequence": SEQUENCE,
    "TargetName": "M42",
    "RAJ2000": 5.58,
    "DECJ2000": -5.39,
}
EVERY_CONSTRAINT = {
    "C_Mask": "ABCDEFGHJKLMNOPQRSTUV",
    **CONSTRAINT_VALUES,
    "C_Mask2": "L01M01N01S01",
    "C_L01": True,
    "C_M01": False,
    "C_N01": True,
    "C_S01": False,
}
SHOT = {"RefGuidTarget": TARGET_GUID, "Num": 3, "Exposure": 60}
PLAN = {
    "set": {"Name": "Booking", "ProfileName": "Default.v2y"},
    "target": {k: v for k, v in TARGET.items() if k != "RefGuidSet"},
    "shots": [{"Num": 1, "Exposure": 1}],
}

# (HTTP method, Klein rule) -> [(path, body, Voyager methods the request sends)].
CASES: dict[tuple[str, str], list[tuple[str, Any, list[str]]]] = {
    ("POST", "/api/dashboard/enable"): [("/api/dashboard/enable", None, ["RemoteSetDashboardMode"])],
    ("POST", "/api/dashboard/disable"): [("/api/dashboard/disable", None, ["RemoteSetDashboardMode"])],
    ("POST", "/api/control/abort"): [("/api/control/abort", None, ["Abort"])],
    ("POST", "/api/setup/connect"): [("/api/setup/connect", {"timeout": 30}, ["RemoteSetupConnect"])],
    ("POST", "/api/setup/disconnect"): [("/api/setup/disconnect", None, ["RemoteSetupDisconnect"])],
    ("POST", "/api/telescope/park"): [("/api/telescope/park", None, ["RemoteMountFastCommand"])],
    ("POST", "/api/telescope/unpark"): [("/api/telescope/unpark", None, ["RemoteMountFastCommand"])],
    ("POST", "/api/telescope/tracking/start"): [("/api/telescope/tracking/start", None, ["RemoteMountFastCommand"])],
    ("POST", "/api/telescope/tracking/stop"): [("/api/telescope/tracking/stop", None, ["RemoteMountFastCommand"])],
    ("POST", "/api/telescope/goto"): [
        ("/api/telescope/goto", {"ra": "05:35:17", "dec": -5.4}, ["RemotePrecisePointTarget"])
    ],
    ("GET", "/api/telescope/status"): [("/api/telescope/status", None, ["RemoteMountStatusGetInfo"])],
    ("POST", "/api/camera/shot"): [
        ("/api/camera/shot", {"exposure": 2}, ["RemoteCameraShot"]),
        (
            "/api/camera/shot",
            {"exposure": 2, "binning": 2, "filterIndex": 3, "type": 2, "gain": 120, "offset": -900000},
            ["RemoteCameraShot"],
        ),
    ],
    ("POST", "/api/camera/cool"): [("/api/camera/cool", {"temperature": -10}, ["RemoteCooling"])],
    ("POST", "/api/camera/warm"): [("/api/camera/warm", None, ["RemoteCooling"])],
    ("POST", "/api/utils/autofocus"): [
        ("/api/utils/autofocus", None, ["RemoteFocusEx"]),
        ("/api/utils/autofocus", {"mode": 0, "starRa": 11.375, "starDec": "22:11:04", "maxHfd": 4}, ["RemoteFocusEx"]),
        ("/api/utils/autofocus", {"mode": 5}, ["RemoteFocusEx"]),
    ],
    ("POST", "/api/utils/platesolve"): [("/api/utils/platesolve", None, ["RemoteSolveActualPosition"])],
    ("POST", "/api/focuser/move"): [
        ("/api/focuser/move", {"position": 15000}, ["RemoteFocuserMoveTo"]),
        (
            "/api/focuser/move",
            {"position": 15000, "backlashCompensation": True, "backlashDirection": 1, "backlashSteps": 50},
            ["RemoteFocuserMoveTo"],
        ),
    ],
    ("POST", "/api/focuser/offset"): [("/api/focuser/offset", {"offset": -200}, ["RemoteFocuserOffset"])],
    ("POST", "/api/filter/change"): [("/api/filter/change", {"filterIndex": 2}, ["RemoteFilterChangeTo"])],
    ("POST", "/api/commands/<method>"): [
        ("/api/commands/RemoteFilterChangeTo", {"FilterIndex": 1}, ["RemoteFilterChangeTo"])
    ],
    # RoboTarget.
    ("GET", "/api/robotarget/sets"): [("/api/robotarget/sets", None, ["RemoteRoboTargetGetSet"])],
    ("POST", "/api/robotarget/sets"): [
        ("/api/robotarget/sets", {"Name": "B", "ProfileName": "Default.v2y"}, ["RemoteRoboTargetAddSet"])
    ],
    ("PUT", "/api/robotarget/sets/<guid>"): [
        (f"/api/robotarget/sets/{SET_GUID}", {"Name": "B"}, ["RemoteRoboTargetUpdateSet"])
    ],
    ("DELETE", "/api/robotarget/sets/<guid>"): [
        (f"/api/robotarget/sets/{SET_GUID}", None, ["RemoteRoboTargetRemoveSet"])
    ],
    ("POST", "/api/robotarget/sets/<guid>/enable"): [
        (f"/api/robotarget/sets/{SET_GUID}/enable", None, ["RemoteRoboTargetEnableDisableObject"])
    ],
    ("POST", "/api/robotarget/sets/<guid>/disable"): [
        (f"/api/robotarget/sets/{SET_GUID}/disable", None, ["RemoteRoboTargetEnableDisableObject"])
    ],
    ("GET", "/api/robotarget/base-sequences"): [
        ("/api/robotarget/base-sequences?profile=Default.v2y", None, ["RemoteRoboTargetGetBaseSequence"])
    ],
    ("GET", "/api/robotarget/targets"): [
        (f"/api/robotarget/targets?setGuid={SET_GUID}", None, ["RemoteRoboTargetGetTarget"])
    ],
    ("POST", "/api/robotarget/targets"): [
        ("/api/robotarget/targets", TARGET, ["RemoteRoboTargetAddTarget"]),
        ("/api/robotarget/targets", {**TARGET, **EVERY_CONSTRAINT}, ["RemoteRoboTargetAddTarget"]),
        ("/api/robotarget/targets", {**TARGET, "TType": 1, "TKey": "C/2023 A3"}, ["RemoteRoboTargetAddTarget"]),
    ],
    ("PUT", "/api/robotarget/targets/<guid>"): [
        (f"/api/robotarget/targets/{TARGET_GUID}", {**TARGET, **EVERY_CONSTRAINT}, ["RemoteRoboTargetUpdateTarget"]),
    ],
    ("DELETE", "/api/robotarget/targets/<guid>"): [
        (f"/api/robotarget/targets/{TARGET_GUID}", None, ["RemoteRoboTargetRemoveTarget"])
    ],
    ("GET", "/api/robotarget/targets/<guid>"): [
        (f"/api/robotarget/targets/{TARGET_GUID}", None, ["RemoteRoboTargetGetSet", "RemoteRoboTargetGetTarget"])
    ],
    ("POST", "/api/robotarget/targets/<guid>/activate"): [
        (f"/api/robotarget/targets/{TARGET_GUID}/activate", None, ["RemoteRoboTargetEnableDisableObject"])
    ],
    ("POST", "/api/robotarget/targets/<guid>/deactivate"): [
        (f"/api/robotarget/targets/{TARGET_GUID}/deactivate", None, ["RemoteRoboTargetEnableDisableObject"])
    ],
    ("GET", "/api/robotarget/targets/<guid>/shots"): [
        (f"/api/robotarget/targets/{TARGET_GUID}/shots", None, ["RemoteRoboTargetGetShot"])
    ],
    ("GET", "/api/robotarget/targets/<guid>/sessions"): [
        (f"/api/robotarget/targets/{TARGET_GUID}/sessions", None, ["RemoteRoboTargetGetSessionListByTarget"])
    ],
    ("POST", "/api/robotarget/shots"): [("/api/robotarget/shots", SHOT, ["RemoteRoboTargetAddShot"])],
    ("PUT", "/api/robotarget/shots/<guid>"): [
        (f"/api/robotarget/shots/{GUID}", {**SHOT, "Gain": 100, "Offset": 10}, ["RemoteRoboTargetUpdateShot"])
    ],
    ("DELETE", "/api/robotarget/shots/<guid>"): [
        (f"/api/robotarget/shots/{GUID}", None, ["RemoteRoboTargetRemoveShot"])
    ],
    ("GET", "/api/robotarget/runs"): [("/api/robotarget/runs?days=2", None, ["RemoteRoboTargetGetRunList"])],
    ("GET", "/api/robotarget/sessions/<guid>/shots-done"): [
        (f"/api/robotarget/sessions/{GUID}/shots-done", None, ["RemoteRoboTargetGetShotDoneBySessionList"])
    ],
    ("GET", "/api/robotarget/sets/<guid>/shots-done"): [
        (f"/api/robotarget/sets/{SET_GUID}/shots-done", None, ["RemoteRoboTargetGetShotDoneBySetList"])
    ],
    ("GET", "/api/robotarget/shots-done"): [
        (
            f"/api/robotarget/shots-done?since=1700000000&setGuid={SET_GUID}",
            None,
            ["RemoteRoboTargetGetShotDoneSinceList"],
        )
    ],
    ("GET", "/api/robotarget/shots-done/<guid>/jpeg"): [
        (f"/api/robotarget/shots-done/{GUID}/jpeg", None, ["RemoteRoboTargetGetShotJpg"])
    ],
    ("POST", "/api/robotarget/plans"): [
        (
            "/api/robotarget/plans",
            PLAN,
            [
                "RemoteRoboTargetGetSet",
                "RemoteRoboTargetAddSet",
                "RemoteRoboTargetAddTarget",
                "RemoteRoboTargetAddShot",
            ],
        )
    ],
    ("DELETE", "/api/robotarget/plans/<guid>"): [
        (f"/api/robotarget/plans/{SET_GUID}", None, ["RemoteRoboTargetRemoveSet"])
    ],
}
# Routes that answer from the proxy alone: driven too, and must write nothing.
QUIET: dict[tuple[str, str], str] = {
    ("GET", "/health"): "/health",
    ("GET", "/health/ready"): "/health/ready",
    ("GET", "/metrics"): "/metrics",
    ("GET", "/api/openapi.json"): "/api/openapi.json",
    ("GET", "/api/status/connection"): "/api/status/connection",
    ("GET", "/api/dashboard/state"): "/api/dashboard/state",
    ("GET", "/api/camera/preview"): "/api/camera/preview",
    ("GET", "/api/images"): "/api/images",
    ("GET", "/api/images/latest"): "/api/images/latest",
    ("GET", "/api/images/<image>.jpg"): "/api/images/0123456789abcdef.jpg",
    ("GET", "/api/images/<image>.json"): "/api/images/0123456789abcdef.json",
    ("GET", "/api/events/recent"): "/api/events/recent",
    ("GET", "/api/commands"): "/api/commands",
    ("GET", "/api/commands/<uid>"): f"/api/commands/{GUID}",
    ("GET", "/api/robotarget/status"): "/api/robotarget/status",
    ("POST", "/api/rooms/<room>/events"): "/api/rooms/booking-1/events",
    ("POST", "/api/tokens"): "/api/tokens",
    ("GET", "/api/webhooks/deliveries"): "/api/webhooks/deliveries",
    ("GET", "/api/webhooks/deliveries/<id>"): "/api/webhooks/deliveries/msg_0",
    ("POST", "/api/webhooks/deliveries/<id>/retry"): "/api/webhooks/deliveries/msg_0/retry",
    ("POST", "/api/webhooks/test"): "/api/webhooks/test",
    ("POST", "/api/webhooks/enable"): "/api/webhooks/enable",
}
NOT_DRIVEN = {("GET", "/ws"): "the WebSocket upgrade; its commands are driven by test_websocket_commands"}

# Methods whose every documented param must be sent (issue 9): no LEFT_OUT entry allowed.
SEND_EVERY_PARAM = frozenset({"RemoteFocuserMoveTo", "RemoteFocuserOffset", "RemoteFocusEx", "RemoteCameraShot"})
# Documented params a route leaves out on purpose, and why.
_DYNAMIC = "dynamic-target tuning (RoboOrbits): Voyager keeps the base sequence's"
LEFT_OUT: dict[str, dict[str, str]] = {
    "RemoteRoboTargetAddTarget": {
        "Token": "reserved to OpenSkyGems",
        **{
            name: _DYNAMIC
            for name in (
                "IsDynamicPointingOverride",
                "DynamicPointingOverride",
                "DynEachX_Seconds",
                "DynEachX_Realign",
                "DynEachX_NoPlateSolve",
            )
        },
        "IsOffsetRF": "RoboFire offset: Voyager keeps the base sequence's",
        "OffsetRF": "RoboFire offset: Voyager keeps the base sequence's",
    },
}
LEFT_OUT["RemoteRoboTargetUpdateTarget"] = {
    **LEFT_OUT["RemoteRoboTargetAddTarget"],
    "DateCreation": "an update keeps the target's unless the body gives one",
    "C_ID": "an update keeps the constraint set's id unless the body gives one",
}
# Constraint values go only with the C_Mask letters (and C_Mask2 codes) that switch them on.
_CONSTRAINTS = frozenset(
    name
    for name in catalogue.method("RemoteRoboTargetAddTarget")["params"]
    if name.startswith("C_") and name not in ("C_ID", "C_Mask", "C_Mask2")
)


def rules() -> set[tuple[str, str]]:
    """Every (HTTP method, rule) of the Klein apps (RoboTarget's under its mount), the CORS preflights aside."""
    return klein_rules()


def problems(line: dict[str, Any]) -> list[str]:
    """What the catalogue finds wrong with one request line, left-out params included."""
    method, params = line["method"], line.get("params", {})
    found = catalogue.request_problems(method, params)
    if found and found[0].endswith("is not a documented Voyager method"):
        return found
    allowed = {} if method in SEND_EVERY_PARAM else LEFT_OUT.get(method, {})
    for name in catalogue.left_out(method, params):
        if name in allowed or (method.endswith("Target") and name in _CONSTRAINTS):
            continue
        found.append(f"{method}: documented param {name} is not sent")
    return found


@pytest.fixture
def proxy() -> Iterator[MemoryProxy]:
    running = MemoryProxy(command_burst=1000, read_burst=1000)
    yield running
    running.stop()


def test_every_route_has_a_case() -> None:
    """Each route of the Klein app is driven here, or said to write nothing, or said why not."""
    listed = set(CASES) | set(QUIET) | set(NOT_DRIVEN)
    assert rules() - listed == set(), "routes without a conformance case"
    assert listed - rules() == set(), "cases for routes that no longer exist"


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda route: f"{route[0]} {route[1]}")
def test_route_sends_only_documented_requests(proxy: MemoryProxy, route: tuple[str, str]) -> None:
    """Each request line a route writes is as the catalogue documents it, and the route answers 2xx."""
    for path, body, methods in CASES[route]:
        code, answer, lines = proxy.request(route[0], path, body)
        assert [line["method"] for line in lines] == methods, (path, lines)
        for line in lines:
            assert problems(line) == [], (path, body, line)
        assert code is None or 200 <= code < 300, (path, answer)
        record("methods sent", *methods)
    record("routes", " ".join(route))
    record("sending routes", " ".join(route))


@pytest.mark.parametrize("route", sorted(QUIET), ids=lambda route: f"{route[0]} {route[1]}")
def test_quiet_routes_write_nothing(proxy: MemoryProxy, route: tuple[str, str]) -> None:
    """Routes answered from the proxy's own state send Voyager nothing."""
    body = {"event": "hello", "data": {}} if route[0] == "POST" else None
    _, _, lines = proxy.request(route[0], QUIET[route], body)
    assert lines == []
    record("routes", " ".join(route))


def test_robotarget_manager_mode_is_documented(proxy: MemoryProxy) -> None:
    """The manager-mode request RoboTarget sends at each session start is as documented."""
    (line,) = proxy.session_start
    assert line["method"] == "RemoteSetRoboTargetManagerMode" and problems(line) == []
    record("methods sent", line["method"])


def test_every_passthrough_method_is_documented() -> None:
    """Each method on the default allow-list (REST passthrough and WebSocket commands) is a documented one."""
    assert [name for name in PUBLIC_METHODS if name not in catalogue.catalogue()["methods"]] == []


def test_websocket_commands(proxy: MemoryProxy) -> None:
    """A WebSocket command reaches Voyager with the client's params and nothing undocumented added."""
    factory = make_factory(proxy.voyager.clock, proxy.voyager.link)
    client = Client(factory)
    client.received()
    for method, params in [("RemoteGetStatus", {}), ("RemoteFilterChangeTo", {"FilterIndex": 2})]:
        client.send(f'{{"action":"command","id":"c1","method":"{method}","params":{json.dumps(params)}}}'.encode())
        (line,) = proxy.serve()
        assert line["method"] == method and {k: v for k, v in line["params"].items() if k != "UID"} == params
        assert problems(line) == []
        record("methods sent", method)
    client.protocol.connectionLost(Failure(ConnectionDone("closed")))


def test_a_renamed_param_is_caught() -> None:
    """The checks refuse the old focuser request, a flag left out, and an undocumented value."""
    assert problems({"method": "RemoteFocuserMoveTo", "params": {"UID": GUID, "Position": 100}})
    move = {
        "UID": GUID,
        "IsAbsoluteMove": True,
        "NewPosition": 1,
        "MoveDirection": 0,
        "IsBLCompensation": False,
        "BLCompVersus": 0,
        "BLCompStep": 0,
        "IsFinalPositionCheck": True,
    }
    assert problems({"method": "RemoteFocuserMoveTo", "params": move}) == []
    assert problems({"method": "RemoteFocuserMoveTo", "params": {k: v for k, v in move.items() if k != "BLCompStep"}})
    assert problems({"method": "RemoteFocuserMoveTo", "params": {**move, "MoveDirection": 2}})
    assert problems({"method": "RemoteRoboTargetAddShot", "params": {"UID": GUID, "MAC": "m", "Gain": "0"}})
