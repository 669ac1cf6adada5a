"""Conformance with Voyager's own documents: counts what was checked for the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

CHECKED: dict[str, set[str]] = {"methods": set(), "events": set()}


@pytest.fixture
def checked() -> dict[str, set[str]]:
    """Where each test records the documented methods and events it checked."""
    return CHECKED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CHECKED["methods"] or CHECKED["events"]:
        terminalreporter.write_line(
            f"conformance: {len(CHECKED['methods'])} methods, {len(CHECKED['events'])} events checked"
        )
