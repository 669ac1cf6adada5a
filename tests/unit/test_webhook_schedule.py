"""The retry schedule, its jitter, Retry-After and what each answer means."""

from __future__ import annotations

import email.utils
import random

import pytest

from voyager_proxy.config import WebhookSettings
from voyager_proxy.webhooks.schedule import (
    MAX_RETRY_AFTER,
    Outcome,
    RetrySchedule,
    outcome,
    parse_duration,
    retry_after,
    schedule_problem,
)

DEFAULT = RetrySchedule.parse(WebhookSettings().retry_schedule)


def test_default_schedule_is_the_issue_s() -> None:
    """5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts in all."""
    assert DEFAULT.delays == (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
    assert DEFAULT.attempts == 8


def test_every_delay_stays_within_twenty_percent() -> None:
    """Thousands of draws for each step stay within [0.8, 1.2] of the step and spread over most of it."""
    draw = random.Random(14)
    for attempt, delay in enumerate(DEFAULT.delays, start=1):
        drawn = [DEFAULT.next_delay(attempt, draw) for _ in range(2000)]
        assert all(d is not None and 0.8 * delay <= d <= 1.2 * delay for d in drawn)
        values = [d for d in drawn if d is not None]
        assert min(values) < 0.82 * delay and max(values) > 1.18 * delay  # jitter really applied


def test_schedule_is_spent_after_the_last_delay() -> None:
    """After the eighth failed attempt there is no next one."""
    assert DEFAULT.next_delay(7, random.Random(1)) is not None
    assert DEFAULT.next_delay(8, random.Random(1)) is None


def test_retry_after_replaces_the_delay_but_not_the_count() -> None:
    """A Retry-After given by the receiver is the wait; a spent schedule stays spent."""
    assert DEFAULT.next_delay(1, random.Random(1), asked=120.0) == 120.0
    assert DEFAULT.next_delay(8, random.Random(1), asked=1.0) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (299, Outcome.DELIVERED),
        (410, Outcome.GONE),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (None, Outcome.RETRY),
        (301, Outcome.REJECTED),
        (400, Outcome.REJECTED),
        (404, Outcome.REJECTED),
    ],
)
def test_outcome_of_each_answer(status: int | None, expected: Outcome) -> None:
    """2xx delivered, 410 gone, 429/5xx/no answer retried, redirects and other 4xx retried but marked."""
    assert outcome(status) is expected


def test_retry_after_in_seconds_and_as_a_date() -> None:
    """Retry-After is read as seconds or as an HTTP date, bounded to [0, a day]; nonsense is ignored."""
    now = 1_800_000_000.0
    assert retry_after("120", now) == 120.0
    assert retry_after(email.utils.formatdate(now + 90, usegmt=True), now) == pytest.approx(90, abs=1)
    assert retry_after(email.utils.formatdate(now - 90, usegmt=True), now) == 0.0
    assert retry_after("999999999", now) == MAX_RETRY_AFTER
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_durations_and_schedule_problems() -> None:
    """Durations take s, m, h, d or none; an empty schedule or a zero delay is refused."""
    assert [parse_duration(text) for text in ("5s", "5m", "2h", "1d", "7", "1.5m")] == [5, 300, 7200, 86400, 7, 90]
    assert schedule_problem(()) == "needs at least one delay"
    assert schedule_problem(("5s", "0s")) == "'0s' must be greater than 0"
    assert "not a duration" in (schedule_problem(("5 minutes",)) or "")
