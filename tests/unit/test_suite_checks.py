"""The suite-wide checks of tests/conftest.py, run on sample tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

SAMPLES = """
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock


def test_leaves_a_timer():
    MemoryReactorClock().callLater(3, print, "left behind")


def test_leaves_a_timer_on_a_plain_clock():
    Clock().callLater(3, print, "left behind")


def test_cancels_its_timer():
    clock = MemoryReactorClock()
    clock.callLater(3, print, "never").cancel()


def test_runs_its_timer():
    clock = MemoryReactorClock()
    clock.callLater(3, print, "ran")
    clock.advance(3)


def test_fails_and_leaves_a_timer():
    MemoryReactorClock().callLater(3, print, "left behind")
    assert False, "its own failure"
"""


def test_a_test_leaving_delayed_calls_on_its_clock_errors(pytester: pytest.Pytester) -> None:
    """Leaving a DelayedCall on a clock the test made is an error naming the call; cancelled or run ones are fine."""
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8").replace('pytest_plugins = ("pytester",)', ""))
    pytester.makepyfile(test_samples=SAMPLES)
    # In process, for speed; pytest-twisted cannot run a session inside its own.
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:twisted")
    result.assert_outcomes(passed=4, failed=1, errors=2)  # a leak errors at teardown, after its call passed
    result.stdout.fnmatch_lines(["*DelayedCalls left on a test's clock*", "*print('left behind')*"])
    assert "test_fails_and_leaves_a_timer - AssertionError: DelayedCalls" not in result.stdout.str()
