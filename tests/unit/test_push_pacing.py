"""Opening handshakes paced per reactor turn, on a MemoryReactorClock."""

from __future__ import annotations

import functools

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from txaio import tx

from tests.support.fake_voyager import unconnected
from voyager_proxy.config import VoyagerSettings
from voyager_proxy.push.factory import TIMERS_PER_TURN, PushFactory
from voyager_proxy.push.pacing import HANDSHAKES_PER_TURN, HandshakePacer
from voyager_proxy.push.protocol import PushProtocol
from voyager_proxy.voyager import VoyagerLink

from .test_push_flow import HANDSHAKE, make_factory


def one_turn(clock: MemoryReactorClock) -> None:
    """Run the calls due now, as one reactor turn does: not those they schedule (C{Clock.advance} would)."""
    for call in [call for call in clock.calls if call.getTime() <= clock.seconds()]:
        clock.calls.remove(call)
        call.func(*call.args, **call.kw)


def test_pacer_lets_per_turn_through_and_the_rest_in_order_on_later_turns() -> None:
    """Of a burst of 7 with 3 a turn, 3 go on now, then 3 and 1 on the next turns, first come first served."""
    clock = MemoryReactorClock()
    pacer = HandshakePacer(clock, per_turn=3)
    proceeded: list[int] = []
    admitted = [pacer.admit(functools.partial(proceeded.append, n)) for n in range(7)]
    assert admitted == [True] * 3 + [False] * 4 and pacer.waiting == 4
    one_turn(clock)
    assert proceeded == [3, 4, 5]
    assert not pacer.admit(lambda: proceeded.append(7))  # this turn's room is taken
    one_turn(clock)
    assert proceeded == [3, 4, 5, 6, 7] and pacer.waiting == 0
    one_turn(clock)
    assert clock.getDelayedCalls() == []  # idle: nothing scheduled
    assert pacer.admit(lambda: None) and pacer.waiting == 0
    one_turn(clock)


def opening(factory: PushFactory) -> tuple[PushProtocol, StringTransport]:
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    assert isinstance(protocol, PushProtocol)
    transport = StringTransport()
    protocol.makeConnection(transport)
    protocol.dataReceived(HANDSHAKE)
    return protocol, transport


def answered(transport: StringTransport) -> bool:
    return bool(transport.value().startswith(b"HTTP/1.1 101"))


def test_a_burst_of_handshakes_is_answered_a_turn_at_a_time_and_none_is_lost() -> None:
    """
    2.5 turns' worth of dashboards opening at once: HANDSHAKES_PER_TURN are
    answered now, the others' reading paused until their turn; every one ends
    subscribed, and one that left while waiting is skipped.
    """
    clock = MemoryReactorClock()
    factory = make_factory(clock, VoyagerLink(clock, VoyagerSettings(), unconnected))
    burst = [opening(factory) for _ in range(HANDSHAKES_PER_TURN * 5 // 2)]
    waiting = [(protocol, transport) for protocol, transport in burst if not answered(transport)]
    assert len(burst) - len(waiting) == HANDSHAKES_PER_TURN
    assert all(transport.producerState == "paused" for _, transport in waiting)
    gone, gone_transport = waiting.pop()
    gone.connectionLost(Failure(ConnectionDone()))
    one_turn(clock)
    assert sum(answered(transport) for _, transport in waiting) == HANDSHAKES_PER_TURN
    one_turn(clock)
    assert all(answered(transport) and transport.producerState == "producing" for _, transport in waiting)
    assert not answered(gone_transport) and factory.subscribers == len(burst) - 1


def test_autobahn_timers_due_together_run_a_chunk_a_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Dashboards that connected together have their pings due together:
    Autobahn's timers run at most TIMERS_PER_TURN in one turn (its default is
    1,000), the others on later turns of the same bucket, none lost.
    """
    clock = MemoryReactorClock()
    monkeypatch.setattr(tx.config, "loop", clock)  # Autobahn's timers run on txaio's reactor
    factory = make_factory(clock, VoyagerLink(clock, VoyagerSettings(), unconnected))
    ran: list[int] = []
    count = TIMERS_PER_TURN * 5 // 2
    for n in range(count):
        factory._batched_timer.call_later(25, functools.partial(ran.append, n))
    clock.advance(24.99)
    per_step = []
    for _ in range(100):  # the next second, 10 ms at a time
        before = len(ran)
        clock.advance(0.01)
        per_step.append(len(ran) - before)
    assert ran == list(range(count))
    assert max(per_step) == TIMERS_PER_TURN and sum(1 for n in per_step if n) == 3
