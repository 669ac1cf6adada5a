"""Real-time push over WebSocket, against the proxy connected to the simulator."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest
import pytest_twisted  # type: ignore[import-untyped]  # pytest-twisted ships no py.typed or stubs
import treq
from twisted.internet import reactor, tcp
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ClientCreator, Protocol
from twisted.internet.threads import deferToThread
from twisted.web.server import Site
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as sync_connect

from tests.integration.conftest import RunningSimulator, make_link
from tests.support.loopback import listen_locally, stop_listening
from tests.support.waiting import ready
from tests.support.ws_client import connect
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings, WebSocketSettings
from voyager_proxy.web import build_front

KEY = "push-key-0123456789abcd"
CONTROL = "push-control-key-0123456789"
# Typed as treq takes them: a dict[str, str] literal does not infer to its dict[bytes | str, bytes | str].
CONTROL_HEADERS: dict[bytes | str, bytes | str] = {"X-API-Key": CONTROL}
KEY_HEADERS: dict[bytes | str, bytes | str] = {"X-API-Key": KEY}


def handshake_status(url: str, headers: dict[str, str]) -> Deferred[int]:
    """The HTTP status of a handshake by the websockets library (101 when it opens)."""

    def attempt() -> int:
        try:
            with sync_connect(url, additional_headers=headers, open_timeout=10):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    return deferToThread(attempt)


@pytest_twisted.async_yield_fixture
async def ws_url(simulator: RunningSimulator) -> AsyncIterator[str]:
    link = make_link(simulator)
    api = ApiSettings(keys=(f"dashboard:read:{KEY}",))
    port, number = await listen_locally(Site(build_front(link, reactor, api, KeyRing(parse_keys(api.keys))).root))
    link.startService()
    await ready(link)
    yield f"ws://127.0.0.1:{number}/ws"
    await link.stopService()
    await stop_listening(port)


@pytest_twisted.ensureDeferred
async def test_initial_state_then_events_in_sequence(ws_url: str) -> None:
    """initialState first (epoch, seq, connection), then events with increasing seq and parsed parts."""
    client = await connect(ws_url, {"X-API-Key": KEY})
    first = await client.next_event()
    assert first["event"] == "initialState"
    assert first["data"]["connection"]["state"] == "ready" and first["data"]["epoch"]
    control = await client.next_event("controlData")
    assert control["seq"] > first["data"]["seq"]
    assert control["data"]["parsed"]["camera"]["connected"] is True and "Timestamp" in control["data"]
    assert "CCDTEMP" not in control["data"]  # the default frame is parsed
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

    assert await handshake_status(ws_url, {}) == 401
    assert await handshake_status(ws_url, {"X-API-Key": "wrong-key-0123456789"}) == 403


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
    link = make_link(simulator, log_events=True)
    api = ApiSettings(keys=(f"laravel:control:{CONTROL}", f"dashboard:read:{KEY}"))
    root = build_front(link, reactor, api, KeyRing(parse_keys(api.keys)), WebSocketSettings(jwt_secret=SECRET)).root
    port, number = await listen_locally(Site(root))
    link.startService()
    await ready(link)
    yield f"127.0.0.1:{number}"
    await link.stopService()
    await stop_listening(port)


def token(scope: str = "read", rooms: list[str] | None = None, lifetime: float = 600) -> str:
    now = time.time()
    claims = {"sub": "user-7", "scope": scope, "rooms": rooms or ["booking_456"], "iat": now, "exp": now + lifetime}
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
        headers=CONTROL_HEADERS,
    )
    assert (await response.json())["delivered"] == 1
    message = await client.next_event("bookingEnding")
    assert message["data"] == {"minutesLeft": 5, "room": "booking_456"}
    client.send({"action": "command", "id": "cmd_1", "method": "RemoteGetStatus", "params": {}})
    refused = await client.next_event("commandResult")
    assert refused["data"]["id"] == "cmd_1" and refused["data"]["success"] is False
    client.sendClose()
    await client.closed
    for bad in (
        token(lifetime=-10),
        jwt.encode(
            {"sub": "x", "scope": "read", "iat": time.time(), "exp": time.time() + 60},
            "forged-secret-of-at-least-32-bytes!!",
        ),
    ):
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
    response = await treq.get(f"http://{proxy_url}/api/commands/{results[0]['uid']}", headers=CONTROL_HEADERS)
    assert (await response.json())["sender"] == "laravel"
    client.sendClose()
    await client.closed


@pytest_twisted.ensureDeferred
async def test_a_websocket_command_may_not_take_over_another_callers_uid(proxy_url: str) -> None:
    """A WS command naming a running REST command's UID is refused; the REST caller's entry stays its own."""
    response = await treq.post(
        f"http://{proxy_url}/api/camera/shot?wait=false", json={"exposure": 30}, headers=CONTROL_HEADERS
    )
    uid = (await response.json())["uid"]
    client = await connect(f"ws://{proxy_url}/ws", {"X-API-Key": CONTROL})
    await client.next_event("initialState")
    client.send({"action": "command", "id": "steal", "method": "RemoteGetStatus", "params": {"UID": uid}})
    refused = (await client.next_event("commandResult"))["data"]
    assert refused["success"] is False and refused["error"]["code"] == "validation_error"
    assert refused["error"]["field"] == "UID"
    response = await treq.get(f"http://{proxy_url}/api/commands/{uid}", headers=CONTROL_HEADERS)
    entry = await response.json()
    assert entry["method"] == "RemoteCameraShot" and entry["state"] in ("acknowledged", "running")
    client.send({"action": "command", "id": "stop", "method": "RemoteActionAbort", "params": {"UID": uid}})
    stopped = (await client.next_event("commandResult"))["data"]
    assert stopped["success"] is True and stopped["uid"] != uid
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
    for client in (watcher, resumed, stale):
        client.sendClose()
        await client.closed


@pytest_twisted.async_yield_fixture
async def tight_proxy(simulator: RunningSimulator) -> AsyncIterator[tuple[str, RunningSimulator]]:
    """A proxy allowing 3 clients, closing a client full for 1 s."""
    link = make_link(simulator)
    api = ApiSettings(keys=(f"dashboard:read:{KEY}",))
    settings = WebSocketSettings(
        max_clients=3, slow_client_timeout=1.0, max_message_bytes=4096, allowed_origins=("https://app.example",)
    )
    port, number = await listen_locally(
        Site(build_front(link, reactor, api, KeyRing(parse_keys(api.keys)), settings).root)
    )
    link.startService()
    await ready(link)
    yield f"127.0.0.1:{number}", simulator
    await link.stopService()
    await stop_listening(port)


class NonReader(Protocol):
    """Opens the WebSocket, then never reads again, like a frozen browser tab."""

    def __init__(self) -> None:
        self.upgraded: Deferred[None] = Deferred()
        self.lost: Deferred[None] = Deferred()
        self._response = b""

    @property
    def connection(self) -> tcp.Connection:
        """The TCP connection under this protocol, once connected."""
        transport: object = self.transport  # mypy-zope finds no class both an ITransport and a tcp.Connection
        assert isinstance(transport, tcp.Connection)
        return transport

    def connectionMade(self) -> None:
        self.connection.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.connection.write(
            b"GET /ws?previews=inline HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + f"X-API-Key: {KEY}\r\n\r\n".encode()
        )

    def dataReceived(self, data: bytes) -> None:
        self._response += data
        if not self.upgraded.called and b"\r\n\r\n" in self._response:
            assert self._response.startswith(b"HTTP/1.1 101")
            self.connection.pauseProducing()
            self.upgraded.callback(None)

    def connectionLost(self, reason: Any = None) -> None:
        self.lost.callback(None)


async def metric_value(address: str, line_start: str) -> float:
    response = await treq.get(f"http://{address}/metrics", headers=KEY_HEADERS)
    for line in (await response.text()).splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest_twisted.ensureDeferred
async def test_slow_client_is_coalesced_then_closed_while_a_fast_one_gets_everything(
    tight_proxy: tuple[str, RunningSimulator],
) -> None:
    """10 inline previews of 1 MB: the non-reader fills, is coalesced, closed after 1 s; the reader misses no seq."""
    address, simulator = tight_proxy
    fast = await connect(f"ws://{address}/ws?previews=inline", {"X-API-Key": KEY})
    first_seq = (await fast.next_event("initialState"))["data"]["seq"]
    slow = NonReader()
    host, port = address.split(":")
    await ClientCreator(reactor, lambda: slow).connectTCP(host, int(port))
    await slow.upgraded
    sim = simulator.simulator
    for n in range(10):
        sim.broadcast(sim.event("NewJPGReady", File=f"frame{n}.fit", Expo=1, Bin=1, Base64Data="A" * 1_000_000))
    seqs, previews = [], 0
    while previews < 10:
        message = await fast.next_event()
        seqs.append(message["seq"])
        previews += message["event"] == "newJPG"
    last_preview = seqs[-1]
    # ControlData comes every 0.2 s: 15 more span the 1 s deadline and Autobahn's 1 s close handshake.
    while sum(1 for seq in seqs if seq > last_preview) < 15:
        seqs.append((await fast.next_event())["seq"])
    slow.connection.resumeProducing()  # it reads again, and finds the connection closed
    waiting = slow.lost
    waiting.addTimeout(10, reactor)
    await waiting
    assert seqs == list(range(first_seq + 1, first_seq + 1 + len(seqs)))
    assert await metric_value(address, 'voyager_proxy_websocket_closed_total{reason="slow"}') == 1
    assert await metric_value(address, "voyager_proxy_websocket_coalesced_total") >= 1
    fast.sendClose()
    await fast.closed


@pytest_twisted.ensureDeferred
async def test_full_house_origins_oversize_and_flood(tight_proxy: tuple[str, RunningSimulator]) -> None:
    """A 4th client gets 503, a foreign Origin 403; an oversize message an error; a flood errors then 1008."""
    address, _ = tight_proxy
    clients = [await connect(f"ws://{address}/ws", {"X-API-Key": KEY}) for _ in range(3)]
    assert await handshake_status(f"ws://{address}/ws", {"X-API-Key": KEY}) == 503
    clients[2].sendClose()
    await clients[2].closed
    assert await handshake_status(f"ws://{address}/ws", {"X-API-Key": KEY, "Origin": "https://evil.example"}) == 403
    clients[2] = await connect(f"ws://{address}/ws", {"X-API-Key": KEY, "Origin": "https://app.example"})
    client = clients[0]
    client.send({"action": "ping", "pad": "x" * 5000})
    assert (await client.next_event("error"))["data"]["code"] == "too_large"
    client.send({"action": "ping"})
    await client.next_event("pong")
    for _ in range(100):
        client.send({"action": "ping"})
    assert (await client.next_event("error"))["data"]["code"] == "rate_limited"
    _, code, reason = await client.closed
    assert code == 1008 and "flooding" in (reason or "")
    for other in clients[1:]:
        other.sendClose()
        await other.closed


@pytest_twisted.ensureDeferred
async def test_every_simulator_event_type_reaches_a_dashboard(simulator: RunningSimulator, proxy_url: str) -> None:
    """A shot, then Voyager exiting and coming back: each kind of event arrives under its topic."""
    client = await connect(f"ws://{proxy_url}/ws", {"X-API-Key": CONTROL})
    await client.next_event("initialState")
    shot = treq.post(f"http://{proxy_url}/api/camera/shot", json={"exposure": 1}, headers=CONTROL_HEADERS)
    seen: dict[str, dict[str, Any]] = {}
    while "remoteActionResult" not in seen or "imageReady" not in seen:
        message = await client.next_event()
        seen.setdefault(message["event"], message["data"])
    assert (await shot).code == 200
    simulator.simulator.shutdown()  # Voyager exits; the proxy reconnects to the same port
    while "version" not in seen:
        message = await client.next_event()
        seen.setdefault(message["event"], message["data"])
    assert {
        "controlData",
        "signal",
        "shotRunning",
        "newFITReady",
        "imageReady",
        "remoteActionResult",
        "logEvent",
        "shutDown",
        "connectionState",
        "version",
    } <= set(seen)
    assert seen["imageReady"]["url"].startswith("/api/images/") and "newJPG" not in seen  # url mode by default
    assert "Timestamp" in seen["shotRunning"] and seen["remoteActionResult"]["parsed"]["name"] == "OK"
    client.sendClose()
    await client.closed


RENTER = "push-renter-key-0123456789"


@pytest_twisted.async_yield_fixture
async def renter_proxy(simulator: RunningSimulator) -> AsyncIterator[str]:
    link = make_link(simulator)
    api = ApiSettings(
        keys=(f"laravel:control:{CONTROL}", f"dashboard:read:{KEY}", f"renter:control:{RENTER}:RemoteGetStatus")
    )
    port, number = await listen_locally(Site(build_front(link, reactor, api, KeyRing(parse_keys(api.keys))).root))
    link.startService()
    await ready(link)
    yield f"127.0.0.1:{number}"
    await link.stopService()
    await stop_listening(port)


async def _events_until(client: Any, last: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every message C{client} receives, up to the first one C{last} accepts."""
    received = []
    while True:
        message = await client.next_event()
        received.append(message)
        if last(message):
            return received


