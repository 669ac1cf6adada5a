"""When to try a message again, and what an answer means (pure)."""

from __future__ import annotations

import email.utils
import enum
import random
import re

import attrs

JITTER = 0.2  # each delay is drawn from [delay * 0.8, delay * 1.2]
MAX_RETRY_AFTER = 86400.0  # a Retry-After beyond a day is read as a day
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_duration(text: str) -> float:
    """Seconds from C{5s}, C{5m}, C{2h}, C{1d} or a bare number of seconds; ValueError otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 5s, 5m, 2h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def schedule_problem(steps: tuple[str, ...]) -> str | None:
    """Why C{steps} is not a retry schedule, or None."""
    if not steps:
        return "needs at least one delay"
    for step in steps:
        try:
            if parse_duration(step) <= 0:
                return f"{step!r} must be greater than 0"
        except ValueError as error:
            return str(error)
    return None


class Outcome(enum.Enum):
    """What one attempt's answer means for the message and the endpoint."""

    DELIVERED = "delivered"  # 2xx
    GONE = "gone"  # 410: the endpoint is disabled until an operator enables it
    RETRY = "retry"  # 429, 5xx, timeouts and connection errors
    REJECTED = "rejected"  # 3xx and other 4xx: retried too, but marked


def outcome(status: int | None) -> Outcome:
    """The outcome of an answer with HTTP C{status}; None means no answer (timeout, connection error)."""
    if status is None or status == 429 or status >= 500:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.GONE
    return Outcome.REJECTED


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a C{Retry-After} header (seconds or HTTP date), within [0, a day]; None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - now
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


@attrs.frozen
class RetrySchedule:
    """The delays after the first, second, ... failed attempt; past the last one a message has failed."""

    delays: tuple[float, ...]
    jitter: float = JITTER

    @classmethod
    def parse(cls, steps: tuple[str, ...]) -> RetrySchedule:
        return cls(tuple(parse_duration(step) for step in steps))

    @property
    def attempts(self) -> int:
        """Most attempts a message gets: the first, then one per delay."""
        return len(self.delays) + 1

    def next_delay(self, failed_attempts: int, draw: random.Random, asked: float | None = None) -> float | None:
        """
        Seconds until the next attempt after C{failed_attempts} failures, or
        None when the schedule is spent. A Retry-After the receiver C{asked}
        for replaces the schedule's delay (the attempt still counts).
        """
        if failed_attempts >= self.attempts:
            return None
        if asked is not None:
            return asked
        delay = self.delays[failed_attempts - 1]
        return delay * draw.uniform(1 - self.jitter, 1 + self.jitter)
