"""Shared helpers: a simulator on a MemoryReactorClock and clients over StringTransport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport

from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.simulator.protocol import SimulatorProtocol

START = 1795484593.57388
NO_UID = frozenset({"Abort", "disconnect", "GetArrayElementData"})  # methods documented without a UID


class Client:
    """One client of the simulator: writes requests, reads what the simulator sent."""

    def __init__(self, simulator: VoyagerSimulator) -> None:
        self.protocol: SimulatorProtocol = simulator.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.last_id = 0

    def request(self, method: str, **params: Any) -> int:
        self.last_id += 1
        if method not in NO_UID:
            params.setdefault("UID", f"uid-{self.last_id}")
        self.protocol.dataReceived(
            json.dumps({"method": method, "params": params, "id": self.last_id}).encode() + b"\r\n"
        )
        return self.last_id

    def received(self) -> list[dict[str, Any]]:
        data = self.transport.value()
        self.transport.clear()
        return [json.loads(line) for line in data.split(b"\r\n") if line]

    def keep_alive(self) -> None:
        self.protocol.dataReceived(b'{"Event":"Polling","Timestamp":1,"Host":"c","Inst":1}\r\n')

    def events(self, name: str) -> list[dict[str, Any]]:
        return [m for m in self.received() if m.get("Event") == name]


@pytest.fixture
def clock() -> MemoryReactorClock:
    return MemoryReactorClock()


@pytest.fixture
def settings() -> SimulatorSettings:
    return SimulatorSettings()


@pytest.fixture
def simulator(clock: MemoryReactorClock, settings: SimulatorSettings) -> Iterator[VoyagerSimulator]:
    clock.advance(START)
    sim = VoyagerSimulator(clock, settings)
    sim.doStart()
    yield sim
    for client in list(sim.clients):
        client.connectionLost()
    sim.doStop()
    assert clock.getDelayedCalls() == []
