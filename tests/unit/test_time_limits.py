"""Time limits callers give commands (REST ?timeout=, WebSocket timeout), and the ack-ended abort route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from treq.testing import StubTreq
from twisted.internet.defer import Deferred

from tests.support.fake_voyager import FakeVoyager
from tests.unit.test_push_flow import Client, make_factory
from voyager_proxy.auth import KeyRing
from voyager_proxy.config import ApiSettings
from voyager_proxy.voyager.commands import default_timeout
from voyager_proxy.web import build_front


@pytest.fixture
def voyager() -> FakeVoyager:
    fake = FakeVoyager()
    fake.ready()
    return fake


class Rest:
    """The proxy's routes over StubTreq, in front of a hand-played Voyager."""

    def __init__(self, voyager: FakeVoyager) -> None:
        self.treq = StubTreq(
            build_front(voyager.link, voyager.clock, ApiSettings(max_command_timeout=3600.0), KeyRing(())).root
        )

    def post(self, path: str) -> Deferred[Any]:
        # StubTreq sets treq's functions on itself with setattr, so its type names none of them.
        post = self.treq.post  # type: ignore[attr-defined]
        response: Deferred[Any] = post(f"http://127.0.0.1{path}", headers={"Content-Type": "application/json"})
        return response

    def arrived(self, response: Deferred[Any]) -> list[Any]:
        """The response, once it has arrived (an empty list before)."""
        self.treq.flush()
        results: list[Any] = []

        def keep(result: Any) -> Any:
            results.append(result)
            return result

        response.addBoth(keep)
        return results

    def answer(self, response: Deferred[Any]) -> tuple[int, dict[str, Any]]:
        """Status and JSON body of a response that has arrived."""
        results = self.arrived(response)
        assert results, "no answer yet"
        body: list[bytes] = []
        self.treq.content(results[0]).addCallback(body.append)  # type: ignore[attr-defined]
        self.treq.flush()
        return results[0].code, json.loads(body[0])


def test_abort_route_answers_from_the_ack(voyager: FakeVoyager) -> None:
    """POST /api/control/abort sends Abort without a UID and answers 200 as soon as Voyager acks it."""
    rest = Rest(voyager)
    response = rest.post("/api/control/abort")
    rest.treq.flush()
    (request,) = voyager.said_by_link()
    assert request["method"] == "Abort" and request["params"] == {"IsHalt": True}
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    code, body = rest.answer(response)
    assert code == 200 and body["state"] == "ok" and body["result"]["result"] == 0
    voyager.stop()


def test_rest_timeout_is_the_callers_and_a_late_command_may_still_run(voyager: FakeVoyager) -> None:
    """?timeout= replaces the method's limit; past it the answer is 504 saying Voyager may still be running it."""
    rest = Rest(voyager)
    response = rest.post("/api/commands/RemoteGetStatus?timeout=2.5")
    rest.treq.flush()
    (request,) = voyager.said_by_link()
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    voyager.clock.advance(2.4)
    assert rest.arrived(response) == []
    voyager.clock.advance(0.1)
    code, body = rest.answer(response)
    assert code == 504 and body["error"]["code"] == "timeout"
    assert "may still be running" in body["error"]["message"] and body["error"]["acknowledged"] is True
    voyager.stop()


@pytest.mark.parametrize("value", ["abc", "0", "-1", "3601", "nan", "inf"])
def test_rest_timeout_out_of_range_is_400_naming_the_field(voyager: FakeVoyager, value: str) -> None:
    """A ?timeout= that is not a number of seconds within the configured maximum is refused before sending."""
    rest = Rest(voyager)
    code, body = rest.answer(rest.post(f"/api/commands/RemoteGetStatus?timeout={value}"))
    assert code == 400 and body["error"]["field"] == "timeout"
    assert voyager.said_by_link() == []
    voyager.stop()


def test_websocket_command_timeout_field(voyager: FakeVoyager) -> None:
    """A WebSocket command's timeout is its limit; a bad one is refused naming the field."""
    client = Client(make_factory(voyager.clock, voyager.link))
    client.received()
    client.send(b'{"action":"command","id":1,"method":"RemoteGetStatus","timeout":"soon"}')
    (refused,) = client.events()
    assert refused["data"]["success"] is False and refused["data"]["error"]["field"] == "timeout"
    assert voyager.said_by_link() == []
    client.send(b'{"action":"command","id":2,"method":"RemoteGetStatus","timeout":4}')
    (request,) = voyager.said_by_link()
    voyager.clock.advance(4)
    (late,) = [e for e in client.events() if e["event"] == "commandResult"]
    assert late["data"]["id"] == 2 and late["data"]["error"]["code"] == "timeout"
    assert "may still be running" in late["data"]["error"]["message"]
    voyager.stop()


def test_default_limits_follow_what_each_method_waits_for() -> None:
    """Shots wait their exposure, setup its own timeout, sequences hours, RoboTarget 30 s, others the default."""
    assert default_timeout("RemoteCameraShot", {"Expo": 300}, 60) == 300 + 120
    assert default_timeout("RemoteSetupConnect", {"TimeoutConnect": 90}, 60) == 90 + 30
    assert default_timeout("RemoteSetupDisconnect", {"TimeoutDisconnect": 45}, 60) == 45 + 30
    assert default_timeout("RemoteRunExternal", {"TimeoutMilliseconds": 10_000}, 60) == 10 + 30
    assert default_timeout("RemoteSequence", {}, 60) >= 6 * 3600
    assert 5 * 60 <= default_timeout("RemoteFocusEx", {}, 60) <= 30 * 60
    assert 5 * 60 <= default_timeout("RemotePrecisePointTarget", {}, 60) <= 30 * 60
    assert default_timeout("RemoteCooling", {"IsASync": False}, 60) >= 10 * 60
    assert default_timeout("RemoteRoboTargetGetSet", {}, 60) == 30
    assert default_timeout("RemoteGetStatus", {}, 60) == 60
