"""Conformance tests: what the proxy sends and reads, against Voyager's protocol catalogue."""

from __future__ import annotations

import sys
from typing import Any


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    _request_conformance_summary(terminalreporter)


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
