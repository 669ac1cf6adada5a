"""The memory tier: simulator, link and API on one MemoryReactorClock (tests/support/observatory.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.observatory import Observatory


@pytest.fixture
def observatory() -> Iterator[Observatory]:
    """A simulator and a ready link, stopped afterwards with no timer left."""
    running = Observatory()
    running.ready()
    yield running
    running.stop()
