"""Laravel's JWTs at the WebSocket handshake (?token=), over StringTransport on a MemoryReactorClock."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.support.fake_voyager import unconnected
from tests.unit.test_push_fields import Dashboard
from tests.unit.test_push_flow import make_factory
from voyager_proxy.config import VoyagerSettings
from voyager_proxy.voyager import VoyagerLink

SECRET = "jwt-secret-shared-with-laravel-0123456789"


@pytest.fixture
def clock() -> MemoryReactorClock:
    return MemoryReactorClock()


@pytest.fixture
def link(clock: MemoryReactorClock) -> VoyagerLink:
    return VoyagerLink(clock, VoyagerSettings(), unconnected)


def token(**claims: Any) -> str:
    return jwt.encode({"sub": "user-7", "scope": "read", "rooms": ["booking_456"], **claims}, SECRET, algorithm="HS256")


def test_a_token_with_an_expiry_opens_the_connection(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A signed token with sub, scope and an exp still ahead is let in: 101, then initialState."""
    factory = make_factory(clock, link, jwt_secret=SECRET)
    dashboard = Dashboard(factory, f"?token={token(exp=time.time() + 600)}")
    assert dashboard.response.startswith(b"HTTP/1.1 101")
    assert [event["event"] for event in dashboard.events()] == ["initialState"]


def test_a_token_without_an_expiry_is_refused(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A signed token without exp would never expire: the handshake is refused with 401 and nobody subscribes."""
    factory = make_factory(clock, link, jwt_secret=SECRET)
    dashboard = Dashboard(factory, f"?token={token()}")
    assert dashboard.response.startswith(b"HTTP/1.1 401")
    assert factory.subscribers == 0
