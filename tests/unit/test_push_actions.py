"""The action language of dashboards: the table, the pure reader, and the protocol acting on it."""

from __future__ import annotations

import json

import pytest
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

from tests.support.fake_voyager import unconnected
from tests.unit.test_push_fields import Dashboard
from tests.unit.test_push_flow import make_factory
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import VoyagerSettings
from voyager_proxy.push.actions import (
    ACTIONS,
    Command,
    GetState,
    Ping,
    Problem,
    SetFields,
    SetPreviews,
    Subscribe,
    Topics,
    Unsubscribe,
    read_action,
    timeout_problem,
)
from voyager_proxy.rooms import ROOM_NAME_RULE
from voyager_proxy.voyager import VoyagerLink


def read(message: object, limit: int = 1000) -> object:
    return read_action(json.dumps(message).encode(), False, limit)


def test_the_table_names_every_action() -> None:
    """Exactly the documented actions are known, each read into its own type."""
    assert sorted(ACTIONS) == [
        "command",
        "fields",
        "getState",
        "ping",
        "previews",
        "subscribe",
        "topics",
        "unsubscribe",
    ]
    assert read({"action": "ping"}) == Ping() and read({"action": "getState"}) == GetState()
    assert read({"action": "fields", "fields": "raw"}) == SetFields("raw")
    assert read({"action": "previews", "mode": "binary", "width": 640}) == SetPreviews("binary", 640)
    assert read({"action": "previews", "mode": "inline"}) == SetPreviews("inline")
    assert read({"action": "topics", "exclude": ["newJPG"]}) == Topics(None, frozenset({"newJPG"}))
    assert read({"action": "subscribe", "room": "r1"}) == Subscribe("r1")
    assert read({"action": "unsubscribe", "room": "r1"}) == Unsubscribe("r1")
    assert read({"action": "command", "id": 9, "method": "RemoteGetStatus", "timeout": 5}) == Command(
        9, "RemoteGetStatus", {}, 5
    )


