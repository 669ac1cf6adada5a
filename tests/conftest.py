"""Suite-wide checks: no test may leave timers behind on a clock it made."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from hypothesis import settings
from twisted.internet.task import Clock

from tests.conformance.coverage import COVERED, record, summary

pytest_plugins = ("pytester",)  # tests/unit/test_suite_checks.py runs this file on sample tests

_CALL_FAILED = pytest.StashKey[bool]()

# Property tests judge behaviour, not speed: no per-example wall-clock deadline on a busy machine.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def no_delayed_calls_left(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """
    Fail a test that leaves DelayedCalls on a Clock (MemoryReactorClock
    included) it created: a timer still pending is a service not stopped or
    a deadline never reached. The global reactor is not watched; a test that
    failed already is not charged again for what its failure left.
    """
    clocks: list[Clock] = []
    # Unwrapped, so tests run inside a test (pytester) record their clocks for themselves only.
    original = inspect.unwrap(Clock.__init__)

    @functools.wraps(original)
    def recording_init(self: Clock, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        clocks.append(self)

    monkeypatch.setattr(Clock, "__init__", recording_init)
    yield
    monkeypatch.undo()
    if request.node.stash.get(_CALL_FAILED, False):
        return
    left = [(clock, call) for clock in clocks for call in clock.getDelayedCalls()]
    assert not left, "DelayedCalls left on a test's clock:\n" + "\n".join(
        f"  {type(clock).__name__}@{id(clock):x}: {call}" for clock, call in left
    )


# Conformance coverage lines: each worker of pytest-xdist sends its sets to the controller.


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, hand what the conformance tests covered to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["conformance"] = {kind: sorted(names) for kind, names in COVERED.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the xdist controller, add up what each worker covered."""
    for kind, names in getattr(node, "workeroutput", {}).get("conformance", {}).items():
        record(kind, *names)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How much of Voyager's catalogue the conformance tests covered."""
    for line in summary():
        terminalreporter.write_line(line)
