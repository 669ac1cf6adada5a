"""Conformance with Voyager's own documents: what was checked, counted for the terminal summary."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.conformance.simulator_coverage import SIMULATOR_COVERAGE

CHECKED: dict[str, set[str]] = {"methods": set(), "events": set()}


@pytest.fixture
def checked() -> dict[str, set[str]]:
    """Where each test records the documented methods and events it checked."""
    return CHECKED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how much of the catalogue the conformance tests covered."""
    if CHECKED["methods"] or CHECKED["events"]:
        terminalreporter.write_line(
            f"conformance: {len(CHECKED['methods'])} methods, {len(CHECKED['events'])} events checked"
            " (completion rules, documented examples parsed)"
        )
    _request_conformance_summary(terminalreporter)
    _simulator_conformance_summary(terminalreporter)


def _request_conformance_summary(reporter: Any) -> None:
    """One line: how many routes test_requests drove and Voyager methods they sent, and whether all were documented."""
    module = sys.modules.get("tests.conformance.test_requests")
    if module is None:
        return
    routes, sending, methods = module.coverage()
    if routes == 0:
        return
    failed = [report for report in reporter.stats.get("failed", []) if "conformance/test_requests" in report.nodeid]
    verdict = "all documented" if not failed else f"{len(failed)} failing"
    reporter.write_line(f"conformance: {routes} routes ({sending} sending), {methods} Voyager methods sent, {verdict}")


def _simulator_conformance_summary(reporter: Any) -> None:
    """One line: how many methods and example requests the simulator conformance tests covered."""
    if SIMULATOR_COVERAGE["methods"] or SIMULATOR_COVERAGE["examples"]:
        reporter.write_line(
            "simulator conformance: {} methods, {} example requests accepted,"
            " {} refused as their table requires".format(
                len(SIMULATOR_COVERAGE["methods"]),
                len(SIMULATOR_COVERAGE["examples"]),
                len(SIMULATOR_COVERAGE["refused_examples"]),
            )
        )
