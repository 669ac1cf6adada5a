"""Laravel's JWTs at the WebSocket handshake (?token=), over StringTransport on a MemoryReactorClock."""

from __future__ import annotations

import math
from typing import Any

import jwt
import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.unit.test_push_fields import Dashboard
from tests.unit.test_push_flow import make_factory
from voyager_proxy.push.auth import Identity, Refused, identify_token
from voyager_proxy.voyager import VoyagerLink

SECRET = "jwt-secret-shared-with-laravel-0123456789"


def token(**claims: Any) -> str:
    return jwt.encode({"sub": "user-7", "scope": "read", "rooms": ["booking_456"], **claims}, SECRET, algorithm="HS256")


def test_a_token_with_an_expiry_opens_the_connection(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A signed token with sub, scope and an exp still ahead is let in: 101, then initialState."""
    factory = make_factory(clock, link, jwt_secret=SECRET)
    dashboard = Dashboard(factory, f"?token={token(iat=clock.seconds(), exp=clock.seconds() + 600)}")
    assert dashboard.response.startswith(b"HTTP/1.1 101")
    assert [event["event"] for event in dashboard.events()] == ["initialState"]


def test_a_token_without_an_expiry_is_refused(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A signed token without exp would never expire: the handshake is refused with 401 and nobody subscribes."""
    factory = make_factory(clock, link, jwt_secret=SECRET)
    dashboard = Dashboard(factory, f"?token={token()}")
    assert dashboard.response.startswith(b"HTTP/1.1 401")
    assert factory.subscribers == 0


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"iat": 1000, "exp": "1600"}, "the token's exp and iat must be numbers (seconds since the epoch)"),
        ({"iat": "1000", "exp": 1600}, "the token's exp and iat must be numbers (seconds since the epoch)"),
        ({"exp": 1600}, 'the token is not valid: Token is missing the "iat" claim'),
        ({"iat": 1001, "exp": 1600}, "the token is issued in the future (iat)"),
        ({"iat": 1000, "exp": 1000}, "the token has expired"),
        ({"iat": 1000, "exp": 1000 + 86401}, "the token lives too long: exp is at most 86400 s ahead"),
    ],
)
def test_token_times_are_numbers_on_the_daemons_clock(
    clock: MemoryReactorClock, link: VoyagerLink, claims: dict[str, Any], reason: str
) -> None:
    """exp and iat must be numbers (not numeric text); iat not ahead of the clock, exp ahead and within the lifetime."""
    clock.advance(1000)
    factory = make_factory(clock, link, jwt_secret=SECRET)
    dashboard = Dashboard(factory, f"?token={token(**claims)}")
    assert dashboard.response.startswith(b"HTTP/1.1 401") and reason.encode() in dashboard.response
    assert factory.subscribers == 0


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "1300", True, [1300]])
def test_token_times_must_be_finite_numbers(claim: str, value: Any) -> None:
    """
    exp or iat as NaN (which compares false with everything, so never
    expires), an infinity, text, a bool or a list is refused (401).
    """
    claims = {"iat": 1000, "exp": 1600, claim: value}
    signed = jwt.encode({"sub": "user-7", "scope": "read", "rooms": [], **claims}, SECRET, algorithm="HS256")
    refused = identify_token(signed, SECRET, 1300.0, 86400.0)
    assert refused == Refused(401, "the token's exp and iat must be numbers (seconds since the epoch)")
    assert isinstance(identify_token(token(iat=1000, exp=1600), SECRET, 1300.0, 86400.0), Identity)


def test_the_token_lifetime_is_configured(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """websocket.max_token_lifetime bounds how far ahead exp may be: an hour-long token passes a 2 h limit only."""
    claims = {"iat": clock.seconds(), "exp": clock.seconds() + 3600}
    refused = Dashboard(
        make_factory(clock, link, jwt_secret=SECRET, max_token_lifetime=1800), f"?token={token(**claims)}"
    )
    let_in = Dashboard(
        make_factory(clock, link, jwt_secret=SECRET, max_token_lifetime=7200), f"?token={token(**claims)}"
    )
    assert refused.response.startswith(b"HTTP/1.1 401") and let_in.response.startswith(b"HTTP/1.1 101")


def test_a_token_may_narrow_its_commands_and_joins_only_its_rooms(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A control token with methods may send only those (as a narrowed key); its rooms claim alone says where it joins."""
    factory = make_factory(clock, link, jwt_secret=SECRET)
    claims = {"iat": 0, "exp": 600, "scope": "control", "methods": ["RemoteCameraShot"]}
    dashboard = Dashboard(factory, f"?token={token(**claims)}")
    dashboard.payloads()
    dashboard.send({"action": "command", "id": 1, "method": "RemoteSetupConnect", "params": {}})
    dashboard.send({"action": "subscribe", "room": "booking_456"})
    dashboard.send({"action": "subscribe", "room": "booking_999"})
    refused, joined, other = dashboard.events()
    assert refused["data"]["success"] is False and refused["data"]["error"]["code"] == "forbidden"
    assert joined["event"] == "subscribed" and other["data"]["code"] == "forbidden"
    bad = Dashboard(factory, f"?token={token(iat=0, exp=600, methods='RemoteCameraShot')}")
    assert bad.response.startswith(b"HTTP/1.1 403")
