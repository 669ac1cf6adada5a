"""Token buckets per caller, on the injected clock."""

from __future__ import annotations

import math
from collections import OrderedDict

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger


class RateLimiter:
    """
    C{rate} requests per second sustained, C{burst} at once, per caller name;
    with C{remembered}, only that many callers are kept (the longest idle is
    forgotten: it starts again with a full bucket).
    """

    def __init__(self, clock: IReactorTime, rate: float, burst: int, remembered: int | None = None) -> None:
        self._clock = clock
        self._rate = rate
        self._burst = float(burst)
        self._remembered = remembered
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, caller: str) -> float:
        """Spend one token; return 0 if allowed, else the seconds until one is available."""
        now = self._clock.seconds()
        tokens, last = self._buckets.get(caller, (self._burst, now))
        if self._remembered is not None:
            self._buckets.pop(caller, None)
            while len(self._buckets) >= self._remembered:
                self._buckets.popitem(last=False)
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens >= 1:
            self._buckets[caller] = (tokens - 1, now)
            return 0.0
        self._buckets[caller] = (tokens, now)
        return (1 - tokens) / self._rate

    @staticmethod
    def retry_after(seconds: float) -> str:
        """A Retry-After header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(seconds)))


class FailedAuthentications:
    """
    Failed authentications per client address, REST and WebSocket alike:
    past C{burst} at once (C{rate} per second sustained) an address is
    answered 429, and each address is logged at most once a minute, with how
    many failures that line stands for. A valid key is never held back, so
    a neighbour's failures cannot lock a good client out.
    """

    LOG_EVERY = 60.0
    ADDRESSES = 4096  # addresses remembered; the longest idle is forgotten first

    _log = Logger()

    def __init__(self, clock: IReactorTime, rate: float, burst: int) -> None:
        self._clock = clock
        self._limits = RateLimiter(clock, rate, burst, self.ADDRESSES)
        self._logged: OrderedDict[str, tuple[float, int]] = OrderedDict()  # address -> (last line, failures since)

    def failed(self, address: str, what: str, problem: str) -> float:
        """Count one failure from C{address}; the seconds it must wait before trying again (0: answer it as usual)."""
        now = self._clock.seconds()
        last, unlogged = self._logged.pop(address, (None, 0))
        unlogged += 1
        if last is None or now - last >= self.LOG_EVERY:
            self._log.warn(
                "{what} {problem} from {address}; {count} failed authentication(s) from it since its last line",
                what=what,
                problem=problem,
                address=address,
                count=unlogged,
            )
            last, unlogged = now, 0
        self._logged[address] = (last, unlogged)
        while len(self._logged) > self.ADDRESSES:
            self._logged.popitem(last=False)
        return self._limits.take(address)
