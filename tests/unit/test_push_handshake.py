"""The opening of a dashboard connection: options, the shared initialState frame, and the pure handshake."""

from __future__ import annotations

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.unit.test_push_fields import Dashboard, publish
from tests.unit.test_push_flow import make_factory
from voyager_proxy.config import VoyagerSettings
from voyager_proxy.voyager import VoyagerLink


@pytest.fixture
def clock() -> MemoryReactorClock:
    return MemoryReactorClock()


@pytest.fixture
def link(clock: MemoryReactorClock) -> VoyagerLink:
    return VoyagerLink(clock, VoyagerSettings(), lambda factory: None)


def test_each_connection_copies_the_factorys_options(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Autobahn's options reach every connection from the factory, and a later change leaves open ones alone."""
    factory = make_factory(clock, link, max_message_bytes=1000)
    first = Dashboard(factory).protocol
    factory.setProtocolOptions(maxMessagePayloadSize=5)
    second = Dashboard(factory).protocol
    assert first.maxMessagePayloadSize == 16000 and second.maxMessagePayloadSize == 5
    assert first.autoPingInterval == 0 and first.openHandshakeTimeout == factory.openHandshakeTimeout


def test_initial_state_is_prepared_once_per_state(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Dashboards opening between two events share one prepared initialState; the next event makes a new one."""
    factory = make_factory(clock, link)
    first, second = factory.initial_state_frame(), factory.initial_state_frame()
    assert first is second
    publish(link)
    third = factory.initial_state_frame()
    assert third is not first
    assert Dashboard(factory).payloads() == [third.payload]
    factory.publish_to_room("r", "note", {})
    assert factory.initial_state_frame() is not third  # a room message moves seq on
