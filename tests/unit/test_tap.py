"""The service tree twistd runs, built on a MemoryReactorClock."""

from __future__ import annotations

import os
import signal

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from voyager_proxy.config import Config
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.tap import build_service, stall_on_signals


class Failing(Resource):
    isLeaf = True

    def render(self, request: Request) -> bytes:
        raise RuntimeError("detail-for-the-log-only")


def test_an_error_rendered_by_twisted_web_shows_no_traceback() -> None:
    """When a resource raises, the served Site answers twisted.web's bare 500: no traceback, no exception text."""
    clock = MemoryReactorClock()
    service = build_service(clock, Config())
    service.startService()
    (site,) = [factory for _, factory, _, _ in clock.tcpServers if isinstance(factory, Site)]
    site.resource = Failing()
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    assert channel is not None
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(b"GET /anything HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = transport.value()
    channel.connectionLost(Failure(ConnectionDone("done")))
    assert answer.startswith(b"HTTP/1.1 500")
    assert b"detail-for-the-log-only" not in answer and b"Traceback" not in answer
    service.stopService()


def test_sigusr1_stalls_the_embedded_simulator_and_sigusr2_restores_it() -> None:
    """The fault knob a test reaches from outside the daemon: SIGUSR1 stalls, SIGUSR2 brings it back."""
    faults = VoyagerSimulator(MemoryReactorClock(), SimulatorSettings()).faults
    before = (signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2))
    try:
        stall_on_signals(faults)
        os.kill(os.getpid(), signal.SIGUSR1)
        assert faults.stalled
        os.kill(os.getpid(), signal.SIGUSR2)
        assert not faults.stalled
    finally:
        signal.signal(signal.SIGUSR1, before[0])
        signal.signal(signal.SIGUSR2, before[1])