@pytest.mark.parametrize(
    "payload, binary, problem",
    [
        (b"x" * 1001, False, Problem("too_large", "messages are limited to 1000 bytes")),
        (b'{"action":"ping"}', True, Problem("bad_message", "send JSON text frames")),
        (
            b"{nope",
            False,
            Problem(
                "bad_message",
                "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
        ),
        (b"[" * 400 + b"]" * 400, False, Problem("bad_message", "nested deeper than 64 levels")),
        (
            b'{"action":"command","method":"RemoteCameraShot","params":{"Expo":NaN}}',
            False,
            Problem("bad_message", "params.Expo: must be a finite number"),
        ),
        (b'["ping"]', False, Problem("bad_message", "expected an object with an action")),
        (b'{"action":"dance"}', False, Problem("unknown_action", "unknown action 'dance'")),
        (
            b'{"action":"fields","fields":"all"}',
            False,
            Problem("bad_message", "fields must be one of parsed, raw, both"),
        ),
        (
            b'{"action":"previews","mode":"base64"}',
            False,
            Problem("bad_message", "mode must be one of url, inline, binary"),
        ),
        (
            b'{"action":"previews","mode":"url","width":640}',
            False,
            Problem("bad_message", "width: a number of pixels, for binary previews only"),
        ),
        (
            b'{"action":"topics","include":"controlData"}',
            False,
            Problem("bad_message", "include must be a list of topic names"),
        ),
        (b'{"action":"subscribe","room":""}', False, Problem("bad_message", ROOM_NAME_RULE)),
        (
            b'{"action":"command","method":"X","params":[]}',
            False,
            Problem("bad_message", "command needs a method and an object of params"),
        ),
    ],
)
def test_bad_messages_are_problems(payload: bytes, binary: bool, problem: Problem) -> None:
    """Oversize, binary, not JSON, no action, unknown action, bad arguments: each its code and message."""
    assert read_action(payload, binary, 1000) == problem


def test_timeout_must_be_a_positive_number_within_the_limit() -> None:
    """None and (0, longest] pass; zero, too long, text and booleans are refused with the limit named."""
    assert timeout_problem(None, 60) is None and timeout_problem(60, 60) is None and timeout_problem(0.5, 60) is None
    for bad in (0, 61, "5", True):
        assert timeout_problem(bad, 60) == "timeout: must be a number of seconds greater than 0 and at most 60"


def test_a_bad_exclude_leaves_both_topic_lists_alone(clock: MemoryReactorClock) -> None:
    """topics is all or nothing: with a bad exclude the include list is not taken either."""
    dashboard = Dashboard(make_factory(clock, VoyagerLink(clock, VoyagerSettings(), unconnected)))
    dashboard.payloads()
    dashboard.send({"action": "topics", "include": ["signal"], "exclude": 5})
    dashboard.send({"action": "topics"})
    refusal, answer = dashboard.events()
    assert refusal["data"]["code"] == "bad_message"
    assert answer == {"event": "topics", "data": {"include": None, "exclude": []}}


def test_rooms_join_and_leave_and_an_odd_room_is_an_error(clock: MemoryReactorClock) -> None:
    """subscribe then unsubscribe answer with the room; unsubscribing a list is an error event, the connection stays."""
    dashboard = Dashboard(make_factory(clock, VoyagerLink(clock, VoyagerSettings(), unconnected)))
    dashboard.payloads()
    dashboard.send({"action": "subscribe", "room": "r1"})
    assert dashboard.protocol.rooms == {"r1"}
    dashboard.send({"action": "unsubscribe", "room": "r1"})
    dashboard.send({"action": "unsubscribe", "room": [1, 2]})
    joined, left, refused = dashboard.events()
    assert [joined["data"], left["data"]] == [{"room": "r1"}, {"room": "r1"}]
    assert refused["event"] == "error" and refused["data"]["code"] == "bad_message"
    assert dashboard.protocol.rooms == set() and dashboard.protocol.state == dashboard.protocol.STATE_OPEN


@pytest.mark.parametrize("room", ["", "x" * 129, "a b", "r1\n", "caf\u00e9", 7, None])
def test_room_names_are_bounded(room: object) -> None:
    """A room is 1 to 128 of A-Z a-z 0-9 _ . : - (the whole name: a trailing newline is refused too)."""
    problem = read({"action": "subscribe", "room": room})
    assert isinstance(problem, Problem) and problem.code == "bad_message" and "128" in problem.message
    assert read({"action": "subscribe", "room": "booking_456:v1.2-x"}) == Subscribe("booking_456:v1.2-x")


def test_rooms_per_connection_and_in_all_are_bounded(clock: MemoryReactorClock) -> None:
    """Past max_rooms_per_client, or max_rooms over every connection, subscribe gets an error; leaving frees a place."""
    factory = make_factory(
        clock, VoyagerLink(clock, VoyagerSettings(), unconnected), max_rooms_per_client=2, max_rooms=3
    )
    first, second, third = Dashboard(factory), Dashboard(factory), Dashboard(factory)
    for dashboard in (first, second, third):
        dashboard.payloads()
    for room in ("a", "b", "c"):
        first.send({"action": "subscribe", "room": room})
    events = first.events()
    assert [e["event"] for e in events] == ["subscribed", "subscribed", "error"]
    assert events[2]["data"] == {"code": "room_refused", "message": "a connection may be in at most 2 rooms"}
    second.send({"action": "subscribe", "room": "a"})  # a room with members already: no new room
    second.send({"action": "subscribe", "room": "c"})
    third.send({"action": "subscribe", "room": "d"})  # a, b and c have members: a fourth is refused
    assert [e["event"] for e in second.events()] == ["subscribed", "subscribed"]
    (refused,) = third.events()
    assert refused["data"] == {"code": "room_refused", "message": "the proxy serves at most 3 rooms at once"}
    first.protocol.connectionLost(Failure(ConnectionDone()))
    third.send({"action": "subscribe", "room": "d"})  # b went with the first connection; a stays for the second
    assert [e["event"] for e in third.events()] == ["subscribed"]
    assert second.protocol.rooms == {"a", "c"} and third.protocol.rooms == {"d"}


def test_a_narrowed_key_joins_rooms_only_when_its_list_names_rooms(clock: MemoryReactorClock) -> None:
    """A key narrowed to RemoteCameraShot may not join a room; one whose list names rooms may, as may an unnarrowed read key."""
    keys = KeyRing(
        parse_keys(
            [
                f"renter:control:{'r' * 16}:RemoteCameraShot",
                f"host:control:{'h' * 16}:RemoteCameraShot|rooms",
                f"wall:read:{'w' * 16}",
            ]
        )
    )
    factory = make_factory(clock, VoyagerLink(clock, VoyagerSettings(), unconnected), keys=keys)
    answers = []
    for secret in ("r", "h", "w"):
        dashboard = Dashboard(factory, f"?api_key={secret * 16}")
        dashboard.payloads()
        dashboard.send({"action": "subscribe", "room": "booking_1"})
        (answer,) = dashboard.events()
        answers.append(answer["event"] if answer["event"] != "error" else answer["data"]["code"])
    assert answers == ["forbidden", "subscribed", "subscribed"]
