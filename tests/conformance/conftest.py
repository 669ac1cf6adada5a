"""Conformance tests: a coverage line for the simulator at the end of the run."""

from __future__ import annotations

from typing import Any

from tests.conformance.simulator_coverage import SIMULATOR_COVERAGE


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many methods and example requests the simulator conformance tests covered."""
    if SIMULATOR_COVERAGE["methods"] or SIMULATOR_COVERAGE["examples"]:
        terminalreporter.write_line(
            "simulator conformance: {} methods, {} example requests accepted,"
            " {} refused as their table requires".format(
                len(SIMULATOR_COVERAGE["methods"]),
                len(SIMULATOR_COVERAGE["examples"]),
                len(SIMULATOR_COVERAGE["refused_examples"]),
            )
        )
