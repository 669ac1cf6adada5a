"""
What the conformance tests covered, for the end-of-run summary.

Tests add names to L{COVERED}; with pytest-xdist each worker sends its sets
to the controller (C{tests/conftest.py}), which prints the totals.
"""

from __future__ import annotations

from collections import defaultdict

COVERED: defaultdict[str, set[str]] = defaultdict(set)


def record(kind: str, *names: str) -> None:
    """Count C{names} (methods, events, routes, examples) under C{kind}."""
    COVERED[kind].update(names)


def summary() -> list[str]:
    """The coverage lines, for the kinds any test recorded."""
    lines = []
    if COVERED["checked methods"] or COVERED["checked events"]:
        lines.append(
            f"conformance: {len(COVERED['checked methods'])} methods, {len(COVERED['checked events'])} events"
            " checked (completion rules, documented examples parsed)"
        )
    if COVERED["routes"]:
        lines.append(
            f"conformance: {len(COVERED['routes'])} routes ({len(COVERED['sending routes'])} sending),"
            f" {len(COVERED['methods sent'])} Voyager methods sent, each line as documented"
        )
    if COVERED["simulator methods"] or COVERED["simulator examples"]:
        lines.append(
            f"simulator conformance: {len(COVERED['simulator methods'])} methods,"
            f" {len(COVERED['simulator examples'])} example requests accepted,"
            f" {len(COVERED['simulator refused examples'])} refused as their table requires"
        )
    return lines
