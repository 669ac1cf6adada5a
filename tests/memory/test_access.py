"""Who may reach what: command UIDs made by the proxy, narrowed keys kept to their own, Idempotency-Keys bound."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.memory.test_rest import Proxy, start_proxy
from tests.support.keys import CONTROL, KEYS, READ, RENTER
from tests.support.observatory import Observatory

LESSEE = "lessee-key-0123456789ab"


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    running = start_proxy()
    yield running
    running.observatory.stop()


def long_shot(proxy: Proxy, key: str = CONTROL) -> str:
    """A 60 s shot, acknowledged; its ledger UID."""
    code, body, _ = proxy.call("POST", "/api/camera/shot?wait=false", {"exposure": 60}, key=key)
    assert code == 202, body
    return str(body["uid"])


def test_a_caller_may_not_choose_a_commands_uid(proxy: Proxy) -> None:
    """A UID param naming a running command is refused: its ledger entry stays the shot's, nothing is sent."""
    uid = long_shot(proxy)
    code, body, _ = proxy.call("POST", "/api/commands/RemoteGetStatus", {"UID": uid})
    assert code == 400 and body["error"]["field"] == "UID" and "chosen by the proxy" in body["error"]["message"]
    code, body, _ = proxy.call("GET", f"/api/commands/{uid}")
    assert code == 200 and body["method"] == "RemoteCameraShot" and body["state"] == "acknowledged"
    proxy.call("POST", "/api/commands/RemoteActionAbort", {"UID": uid})


def test_an_abort_has_its_own_ledger_entry(proxy: Proxy) -> None:
    """RemoteActionAbort names the shot's UID: the shot's entry ends aborted, the abort is listed under a UID of its own."""
    uid = long_shot(proxy)
    code, body, _ = proxy.call("POST", "/api/commands/RemoteActionAbort", {"UID": uid})
    assert code == 200 and body["uid"] != uid and body["params"] == {"UID": uid}, body
    abort_uid = body["uid"]
    code, shot, _ = proxy.call("GET", f"/api/commands/{uid}")
    assert code == 200 and shot["method"] == "RemoteCameraShot" and shot["state"] == "aborted"
    code, listed, _ = proxy.call("GET", "/api/commands?limit=2")
    assert [(c["uid"], c["method"]) for c in listed["commands"]] == [
        (abort_uid, "RemoteActionAbort"),
        (uid, "RemoteCameraShot"),
    ]


def test_an_abort_must_name_a_command_of_the_ledger(proxy: Proxy) -> None:
    """A UID the proxy never made is a 400 naming the field; Voyager is not asked."""
    code, body, _ = proxy.call("POST", "/api/commands/RemoteActionAbort", {"UID": "not-running"})
    assert code == 400 and body["error"] == {
        "code": "validation_error",
        "message": "UID 'not-running': names no command of the ledger",
        "field": "UID",
    }


def test_a_narrowed_key_sees_and_aborts_only_its_own_commands() -> None:
    """A narrowed key's ledger lists its own commands only; another caller's is a 404 to it, and aborting it a 400."""
    observatory = Observatory()
    observatory.serve((*KEYS, f"lessee:control:{LESSEE}:RemoteCameraShot|RemoteActionAbort"), {})
    observatory.ready()
    proxy = Proxy(observatory)
    try:
        theirs = long_shot(proxy)
        code, body, _ = proxy.call("POST", "/api/commands/RemoteActionAbort", {"UID": theirs}, key=LESSEE)
        assert code == 400 and "another caller's command" in body["error"]["message"]
        assert proxy.call("POST", "/api/commands/RemoteActionAbort", {"UID": theirs})[0] == 200
        mine = long_shot(proxy, LESSEE)
        code, body, _ = proxy.call("GET", "/api/commands", key=LESSEE)
        assert code == 200 and [c["uid"] for c in body["commands"]] == [mine]
        code, body, _ = proxy.call("GET", f"/api/commands/{theirs}", key=LESSEE)
        assert code == 404 and body["error"]["code"] == "unknown_command"
        code, body, _ = proxy.call("GET", f"/api/commands/{mine}", key=LESSEE)
        assert code == 200 and body["sender"] == "lessee"
        code, body, _ = proxy.call("GET", "/api/commands", key=READ)
        assert [(c["uid"], c["sender"]) for c in body["commands"]][::2] == [(mine, "lessee"), (theirs, "laravel")]
        assert proxy.call("POST", "/api/commands/RemoteActionAbort", {"UID": mine}, key=LESSEE)[0] == 200
    finally:
        observatory.stop()


