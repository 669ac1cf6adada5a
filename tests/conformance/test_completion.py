"""Every documented method completes, and is sent, the way Voyager's documents say."""

from __future__ import annotations

import pytest

from tests.support import catalogue
from tests.support.fake_voyager import FakeVoyager
from voyager_proxy.voyager.commands import (
    ANSWER_EVENTS,
    FAMILIES,
    ROBOTARGET_TIMEOUT,
    RULES,
    Completion,
    Uid,
    completion_for,
    default_timeout,
    rule_for,
)

METHODS = catalogue.methods()
# Params whose value is how long the action itself may take, in seconds (or ms).
DURATION_PARAMS = {"Expo": 1.0, "TimeoutConnect": 1.0, "TimeoutDisconnect": 1.0, "TimeoutMilliseconds": 0.001}


def expected_completion(final: str) -> Completion:
    if final == "none":
        return Completion.ACK
    if final == "RemoteActionResult":
        return Completion.RESULT
    return Completion.EVENT


@pytest.mark.parametrize("method", METHODS)
def test_completion_is_the_documented_final(method: str, checked: dict[str, set[str]]) -> None:
    """completion_for gives each method the end its documented final says (ack, answer event or result)."""
    final = catalogue.final(method)
    assert completion_for(method) is expected_completion(final), final
    if final not in ("none", "RemoteActionResult"):
        assert ANSWER_EVENTS[method] == final
    checked["methods"].add(method)


@pytest.mark.parametrize("method", METHODS)
def test_uid_is_sent_only_where_documented(method: str) -> None:
    """The proxy sends a UID exactly to the methods whose documented params have one."""
    assert (rule_for(method).uid is not Uid.NONE) == catalogue.takes_uid(method)


def test_requests_as_sent_carry_a_uid_only_where_documented(checked: dict[str, set[str]]) -> None:
    """Sending every documented method through the link: no UID for Abort, disconnect, GetArrayElementData; one elsewhere."""
    voyager = FakeVoyager()
    voyager.ready()
    for method in METHODS:
        voyager.link.submit(method, {})
        (request,) = voyager.said_by_link()
        problems = [p for p in catalogue.request_problems(method, request["params"]) if "UID" in p]
        assert problems == [], problems
        checked["methods"].add(method)
    voyager.stop()


def test_the_rule_table_names_only_documented_methods() -> None:
    """Every method in the table, and every family prefix, is one the documents have."""
    assert sorted(set(RULES) - set(METHODS)) == []
    for prefix in FAMILIES:
        assert any(method.startswith(prefix) for method in METHODS), prefix


def test_every_exception_to_the_general_rule_has_its_own_entry() -> None:
    """Methods that end without a RemoteActionResult, or take no UID, are listed in the table by name."""
    exceptional = [m for m in METHODS if catalogue.final(m) != "RemoteActionResult" or not catalogue.takes_uid(m)]
    assert exceptional and sorted(set(exceptional) - set(RULES)) == []


@pytest.mark.parametrize("method", METHODS)
def test_default_limit_covers_the_actions_own_duration(method: str) -> None:
    """A method with a duration param waits that long plus overhead; RoboTarget calls 30 s; every limit is positive."""
    params = catalogue.method(method)["params"]
    assert default_timeout(method, {}, 60.0) > 0
    for name, scale in DURATION_PARAMS.items():
        if name in params:
            assert default_timeout(method, {name: 1000}, 60.0) >= 1000 * scale + default_timeout(method, {}, 60.0)
    if "RoboTarget" in method:
        assert default_timeout(method, {}, 60.0) == ROBOTARGET_TIMEOUT


def test_long_actions_get_long_limits() -> None:
    """Sequences wait hours; cooling, gotos and autofocus minutes; queries the configured default."""
    assert default_timeout("RemoteSequence", {}, 60.0) >= 6 * 3600
    assert default_timeout("RemoteDragScriptSelfContained", {}, 60.0) >= 6 * 3600
    for method in ("RemoteCooling", "RemotePrecisePointTarget", "RemoteFocusEx", "RemoteFlat"):
        assert 5 * 60 <= default_timeout(method, {}, 60.0) <= 3600, method
    assert default_timeout("RemoteGetStatus", {}, 60.0) == 60.0
