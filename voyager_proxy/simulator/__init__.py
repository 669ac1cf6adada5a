"""A Voyager Application Server simulator, independent of the proxy's client code.

The names load on first use, so C{params}, C{model} and the handlers import alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .faults import Faults
    from .server import SimulatorSettings, VoyagerSimulator

_EXPORTS = {
    "Faults": "faults",
    "SimulatorSettings": "server",
    "VoyagerSimulator": "server",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
