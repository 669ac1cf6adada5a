"""The fixtures the unit tests share: an in-memory clock, and a Voyager link on it that never connects."""

from __future__ import annotations

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.support.fake_voyager import unconnected
from voyager_proxy.config import VoyagerSettings
from voyager_proxy.voyager import VoyagerLink


@pytest.fixture
def clock() -> MemoryReactorClock:
    return MemoryReactorClock()


@pytest.fixture
def link(clock: MemoryReactorClock) -> VoyagerLink:
    return VoyagerLink(clock, VoyagerSettings(), unconnected)
