"""The action language of dashboards: the table, the pure reader, and the protocol acting on it."""

from __future__ import annotations

import json

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.support.fake_voyager import unconnected
from tests.unit.test_push_fields import Dashboard
from tests.unit.test_push_flow import make_factory
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
    assert read({"action": "unsubscribe", "room": 3}) == Unsubscribe(3)
    assert read({"action": "command", "id": 9, "method": "RemoteGetStatus", "timeout": 5}) == Command(
        9, "RemoteGetStatus", {}, 5
    )


@pytest.mark.parametrize(
    "payload, binary, problem",
    [
        (b"x" * 1001, False, Problem("too_large", "messages are limited to 1000 bytes")),
        (b'{"action":"ping"}', True, Problem("bad_message", "send JSON text frames")),
        (b"{nope", False, Problem("bad_message", "not JSON")),
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
        (b'{"action":"subscribe","room":""}', False, Problem("bad_message", "room must be a non-empty string")),
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


def test_rooms_join_and_leave_and_an_odd_room_is_echoed(clock: MemoryReactorClock) -> None:
    """subscribe then unsubscribe answer with the room; unsubscribing a non-text room answers without failing."""
    dashboard = Dashboard(make_factory(clock, VoyagerLink(clock, VoyagerSettings(), unconnected)))
    dashboard.payloads()
    dashboard.send({"action": "subscribe", "room": "r1"})
    assert dashboard.protocol.rooms == {"r1"}
    dashboard.send({"action": "unsubscribe", "room": "r1"})
    dashboard.send({"action": "unsubscribe", "room": ["r1"]})
    assert [e["data"] for e in dashboard.events()] == [{"room": "r1"}, {"room": "r1"}, {"room": ["r1"]}]
    assert dashboard.protocol.rooms == set() and dashboard.protocol.state == dashboard.protocol.STATE_OPEN


@pytest.fixture
def clock() -> MemoryReactorClock:
    return MemoryReactorClock()
