"""Conformance with Voyager's own documents (the summary lines come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conformance.coverage import COVERED


@pytest.fixture
def checked() -> dict[str, set[str]]:
    """Where each test records the documented methods and events it checked."""
    return {"methods": COVERED["checked methods"], "events": COVERED["checked events"]}
