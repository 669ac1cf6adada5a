"""The REST API against the proxy connected to the simulator, all in memory on one clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from twisted.internet.defer import Deferred, DeferredList

from tests.support.keys import CONTROL, KEYS, READ, RENTER
from tests.support.observatory import PREVIEW_SIZE, Observatory
from voyager_proxy.voyager import LinkState, VoyagerLink


@attrs.define
class Proxy:
    """The HTTP API on StubTreq, its link and the simulator behind it."""

    observatory: Observatory

    @property
    def link(self) -> VoyagerLink:
        return self.observatory.link

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = CONTROL, **kwargs: Any
    ) -> tuple[int, Any, Any]:
        return self.observatory.call(method, path, body, key, **kwargs)


def start_proxy(**settings: Any) -> Proxy:
    observatory = Observatory(**settings.pop("link", {}))
    observatory.serve(KEYS, {"cors_origins": ("https://app.example",), **settings})
    observatory.ready()
    return Proxy(observatory)


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    running = start_proxy()
    yield running
    running.observatory.stop()


def test_health(proxy: Proxy) -> None:
    """/health needs no key and reports the session; /health/ready is 200 when ready."""
    code, body, _ = proxy.call("GET", "/health", key=None)
    assert code == 200 and body["status"] == "ok" and body["voyager"]["authenticated"] is True
    code, body, _ = proxy.call("GET", "/health/ready", key=None)
    assert code == 200 and body["ready"] is True


def test_webhook_routes_while_webhooks_are_off(proxy: Proxy) -> None:
    """Without webhooks.url, /health says so and every webhook route answers 409 webhooks_off (control role)."""
    assert proxy.call("GET", "/health", key=None)[1]["webhooks"] == {"enabled": False}
    for method, path in (
        ("GET", "/api/webhooks/deliveries"),
        ("GET", "/api/webhooks/deliveries/msg_1"),
        ("POST", "/api/webhooks/deliveries/msg_1/retry"),
        ("POST", "/api/webhooks/test"),
        ("POST", "/api/webhooks/enable"),
    ):
        assert proxy.call(method, path, key=READ)[0] == 403, path
        code, body, _ = proxy.call(method, path)
        assert code == 409 and body["error"]["code"] == "webhooks_off", path
    code, body, _ = proxy.call("GET", "/api/webhooks/deliveries?status=lost")
    assert code == 400 and body["error"]["field"] == "status"


def test_authentication(proxy: Proxy) -> None:
    """No key 401, wrong key 403, read role on a POST 403, api_key query parameter accepted."""
    code, body, _ = proxy.call("GET", "/api/status/connection", key=None)
    assert code == 401 and body == {
        "success": False,
        "error": {"code": "unauthorized", "message": body["error"]["message"]},
    }
    code, body, _ = proxy.call("GET", "/api/status/connection", key="wrong-key-0123456789")
    assert code == 403 and body["error"]["code"] == "forbidden"
    code, body, _ = proxy.call("POST", "/api/telescope/park", key=READ)
    assert code == 403 and "read role" in body["error"]["message"]
    code, body, _ = proxy.call("GET", f"/api/status/connection?api_key={READ}", key=None)
    assert code == 200 and body["connection"]["state"] == "ready"


def test_narrowed_key(proxy: Proxy) -> None:
    """A renter key may shoot but not touch the setup nor the raw passthrough."""
    code, body, _ = proxy.call("POST", "/api/setup/connect", key=RENTER)
    assert code == 403 and "RemoteSetupConnect" in body["error"]["message"], body
    code, body, _ = proxy.call("POST", "/api/commands/RemoteGetStatus", {}, key=RENTER)
    assert code == 403


def test_dashboard_state_and_etag(proxy: Proxy) -> None:
    """The cached state is served with an ETag; If-None-Match gets 304 until it changes."""
    proxy.observatory.next_event("ControlData")
    code, body, headers = proxy.call("GET", "/api/dashboard/state")
    assert code == 200 and body["state"]["controlData"]["parsed"]["camera"]["connected"] is True
    etag = headers.getRawHeaders("ETag")[0]
    generation = proxy.link.cache.generation
    code, _, _ = proxy.call("GET", "/api/dashboard/state", headers={"If-None-Match": etag})
    assert code == 304 or proxy.link.cache.generation != generation


def test_shot_and_preview(proxy: Proxy) -> None:
    """A shot answers with its final result; the preview is served as JPEG and as JSON."""
    code, body, _ = proxy.call("GET", "/api/camera/preview")
    assert code == 404 and body["error"]["code"] == "no_preview"
    code, body, _ = proxy.call("POST", "/api/camera/shot", {"exposure": 0.3, "binning": 2})
    assert code == 200 and body["success"] is True and body["state"] == "ok"
    assert body["method"] == "RemoteCameraShot" and body["params"]["Bin"] == 2
    assert body["result"]["parsed"]["name"] == "OK"
    code, image, headers = proxy.call("GET", "/api/camera/preview")
    assert code == 200 and image[:2] == b"\xff\xd8"
    assert headers.getRawHeaders("X-Preview-Width") == [str(PREVIEW_SIZE[0])]
    code, body, _ = proxy.call("GET", "/api/camera/preview", headers={"Accept": "application/json"})
    assert code == 200 and body["base64"] and body["metadata"]["fileName"] == "voyager-proxy.fit"


def test_validation(proxy: Proxy) -> None:
    """Bad bodies get 400 naming the field, 415 for non-JSON, 413 when too large."""
    cases = [
        ({"exposure": -1}, "exposure"),
        ({"exposure": 1, "binning": 9}, "binning"),
        ({"exposure": "long"}, "exposure"),
        ({"exposure": 1, "gain": -5}, "gain"),
    ]
    for body, field in cases:
        code, answer, _ = proxy.call("POST", "/api/camera/shot", body)
        assert code == 400 and answer["error"]["field"] == field, (body, answer)
    code, answer, _ = proxy.call("POST", "/api/camera/cool", {"temperature": -80})
    assert code == 400 and answer["error"]["field"] == "temperature"
    code, answer, _ = proxy.call("POST", "/api/telescope/goto", {"ra": "25:00:00", "dec": 10})
    assert code == 400 and answer["error"]["field"] == "ra"
    code, answer, _ = proxy.call(
        "POST", "/api/camera/shot", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert code == 400 and answer["error"]["code"] == "invalid_json"
    code, answer, _ = proxy.call("POST", "/api/camera/shot", data=b"exposure=1", headers={"Content-Type": "text/plain"})
    assert code == 415
    code, answer, _ = proxy.call("POST", "/api/camera/shot", {"pad": "x" * (2 * 1024 * 1024)})
    assert code == 413 and answer["error"]["code"] == "body_too_large"


def test_mount_commands(proxy: Proxy) -> None:
    """Park, unpark, tracking and a sexagesimal goto run; the mount status is queried."""
    for path in (
        "/api/telescope/park",
        "/api/telescope/unpark",
        "/api/telescope/tracking/stop",
        "/api/telescope/tracking/start",
    ):
        code, body, _ = proxy.call("POST", path)
        assert code == 200 and body["state"] == "ok", (path, body)
    code, body, _ = proxy.call("POST", "/api/telescope/goto", {"ra": "05:35:17.3", "dec": "-05° 23' 28\""})
    assert code == 200 and abs(body["params"]["RA"] - 5.5881) < 1e-3 and body["params"]["DEC"] < -5.39
    code, body, _ = proxy.call("GET", "/api/telescope/status", key=READ)
    assert code == 200 and body["mount"]["IsParked"] is False


def test_other_controls(proxy: Proxy) -> None:
    """Setup, cooling, focus, solve, focuser, filter and dashboard endpoints reach Voyager."""
    for path, body in [
        ("/api/setup/connect", None),
        ("/api/camera/cool", {"temperature": -10}),
        ("/api/camera/warm", None),
        ("/api/utils/autofocus", None),
        ("/api/utils/platesolve", None),
        ("/api/focuser/move", {"position": 15000}),
        ("/api/filter/change", {"filterIndex": 2}),
        ("/api/dashboard/disable", None),
        ("/api/dashboard/enable", None),
    ]:
        code, answer, _ = proxy.call("POST", path, body)
        assert code == 200 and answer["success"], (path, answer)
    assert proxy.observatory.simulator.model.focuser_position == 15000


def test_voyager_error_is_502(proxy: Proxy) -> None:
    """An action Voyager ends in error is a 502 with status name and Motivo."""
    code, _, _ = proxy.call("POST", "/api/setup/disconnect")
    assert code == 200
    code, body, _ = proxy.call("POST", "/api/camera/shot", {"exposure": 1})
    assert code == 502 and body["error"]["status"] == "FINISHED_ERROR"
    assert "setup" in body["error"]["motivo"]


def test_timeout_is_504_and_not_ready_is_503() -> None:
    """A result later than the time limit is 504; with Voyager gone commands get 503."""
    proxy = start_proxy(link={"command_timeout": 0.3})
    simulator = proxy.observatory
    try:
        simulator.simulator.faults.result_delay = 1.0
        code, body, _ = proxy.call("POST", "/api/commands/RemoteGetStatus", {})
        assert code == 504 and body["error"]["acknowledged"] is True
        simulator.simulator.faults.result_delay = 0
        simulator.kill()
        simulator.status_where(lambda s: s.state is not LinkState.READY)
        code, body, _ = proxy.call("POST", "/api/telescope/park")
        assert code == 503 and body["error"]["code"] == "voyager_not_ready"
        code, body, _ = proxy.call("GET", "/health/ready", key=None)
        assert code == 503
    finally:
        proxy.observatory.stop()


def test_no_wait_ledger_and_idempotency(proxy: Proxy) -> None:
    """wait=false answers 202 after the ack; the ledger follows it; Idempotency-Key replays."""
    code, body, headers = proxy.call("POST", "/api/camera/shot?wait=false", {"exposure": 0.3})
    assert code == 202 and body["state"] == "acknowledged"
    uid = body["uid"]
    assert headers.getRawHeaders("Location") == [f"/api/commands/{uid}"]
    proxy.observatory.next_event("NewJPGReady")
    code, body, _ = proxy.call("GET", f"/api/commands/{uid}", key=READ)
    assert code == 200 and body["state"] == "ok" and body["sender"] == "laravel"
    first = proxy.call("POST", "/api/telescope/park", headers={"Idempotency-Key": "booking-42-park"})
    again = proxy.call("POST", "/api/telescope/park", headers={"Idempotency-Key": "booking-42-park"})
    assert first[1]["uid"] == again[1]["uid"] and again[2].getRawHeaders("Idempotent-Replay") == ["true"]
    code, body, _ = proxy.call("GET", "/api/commands?limit=5")
    assert code == 200 and [c["uid"] for c in body["commands"]][:1] == [first[1]["uid"]]


def test_recent_events(proxy: Proxy) -> None:
    """Recent events come newest first, filtered by type, images left out."""
    proxy.call("POST", "/api/camera/shot", {"exposure": 0.2})
    code, body, _ = proxy.call("GET", "/api/events/recent?limit=3&type=NewJPGReady")
    assert code == 200 and len(body["events"]) == 1
    assert "Base64Data" not in body["events"][0]["data"] and body["events"][0]["data"]["parsed"]["imageSize"] > 0
    code, body, _ = proxy.call("GET", "/api/events/recent?limit=0")
    assert code == 400 and body["error"]["field"] == "limit"


def test_routes_errors_and_cors(proxy: Proxy) -> None:
    """Unknown routes 404 and wrong methods 405 in JSON; CORS preflight for allowed origins."""
    code, body, _ = proxy.call("GET", "/api/nothing-here")
    assert code == 404 and body["error"]["code"] == "not_found"
    code, body, headers = proxy.call("GET", "/api/telescope/park")
    assert code == 405 and body["error"]["code"] == "method_not_allowed"
    code, _, headers = proxy.call(
        "OPTIONS",
        "/api/camera/shot",
        key=None,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert code == 204 and headers.getRawHeaders("Access-Control-Allow-Origin") == ["https://app.example"]
    code, _, headers = proxy.call("OPTIONS", "/api/camera/shot", key=None, headers={"Origin": "https://evil.example"})
    assert headers.getRawHeaders("Access-Control-Allow-Origin") is None


def test_rate_limit() -> None:
    """Past the burst, commands get 429 with Retry-After; reads have their own bucket."""
    proxy = start_proxy(command_burst=2, command_rate=0.5)
    try:
        codes = [(proxy.call("POST", "/api/commands/RemoteGetStatus", {}))[0] for _ in range(3)]
        assert codes == [200, 200, 429]
        code, body, headers = proxy.call("POST", "/api/commands/RemoteGetStatus", {})
        assert code == 429 and headers.getRawHeaders("Retry-After") == ["2"]
        assert (proxy.call("GET", "/api/status/connection"))[0] == 200
    finally:
        proxy.observatory.stop()


def test_fifty_concurrent_aborts_each_get_their_own_result() -> None:
    """50 aborts at once, each answered from its own ack (matched by id), each with its own UID."""
    proxy = start_proxy(command_burst=100)
    try:
        calls = [proxy.observatory.call_async("POST", "/api/control/abort", key=CONTROL) for _ in range(50)]
        results = proxy.observatory.run(DeferredList([Deferred.fromCoroutine(c) for c in calls], consumeErrors=True))
        answers = [result for ok, result in results]
        assert all(code == 200 for code, _, _ in answers)
        assert len({body["uid"] for _, body, _ in answers}) == 50
        assert all(body["state"] == "ok" and body["result"]["result"] == 0 for _, body, _ in answers)
        assert len({body["result"]["id"] for _, body, _ in answers}) == 50
    finally:
        proxy.observatory.stop()


def test_metrics(proxy: Proxy) -> None:
    """/metrics counts requests by route, commands by method and result, the session state and events."""
    proxy.call("POST", "/api/telescope/park")
    proxy.call("GET", "/api/nothing")
    code, _, _ = proxy.call("GET", "/metrics", key=None)
    assert code == 401
    code, text, headers = proxy.call("GET", f"/metrics?api_key={READ}", key=None)
    assert code == 200 and headers.getRawHeaders("Content-Type")[0].startswith("text/plain")
    text = text.decode()
    assert 'voyager_proxy_http_requests_total{method="POST",route="post_api_telescope_park",status="200"} 1.0' in text
    assert 'voyager_proxy_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'voyager_proxy_command_seconds_count{method="RemoteMountFastCommand",result="ok"} 1.0' in text
    assert 'voyager_proxy_voyager_connection_state{voyager_proxy_voyager_connection_state="ready"} 1.0' in text
    assert 'voyager_proxy_voyager_events_total{event="Version"} 1.0' in text


def test_openapi_document_is_served(proxy: Proxy) -> None:
    """GET /api/openapi.json serves the checked-in document without a key."""
    code, body, _ = proxy.call("GET", "/api/openapi.json", key=None)
    assert code == 200 and body["openapi"] == "3.1.0" and "/api/camera/shot" in body["paths"]


def post_routes() -> list[tuple[str, dict[str, Any]]]:
    """Every POST route of the OpenAPI document that sends a Voyager command, with a valid body."""
    valid: dict[str, dict[str, Any]] = {
        "/api/camera/shot": {"exposure": 0.2},
        "/api/camera/cool": {"temperature": -10},
        "/api/telescope/goto": {"ra": 5.5, "dec": -5.4},
        "/api/focuser/move": {"position": 100},
        "/api/focuser/offset": {"offset": -100},
        "/api/filter/change": {"filterIndex": 1},
    }
    document = json.loads((Path(__file__).parents[2] / "voyager_proxy/rest/openapi.json").read_text())
    return [
        (path.replace("{uid}", "RemoteGetStatus"), valid.get(path, {}))
        for path, item in document["paths"].items()
        if "post" in item and not path.startswith(("/api/rooms/", "/api/robotarget/", "/api/webhooks/", "/api/tokens"))
    ]


def test_every_command_route_checks_keys_bodies_and_readiness() -> None:
    """Each POST route: 401 without key, 403 wrong key or read role, 400 on a bad field, 503 when Voyager is down."""
    proxy = start_proxy(command_burst=1000, read_burst=1000, failed_auth_burst=1000)
    simulator = proxy.observatory
    try:
        routes = post_routes()
        assert len(routes) == 19
        for path, body in routes:
            assert (proxy.call("POST", path, body, key=None))[0] == 401, path
            assert (proxy.call("POST", path, body, key="wrong-key-0123456789"))[0] == 403, path
            assert (proxy.call("POST", path, body, key=READ))[0] == 403, path
            for field in body:
                code, answer, _ = proxy.call("POST", path, {**body, field: [1]})
                assert code == 400 and answer["error"]["field"] == field, (path, answer)
        simulator.kill()
        simulator.status_where(lambda s: s.state is not LinkState.READY)
        for path, body in routes:
            code, answer, _ = proxy.call("POST", path, body)
            assert code == 503 and answer["error"]["code"] == "voyager_not_ready", (path, answer)
    finally:
        proxy.observatory.stop()
