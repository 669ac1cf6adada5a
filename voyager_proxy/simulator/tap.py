"""C{twistd voyager-sim}: the simulator alone, for demos and for any Voyager client."""

from __future__ import annotations

from typing import Any

from twisted.application.internet import TCPServer
from twisted.python import usage

from .server import SimulatorSettings, VoyagerSimulator


class Options(usage.Options):
    """Where to listen and which login to require."""

    optParameters = [
        ["port", "p", 5950, "TCP port to listen on.", int],
        ["interface", "i", "127.0.0.1", "Interface to listen on."],
        ["username", "u", None, "Require this user name (no authentication when absent)."],
        ["password", "w", None, "Password for --username."],
        ["host-name", None, "OBS1", "The simulated Voyager PC's name."],
    ]


class SimulatorServer(TCPServer):
    """Listens for clients; says ShutDown to them before it stops."""

    def __init__(self, port: int, simulator: VoyagerSimulator, interface: str) -> None:
        super().__init__(port, simulator, interface=interface)
        self.simulator = simulator

    def stopService(self) -> Any:
        self.simulator.shutdown()
        return super().stopService()


def makeService(options: Options) -> SimulatorServer:
    """twistd entry point."""
    from twisted.internet import reactor

    settings = SimulatorSettings(
        host_name=options["host-name"], username=options["username"], password=options["password"]
    )
    return SimulatorServer(options["port"], VoyagerSimulator(reactor, settings), options["interface"])
