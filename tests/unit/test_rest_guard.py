"""The shared request guard: one authorisation rule over the methods each route declares, one key lookup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import ILogObserver, LogEvent, formatEvent, globalLogPublisher
from zope.interface import provider

from tests.support.keys import CONTROL, READ
from tests.support.memory_proxy import MemoryProxy
from voyager_proxy.auth import LOCAL, KeyRing, parse_keys
from voyager_proxy.keys import KeyLookup, presented_key
from voyager_proxy.ratelimit import FailedAuthentications
from voyager_proxy.rest.routes import ROUTES, Role

SHOOTER = "shooter-key-0123456789"
MOUNT_READER = "mount-key-0123456789ab"
PLANNER = "planner-key-0123456789"
KEYS = (
    f"planner:read:{PLANNER}:RemoteRoboTargetGetSet",
    f"laravel:control:{CONTROL}",
    f"dashboard:read:{READ}",
    f"shooter:control:{SHOOTER}:RemoteCameraShot",
    f"mount:read:{MOUNT_READER}:RemoteMountStatusGetInfo",
)


@pytest.fixture
def proxy() -> Iterator[MemoryProxy]:
    running = MemoryProxy(keys=KEYS, command_burst=1000, read_burst=1000)
    yield running
    running.stop()


def as_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_telescope_status_refused_for_a_key_whose_list_lacks_its_method(proxy: MemoryProxy) -> None:
    """GET /api/telescope/status is a 403 naming RemoteMountStatusGetInfo for a key narrowed to other methods."""
    code, answer, lines = proxy.request("GET", "/api/telescope/status", headers=as_key(SHOOTER))
    assert code == 403 and answer["error"]["code"] == "forbidden"
    assert "RemoteMountStatusGetInfo" in answer["error"]["message"] and lines == []


def test_telescope_status_for_keys_that_may_send_it(proxy: MemoryProxy) -> None:
    """A read key with no method list, and a read key listing RemoteMountStatusGetInfo, get the mount status."""
    for key in (READ, MOUNT_READER):
        code, answer, lines = proxy.request("GET", "/api/telescope/status", headers=as_key(key))
        assert code == 200 and answer["mount"]["IsMountConnected"] is True
        assert [line["method"] for line in lines] == ["RemoteMountStatusGetInfo"]


def test_a_narrowed_key_is_refused_before_its_body_is_read(proxy: MemoryProxy) -> None:
    """A command the key may not send is a 403, even with a bad body: authorisation comes first."""
    code, answer, lines = proxy.request("POST", "/api/filter/change", {"filterIndex": "x"}, headers=as_key(SHOOTER))
    assert code == 403 and "RemoteFilterChangeTo" in answer["error"]["message"] and lines == []


def test_every_sending_route_refuses_a_key_not_listing_its_methods(proxy: MemoryProxy) -> None:
    """Each route of the table that sends something is a 403 for a key narrowed to an unrelated method."""
    for route in ROUTES:
        if not route.sends or "<" in route.path:
            continue
        code, answer, lines = proxy.request(route.method, route.path, {}, headers=as_key(SHOOTER))
        if route.sends == ("RemoteCameraShot",):
            continue
        assert code == 403 and answer["error"]["code"] == "forbidden", route.name
        assert lines == [], route.name


def test_robotarget_reads_need_an_unnarrowed_key_and_writes_need_control(proxy: MemoryProxy) -> None:
    """RoboTarget lookups need a key not narrowed (or listing the lookup); its writes are 403 for a read key."""
    for key, expected in ((READ, 200), (PLANNER, 200), (SHOOTER, 403)):
        code, answer, _ = proxy.request("GET", "/api/robotarget/sets", headers=as_key(key))
        assert code == expected, (key, answer)
    code, answer, lines = proxy.request(
        "POST", "/api/robotarget/sets", {"Name": "B", "ProfileName": "P.v2y"}, headers=as_key(READ)
    )
    assert code == 403 and "read role" in answer["error"]["message"] and lines == []
    code, answer, _ = proxy.request("GET", "/api/robotarget/sets")
    assert code == 401 and answer["error"]["code"] == "unauthorized"


def test_every_robotarget_read_refuses_a_key_narrowed_to_other_methods(proxy: MemoryProxy) -> None:
    """Sets, targets, shots, runs, shots done and their JPEGs: each lookup is a 403 naming it, nothing sent."""
    guid = "5482d20e-2304-41d1-8d2b-32adc2c314bc"
    for route in ROUTES:
        if not route.reads or route.method != "GET":
            continue
        path = route.path.replace("<guid>", guid)
        code, answer, lines = proxy.request("GET", path, headers=as_key(SHOOTER))
        assert code == 403 and route.reads[0] in answer["error"]["message"], route.name
        assert lines == [], route.name


def test_the_robotarget_mount_answers_in_the_envelope(proxy: MemoryProxy) -> None:
    """Under the /api/robotarget mount an unknown path is a 404 and a wrong method a 405, both our envelope."""
    code, answer, _ = proxy.request("GET", "/api/robotarget/nothing-here", headers=as_key(CONTROL))
    assert code == 404 and answer["error"]["code"] == "not_found"
    code, answer, _ = proxy.request("PATCH", "/api/robotarget/sets", headers=as_key(CONTROL))
    assert code == 405 and answer["error"]["message"] == "use GET, HEAD, POST"


def test_cors_preflight_under_the_robotarget_mount(proxy: MemoryProxy) -> None:
    """OPTIONS on a RoboTarget path is the same 204 preflight as anywhere under /api."""
    for path in ("/api/robotarget/sets", "/api/commands"):
        code, _, _ = proxy.request("OPTIONS", path)
        assert code == 204


def test_roles_of_the_table() -> None:
    """Only health, readiness and the document are open; every write needs control but a token exchange."""
    assert {route.path for route in ROUTES if route.role is Role.OPEN} == {
        "/health",
        "/health/ready",
        "/api/openapi.json",
    }
    writes = [route for route in ROUTES if route.method != "GET"]
    assert [route.path for route in writes if route.role is not Role.CONTROL] == ["/api/tokens"]


class Refused(Exception):
    def __init__(self, status: int, message: str, wait: float) -> None:
        super().__init__(message)
        self.status = status
        self.wait = wait


def test_key_lookup() -> None:
    """The shared lookup: LOCAL without keys, 401 without a key, 403 for an unknown one, the key otherwise."""
    failures = FailedAuthentications(MemoryReactorClock(), 1, 10)
    assert KeyLookup(KeyRing(()), failures).find(None, "127.0.0.1", Refused) is LOCAL
    lookup = KeyLookup(KeyRing(parse_keys(KEYS)), failures, "WebSocket handshake")
    for presented, status in ((None, 401), ("", 401), ("not-a-key-0123456789", 403)):
        with pytest.raises(Refused) as raised:
            lookup.find(presented, "127.0.0.1", Refused)
        assert raised.value.status == status
    assert lookup.find(READ, "127.0.0.1", Refused).name == "dashboard"


def test_failed_authentications_are_limited_per_address_and_logged_once_a_minute() -> None:
    """Past the burst an address gets 429 for a bad key, never for a good one; one log line a minute, with the count."""
    clock = MemoryReactorClock()
    lines: list[str] = []

    @provider(ILogObserver)
    def observer(event: LogEvent) -> None:
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observer)
    try:
        lookup = KeyLookup(KeyRing(parse_keys(KEYS)), FailedAuthentications(clock, 0.5, 3))
        statuses = []
        for _ in range(5):
            with pytest.raises(Refused) as raised:
                lookup.find("not-a-key-0123456789", "10.0.0.9", Refused)
            statuses.append((raised.value.status, raised.value.wait))
        assert statuses == [(403, 0), (403, 0), (403, 0), (429, 2.0), (429, 2.0)]
        assert lookup.find(READ, "10.0.0.9", Refused).name == "dashboard"  # a neighbour's failures lock no one out
        with pytest.raises(Refused) as raised:
            lookup.find(None, "10.0.0.10", Refused)  # another address has its own bucket
        assert raised.value.status == 401
        clock.advance(61)
        with pytest.raises(Refused) as raised:
            lookup.find("not-a-key-0123456789", "10.0.0.9", Refused)
        assert raised.value.status == 403
    finally:
        globalLogPublisher.removeObserver(observer)
    logged = [line for line in lines if "failed authentication" in line]
    assert len(logged) == 3 and "not-a-key" not in "".join(logged)
    assert "from 10.0.0.9; 1 failed" in logged[0] and "from 10.0.0.10; 1 failed" in logged[1]
    assert "from 10.0.0.9; 5 failed" in logged[2]  # the four not logged in that minute, and this one


def test_presented_key_prefers_the_header() -> None:
    """X-API-Key wins over ?api_key=, which is used when the header is absent."""
    assert presented_key("a", ["b"]) == "a"
    assert presented_key(None, ["b", "c"]) == "b"
    assert presented_key(None, None) is None
