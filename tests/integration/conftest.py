"""A simulator and a link talking over real loopback TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_twisted  # type: ignore[import-untyped]  # pytest-twisted ships no py.typed or stubs
from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IListeningPort
from twisted.internet.protocol import ClientFactory

from voyager_proxy.config import VoyagerSettings
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.voyager.link import VoyagerLink

USERNAME = "observer"
PASSWORD = "clear-skies"


class RunningSimulator:
    """A simulator listening on 127.0.0.1; can be killed and restarted on the same port."""

    def __init__(self, **settings: Any) -> None:
        self.settings = SimulatorSettings(
            username=USERNAME,
            password=PASSWORD,
            control_data_interval=0.2,
            tick_interval=0.1,
            **{"preview_width": 1000, "preview_height": 600, **settings},
        )
        self.simulator = VoyagerSimulator(reactor, self.settings)
        self.port_number = 0
        self.listening: IListeningPort | None = None

    def start(self) -> None:
        self.listening = reactor.listenTCP(self.port_number, self.simulator, interface="127.0.0.1")
        address = self.listening.getHost()
        assert isinstance(address, IPv4Address)
        self.port_number = address.port

    async def kill(self) -> None:
        """Stop listening and cut every client, as a crashed Voyager would."""
        assert self.listening is not None
        listening, self.listening = self.listening, None
        stopped = listening.stopListening()
        if stopped is not None:
            await stopped
        self.simulator.faults.drop_connections()

    async def stop(self) -> None:
        if self.listening is not None:
            await self.kill()
        self.simulator.shutdown()


@pytest_twisted.async_yield_fixture
async def simulator() -> AsyncIterator[RunningSimulator]:
    running = RunningSimulator()
    running.start()
    yield running
    await running.stop()


def make_link(simulator: RunningSimulator, **overrides: Any) -> VoyagerLink:
    settings = VoyagerSettings(
        **{
            "username": USERNAME,
            "password": PASSWORD,
            "reconnect_initial_delay": 0.2,
            "reconnect_max_delay": 1.0,
            **overrides,
        }
    )

    def connect(factory: ClientFactory) -> Any:
        return reactor.connectTCP("127.0.0.1", simulator.port_number, factory, timeout=5)

    return VoyagerLink(reactor, settings, connect)


@pytest_twisted.async_yield_fixture
async def link(simulator: RunningSimulator) -> AsyncIterator[VoyagerLink]:
    voyager_link = make_link(simulator)
    voyager_link.startService()
    yield voyager_link
    await voyager_link.stopService()