def _result_uids(messages: list[dict[str, Any]]) -> list[str]:
    return [m["data"]["parsed"]["uid"] for m in messages if m["event"] == "remoteActionResult"]


@pytest_twisted.ensureDeferred
async def test_a_narrowed_key_sees_only_its_own_command_results(renter_proxy: str) -> None:
    """
    A narrowed key's stream, resumed replay and recent events carry the
    RemoteActionResult of its own commands only; a key not narrowed sees
    everyone's, and the renter still gets telemetry.
    """
    ws = f"ws://{renter_proxy}/ws"
    watcher = await connect(ws, {"X-API-Key": KEY})
    renter = await connect(ws, {"X-API-Key": RENTER})
    laravel = await connect(ws, {"X-API-Key": CONTROL})
    epoch = (await renter.next_event("initialState"))["data"]["epoch"]
    start = (await watcher.next_event("initialState"))["data"]["seq"]
    await laravel.next_event("initialState")
    renter.send({"action": "command", "id": "renter", "method": "RemoteGetStatus", "params": {}})
    seen = await _events_until(renter, lambda m: m["event"] == "commandResult")
    uids = {"renter": seen[-1]["data"]["uid"]}
    laravel.send({"action": "command", "id": "laravel", "method": "RemoteGetStatus", "params": {}})
    uids["laravel"] = (await laravel.next_event("commandResult"))["data"]["uid"]
    results: dict[str, int] = {}
    while len(results) < 2:
        message = await watcher.next_event("remoteActionResult")
        if message["data"]["parsed"]["uid"] in uids.values():
            results[message["data"]["parsed"]["uid"]] = message["seq"]
    last = max(results.values())
    seen += await _events_until(renter, lambda m: m.get("seq", 0) > last)
    assert uids["renter"] in _result_uids(seen) and uids["laravel"] not in _result_uids(seen)
    assert any(m["event"] == "controlData" for m in seen)
    resumed = await connect(f"{ws}?since={start}&epoch={epoch}", {"X-API-Key": RENTER})
    header = (await resumed.next_event("resumed"))["data"]
    assert results[uids["laravel"]] in header["omitted"]
    replayed = await _events_until(resumed, lambda m: m.get("seq", 0) >= results[uids["renter"]])
    assert uids["renter"] in _result_uids(replayed) and uids["laravel"] not in _result_uids(replayed)
    for key, expected in ((RENTER, {uids["renter"]}), (KEY, set(uids.values()))):
        headers: dict[bytes | str, bytes | str] = {"X-API-Key": key}
        response = await treq.get(
            f"http://{renter_proxy}/api/events/recent?type=RemoteActionResult&limit=100", headers=headers
        )
        listed = {event["data"]["UID"] for event in (await response.json())["events"]}
        assert listed & set(uids.values()) == expected
    for client in (watcher, renter, laravel, resumed):
        client.sendClose()
        await client.closed
