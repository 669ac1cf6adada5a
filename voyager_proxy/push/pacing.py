"""How many opening handshakes one reactor turn completes, so a burst of dashboards never holds up the others."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime

# A handshake costs about 0.5 ms of CPU (HTTP parsing, Autobahn, initialState).
# Hundreds of dashboards opening together would otherwise all be answered in
# one reactor turn, while the ControlData line already read from Voyager waits
# behind them: 20 a turn keeps that wait near 10 ms, and 1,000 clients still
# open within a second or so (well inside Autobahn's 5 s opening timeout).
HANDSHAKES_PER_TURN = 20


class HandshakePacer:
    """
    Lets C{per_turn} handshakes go on in each reactor turn; the others wait,
    first come first served, for later turns (C{callLater(0)} on C{clock}).

    The count starts again only at a turn that was called for, once it reached
    C{per_turn}: an idle daemon schedules nothing, and a handshake may wait a
    turn it did not need to, never the other way round.
    """

    def __init__(self, clock: IReactorTime, per_turn: int = HANDSHAKES_PER_TURN) -> None:
        self._clock = clock
        self.per_turn = per_turn
        self._started = 0  # in this turn
        self._waiting: deque[Callable[[], None]] = deque()
        self._turn: IDelayedCall | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def admit(self, proceed: Callable[[], None]) -> bool:
        """True when a handshake may go on now; otherwise C{proceed} is called on a later turn."""
        admitted = self._started < self.per_turn and not self._waiting
        if admitted:
            self._started += 1
        else:
            self._waiting.append(proceed)
        if self._started == self.per_turn:
            self._next_turn()
        return admitted

    def _next_turn(self) -> None:
        if self._turn is None:
            self._turn = self._clock.callLater(0, self._new_turn)

    def _new_turn(self) -> None:
        self._turn = None
        self._started = 0
        while self._waiting and self._started < self.per_turn:
            self._started += 1
            self._waiting.popleft()()
        if self._started == self.per_turn:
            self._next_turn()
