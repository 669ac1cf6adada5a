"""One request to the simulator, and the readers its handlers check params with."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .params import BadParams

if TYPE_CHECKING:
    from .protocol import SimulatorProtocol
    from .server import VoyagerSimulator

# Voyager's documents show code 1 on every JSON-RPC error answer.
REFUSED = 1
UNKNOWN_METHOD = BAD_PARAMS = BUSY = REFUSED


def number(params: dict[str, Any], name: str, default: float | None = None) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadParams(f"{name} must be a number")
    return float(value)


def integer(params: dict[str, Any], name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadParams(f"{name} must be an integer")
    return value


def flag(params: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise BadParams(f"{name} must be true or false")
    return value


class Call:
    """One request being handled: who asked, with what, and how to answer."""

    def __init__(
        self, sim: VoyagerSimulator, client: SimulatorProtocol, method: str, request_id: Any, params: dict[str, Any]
    ):
        self.sim = sim
        self.method = method
        self.client = client
        self.request_id = request_id
        self.params = params
        self.uid = str(params.get("UID", ""))

    def ack(self) -> None:
        self.client.answer(self.request_id, result=0)

    def result(self, code: int = 4, reason: str = "", param_ret: dict[str, Any] | None = None) -> None:
        self.ack()
        self.sim.send_result(self.uid, code, reason, param_ret)

    def start(
        self,
        signals: tuple[int, ...],
        duration: float | None,
        finish: Callable[[], tuple[int, str, dict[str, Any]]] | None = None,
        on_tick: Callable[[float], bool] | None = None,
        on_abort: Callable[[], dict[str, Any]] | None = None,
        result: bool = True,
    ) -> None:
        """Run this call as the main action (see L{VoyagerSimulator.start_action})."""
        extra = {} if finish is None else {"finish": finish}
        self.sim.start_action(
            self.uid, self.method, signals, duration, on_tick=on_tick, on_abort=on_abort, result=result, **extra
        )


Handler = Callable[[Call], None]
