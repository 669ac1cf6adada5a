"""Real-time push over WebSocket, against the proxy connected to the simulator."""

from __future__ import annotations

import json
import time
from typing import Any, AsyncIterator

import jwt
import pytest
import treq

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.threads import deferToThread
from twisted.web.server import Site
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as sync_connect

from tests.integration.conftest import RunningSimulator, make_link
from tests.support.waiting import ready
from tests.support.ws_client import connect
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings, WebSocketSettings
from voyager_proxy.web import build_root

KEY = "push-key-0123456789abcd"
CONTROL = "push-control-key-0123456789"


@pytest_twisted.async_yield_fixture
async def ws_url(simulator: RunningSimulator) -> AsyncIterator[str]:
    link = make_link(simulator)
    api = ApiSettings(keys=(f"dashboard:read:{KEY}",))
    port = reactor.listenTCP(0, Site(build_root(link, reactor, api, KeyRing(parse_keys(api.keys)))), interface="127.0.0.1")
    link.startService()
    await ready(link)
    yield f"ws://127.0.0.1:{port.getHost().port}/ws"
    await link.stopService()
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_initial_state_then_events_in_sequence(ws_url: str) -> None:
    """initialState first (epoch, seq, connection), then events with increasing seq and parsed parts."""
    client = await connect(ws_url, {"X-API-Key": KEY})
    first = await client.next_event()
    assert first["event"] == "initialState"
    assert first["data"]["connection"]["state"] == "ready" and first["data"]["epoch"]
    control = await client.next_event("controlData")
    assert control["seq"] > first["data"]["seq"]
    assert control["data"]["parsed"]["camera"]["connected"] is True and "CCDTEMP" in control["data"]
    later = await client.next_event("controlData")
    assert later["seq"] > control["seq"]
    client.sendClose()
    await client.closed


@pytest_twisted.ensureDeferred
async def test_actions_ping_state_topics_and_bad_input(ws_url: str) -> None:
    """ping -> pong, getState -> state, topics filter, and errors that keep the connection open."""
    client = await connect(f"{ws_url}?api_key={KEY}")
    await client.next_event("initialState")
    client.send({"action": "ping"})
    assert (await client.next_event("pong"))["event"] == "pong"
    client.send({"action": "getState"})
    assert "controlData" in (await client.next_event("state"))["data"]
    client.sendMessage(b"not json")
    assert (await client.next_event("error"))["data"]["code"] == "bad_message"
    client.send({"action": "dance"})
    assert (await client.next_event("error"))["data"]["code"] == "unknown_action"
    client.send({"action": "topics", "include": ["pong"]})
    await client.next_event("topics")
    client.send({"action": "ping"})
    assert (await client.next_event())["event"] == "pong"  # no controlData slipped in
    client.sendClose()
    await client.closed


@pytest_twisted.ensureDeferred
async def test_handshake_refused_without_a_valid_key(ws_url: str) -> None:
    """No key is refused with 401, a wrong key with 403, before the upgrade (websockets library)."""

    def status_of(headers: dict[str, str]) -> int:
        try:
            with sync_connect(ws_url, additional_headers=headers, open_timeout=10):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    assert await deferToThread(status_of, {}) == 401
    assert await deferToThread(status_of, {"X-API-Key": "wrong-key-0123456789"}) == 403


@pytest_twisted.ensureDeferred
async def test_websockets_library_client_receives_events(ws_url: str) -> None:
    """A second, independent client (websockets, sync API in a thread) gets initialState and events."""

    def first_two() -> list[dict[str, Any]]:
        with sync_connect(ws_url, additional_headers={"X-API-Key": KEY}, open_timeout=10) as socket:
            return [json.loads(socket.recv(timeout=10)) for _ in range(2)]

    initial, event = await deferToThread(first_two)
    assert initial["event"] == "initialState" and event["seq"] >= 1


SECRET = "jwt-secret-shared-with-laravel-0123456789"


@pytest_twisted.async_yield_fixture
async def proxy_url(simulator: RunningSimulator) -> AsyncIterator[str]:
    link = make_link(simulator)
    api = ApiSettings(keys=(f"laravel:control:{CONTROL}", f"dashboard:read:{KEY}"))
    root = build_root(link, reactor, api, KeyRing(parse_keys(api.keys)), WebSocketSettings(jwt_secret=SECRET))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    link.startService()
    await ready(link)
    yield f"127.0.0.1:{port.getHost().port}"
    await link.stopService()
    await port.stopListening()