def test_a_narrowed_key_may_not_post_to_rooms(proxy: Proxy) -> None:
    """POST /api/rooms/{room}/events needs a key not narrowed, or one whose list names rooms."""
    code, body, _ = proxy.call("POST", "/api/rooms/booking_1/events", {"event": "x"}, key=RENTER)
    assert code == 403 and "rooms" in body["error"]["message"]
    code, body, _ = proxy.call("POST", "/api/rooms/booking_1/events", {"event": "x"})
    assert code == 200 and body["delivered"] == 0


def test_a_room_name_is_checked_on_rest_too(proxy: Proxy) -> None:
    """A room name outside the rule is a 400 naming the room, as a WebSocket subscribe would be refused."""
    code, body, _ = proxy.call("POST", "/api/rooms/" + "x" * 129 + "/events", {"event": "x"})
    assert code == 400 and body["error"]["field"] == "room"


def test_an_idempotency_key_is_bound_to_its_route_and_body(proxy: Proxy) -> None:
    """
    The same key again replays (its body's keys in any order); on another
    route or with another body it is a 422, nothing is sent: C{1} is not
    C{true}, nor C{0.2} the same as C{"0.2"}.
    """
    headers = {"Idempotency-Key": "booking-7"}
    code, first, _ = proxy.call("POST", "/api/camera/shot", {"exposure": 0.2}, headers=headers)
    assert code == 200
    code, again, replayed = proxy.call("POST", "/api/camera/shot", {"exposure": 0.2}, headers=headers)
    assert code == 200 and again["uid"] == first["uid"] and replayed.getRawHeaders("Idempotent-Replay") == ["true"]
    for method, path, body in (
        ("POST", "/api/camera/shot", {"exposure": 5}),
        ("POST", "/api/telescope/park", None),
    ):
        code, refused, _ = proxy.call(method, path, body, headers=headers)
        assert code == 422 and refused["error"]["code"] == "idempotency_key_reused", refused
        assert refused["error"]["uid"] == first["uid"]
    mode = {"Idempotency-Key": "mode-1"}
    code, first_mode, _ = proxy.call("POST", "/api/commands/RemoteSetDashboardMode", {"IsOn": True}, headers=mode)
    assert code == 200
    code, refused, _ = proxy.call("POST", "/api/commands/RemoteSetDashboardMode", {"IsOn": 1}, headers=mode)
    assert code == 422 and refused["error"]["code"] == "idempotency_key_reused", refused
    assert refused["error"]["uid"] == first_mode["uid"]
    code, listed, _ = proxy.call("GET", "/api/commands")
    assert [c["uid"] for c in listed["commands"]] == [first_mode["uid"], first["uid"]]


def test_failed_authentications_get_429_per_address() -> None:
    """Past api.failed_auth_burst failures an address gets 429 with Retry-After, in the envelope; a valid key still passes."""
    proxy = start_proxy(failed_auth_burst=2, failed_auth_rate=0.5)
    try:
        answers = [proxy.call("GET", "/api/status/connection", key="wrong-key-0123456789") for _ in range(3)]
        assert [code for code, _, _ in answers] == [403, 403, 429]
        _, body, headers = answers[2]
        assert body["error"]["code"] == "rate_limited" and headers.getRawHeaders("Retry-After") == ["2"]
        assert proxy.call("GET", "/api/status/connection", key=READ)[0] == 200
        assert proxy.call("GET", "/api/status/connection", key=None)[0] == 429  # no key is a failure too
    finally:
        proxy.observatory.stop()
