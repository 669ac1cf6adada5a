"""A Voyager Application Server simulator, independent of the proxy's client code."""

from .faults import Faults
from .server import SimulatorSettings, VoyagerSimulator

__all__ = ["Faults", "SimulatorSettings", "VoyagerSimulator"]
