"""What the simulator conformance tests covered, for the terminal summary."""

from __future__ import annotations

SIMULATOR_COVERAGE: dict[str, set[str]] = {"methods": set(), "examples": set(), "refused_examples": set()}
