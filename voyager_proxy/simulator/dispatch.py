"""The simulator's dispatch: one table from method name to handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .call import BAD_PARAMS, BUSY, UNKNOWN_METHOD, Call, Handler
from .commands import COMMANDS, MAIN_ACTIONS
from .params import TABLE, BadParams, check
from .robotarget import ROBOTARGET

if TYPE_CHECKING:
    from .protocol import SimulatorProtocol
    from .server import VoyagerSimulator

HANDLERS: dict[str, Handler] = {**COMMANDS, **ROBOTARGET}


def handle(
    sim: VoyagerSimulator, client: SimulatorProtocol, method: str, request_id: Any, params: dict[str, Any]
) -> None:
    """Answer one request as Voyager would."""
    handler = HANDLERS.get(method)
    if handler is None or method not in TABLE:
        client.error(request_id, UNKNOWN_METHOD, f"Method not found: {method}")
        return
    try:
        params = check(method, params)
    except BadParams as error:
        client.error(request_id, BAD_PARAMS, str(error))
        return
    if method in MAIN_ACTIONS and sim.action is not None:
        client.error(request_id, BUSY, f"busy: {sim.action.method} is running")
        return
    try:
        handler(Call(sim, client, method, request_id, params))
    except BadParams as error:
        client.error(request_id, BAD_PARAMS, str(error))