def token(scope: str = "read", rooms: list[str] | None = None, lifetime: float = 600) -> str:
    now = time.time()
    claims = {"sub": "user-7", "scope": scope, "rooms": rooms or ["booking_456"], "exp": now + lifetime}
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest_twisted.ensureDeferred
async def test_tokens_and_rooms(proxy_url: str) -> None:
    """A Laravel JWT joins its own rooms only, gets room messages; expired or forged tokens are refused."""
    client = await connect(f"ws://{proxy_url}/ws?token={token()}")
    await client.next_event("initialState")
    client.send({"action": "subscribe", "room": "booking_999"})
    assert (await client.next_event("error"))["data"]["code"] == "forbidden"
    client.send({"action": "subscribe", "room": "booking_456"})
    await client.next_event("subscribed")
    response = await treq.post(
        f"http://{proxy_url}/api/rooms/booking_456/events",
        json={"event": "bookingEnding", "data": {"minutesLeft": 5}},
        headers={"X-API-Key": CONTROL},
    )
    assert (await response.json())["delivered"] == 1
    message = await client.next_event("bookingEnding")
    assert message["data"] == {"minutesLeft": 5, "room": "booking_456"}
    client.send({"action": "command", "id": "cmd_1", "method": "RemoteGetStatus", "params": {}})
    refused = await client.next_event("commandResult")
    assert refused["data"]["id"] == "cmd_1" and refused["data"]["success"] is False
    client.sendClose()
    await client.closed
    for bad in (token(lifetime=-10), jwt.encode({"sub": "x", "scope": "read", "exp": time.time() + 60}, "forged-secret-of-at-least-32-bytes!!")):
        with pytest.raises(ConnectionError):
            await connect(f"ws://{proxy_url}/ws?token={bad}")


@pytest_twisted.ensureDeferred
async def test_commands_answered_with_their_own_id(proxy_url: str) -> None:
    """A control client's commands come back as commandResult with their own id, in the shared ledger."""
    client = await connect(f"ws://{proxy_url}/ws", {"X-API-Key": CONTROL})
    await client.next_event("initialState")
    for n in range(3):
        client.send({"action": "command", "id": f"cmd_{n}", "method": "RemoteGetStatus", "params": {}})
    results = [(await client.next_event("commandResult"))["data"] for _ in range(3)]
    assert sorted(r["id"] for r in results) == ["cmd_0", "cmd_1", "cmd_2"]
    assert all(r["success"] and r["result"]["parsed"]["name"] == "OK" for r in results)
    response = await treq.get(f"http://{proxy_url}/api/commands/{results[0]['uid']}", headers={"X-API-Key": CONTROL})
    assert (await response.json())["sender"] == "laravel"
    client.sendClose()
    await client.closed


@pytest_twisted.ensureDeferred
async def test_resume_replays_exactly_the_missed_messages(ws_url: str) -> None:
    """Reconnecting with since/epoch replays every missed seq (or names it omitted); a new epoch gets initialState."""
    client = await connect(ws_url, {"X-API-Key": KEY})
    epoch = (await client.next_event("initialState"))["data"]["epoch"]
    last_seen = (await client.next_event("controlData"))["seq"]
    client.sendClose()
    await client.closed
    watcher = await connect(ws_url, {"X-API-Key": KEY})
    await watcher.next_event("initialState")
    later = (await watcher.next_event("controlData"))["seq"]
    await watcher.next_event("controlData")
    resumed = await connect(f"{ws_url}?since={last_seen}&epoch={epoch}", {"X-API-Key": KEY})
    header = await resumed.next_event()
    assert header["event"] == "resumed" and header["data"]["from"] == last_seen + 1
    expected = [seq for seq in range(last_seen + 1, header["data"]["to"] + 1) if seq not in header["data"]["omitted"]]
    replayed = [(await resumed.next_event())["seq"] for _ in expected]
    assert replayed == expected and later in replayed
    stale = await connect(f"{ws_url}?since={last_seen}&epoch=another-run", {"X-API-Key": KEY})
    assert (await stale.next_event())["event"] == "initialState"
    for socket in (watcher, resumed, stale):
        socket.sendClose()
        await socket.closed
