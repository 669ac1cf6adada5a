"""One failure vocabulary: what REST answers, the ledger records and WebSocket replies say."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fake_voyager import FakeVoyager
from tests.unit.test_push_flow import Client, make_factory
from voyager_proxy.failures import INTERNAL, describe
from voyager_proxy.ledger import CommandLedger, LedgerEntry
from voyager_proxy.rest.envelope import from_failure
from voyager_proxy.voyager.errors import ActionFailed, CommandRejected, CommandTimeout, NotReady, VoyagerError


class SlowerTimeout(CommandTimeout):
    """A subclass nobody listed."""


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotReady("disconnected"), 503, "voyager_not_ready"),
        (ActionFailed("RemoteCameraShot", "u1", 5, "FINISHED_ERROR", "no camera", {}), 502, "voyager_error"),
        (CommandRejected("RemoteCameraShot", "u1", 1, "busy"), 502, "voyager_error"),
        (CommandTimeout("RemoteCameraShot", "u1", 30, True), 504, "timeout"),
        (SlowerTimeout("RemoteCameraShot", "u1", 30, True), 504, "timeout"),
        (VoyagerError("something else"), 502, "voyager_error"),
    ],
)
def test_each_failure_has_one_status_and_code(error: Exception, status: int, code: str) -> None:
    """describe() walks the MRO: listed classes, their subclasses and the VoyagerError base each get one name."""
    described = describe(error)
    assert (described.status, described.code, described.message) == (status, code, str(error))


def test_anything_unlisted_is_internal_and_says_nothing_of_itself() -> None:
    """An unexpected exception is a 500 internal_error whose message leaks none of the exception's text."""
    assert describe(KeyError("secret-thing")) is INTERNAL
    assert "secret-thing" not in INTERNAL.message


def test_rest_and_ledger_use_the_same_code_and_details() -> None:
    """A failed command reads the same in the REST envelope and in its ledger entry."""
    fake = FakeVoyager()
    fake.ready()
    command = fake.link.submit("RemoteGetStatus", {}, None)
    (request,) = fake.said_by_link()
    fake.say({"jsonrpc": "2.0", "error": {"code": 1, "message": "busy"}, "id": request["id"]})
    outcomes: list[Any] = []
    command.finished().addErrback(outcomes.append)
    failure = outcomes[0].value
    entry: LedgerEntry = CommandLedger(5).record(command, "laravel", None)
    envelope = from_failure(failure).body()["error"]
    assert entry.as_dict()["error"] == envelope
    assert envelope["code"] == "voyager_error" and envelope["rpcCode"] == 1
    fake.stop()


def test_websocket_replies_use_the_same_vocabulary() -> None:
    """A WebSocket command refused while Voyager is not ready says voyager_not_ready, as REST does."""
    fake = FakeVoyager()
    client = Client(make_factory(fake.clock, fake.link))
    client.received()
    client.send(b'{"action":"command","id":1,"method":"RemoteGetStatus"}')
    (refused,) = [e for e in client.events() if e["event"] == "commandResult"]
    assert refused["data"]["success"] is False
    assert refused["data"]["error"] == describe(NotReady("stopped")).as_error()
