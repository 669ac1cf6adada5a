"""The actions a dashboard may send, read from its messages (pure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import attrs

from .. import client_json
from ..rooms import room_name_problem
from .handshake import FIELDS_PROBLEM
from .messages import FIELDS_MODES
from .previews import PREVIEW_MODES, PREVIEWS_PROBLEM


@attrs.frozen
class Problem:
    """Why a message was not understood: the C{error} event's code and message."""

    code: str
    message: str


@attrs.frozen
class Ping:
    """Answered by C{pong}."""


@attrs.frozen
class GetState:
    """Answered by C{state}, the same body as C{initialState}."""


@attrs.frozen
class SetFields:
    """What the client's next Voyager event frames carry."""

    fields: str


@attrs.frozen
class SetPreviews:
    """How the client's next previews come (see L{voyager_proxy.push.previews}); C{width} for binary copies."""

    mode: str
    width: int | None = None


@attrs.frozen
class Topics:
    """The topics to receive; None leaves that list as it was."""

    include: frozenset[str] | None
    exclude: frozenset[str] | None


@attrs.frozen
class Subscribe:
    room: str


@attrs.frozen
class Unsubscribe:
    room: str


@attrs.frozen
class Command:
    """A Voyager method to send; C{timeout} as given (checked against the daemon's limit by L{timeout_problem})."""

    id: Any
    method: str
    params: dict[str, Any]
    timeout: Any = None


Action = Ping | GetState | SetFields | SetPreviews | Topics | Subscribe | Unsubscribe | Command
Message = dict[str, Any]


def _fields(message: Message) -> SetFields | Problem:
    fields = message.get("fields")
    if fields not in FIELDS_MODES:
        return Problem("bad_message", FIELDS_PROBLEM)
    return SetFields(fields)


def _previews(message: Message) -> SetPreviews | Problem:
    mode, width = message.get("mode"), message.get("width")
    if mode not in PREVIEW_MODES:
        return Problem("bad_message", PREVIEWS_PROBLEM)
    if width is not None and (mode != "binary" or isinstance(width, bool) or not isinstance(width, int)):
        return Problem("bad_message", "width: a number of pixels, for binary previews only")
    return SetPreviews(mode, width)


def _topics(message: Message) -> Topics | Problem:
    lists: dict[str, frozenset[str] | None] = {}
    for name in ("include", "exclude"):
        value = message.get(name)
        if value is not None and (not isinstance(value, list) or not all(isinstance(t, str) for t in value)):
            return Problem("bad_message", f"{name} must be a list of topic names")
        lists[name] = None if value is None else frozenset(value)
    return Topics(lists["include"], lists["exclude"])


def _room(message: Message) -> str | Problem:
    room = message.get("room")
    problem = room_name_problem(room)
    return Problem("bad_message", problem) if problem is not None else cast(str, room)


def _subscribe(message: Message) -> Subscribe | Problem:
    room = _room(message)
    return room if isinstance(room, Problem) else Subscribe(room)


def _unsubscribe(message: Message) -> Unsubscribe | Problem:
    room = _room(message)
    return room if isinstance(room, Problem) else Unsubscribe(room)


def _command(message: Message) -> Command | Problem:
    method, params = message.get("method"), message.get("params", {})
    if not isinstance(method, str) or not isinstance(params, dict):
        return Problem("bad_message", "command needs a method and an object of params")
    return Command(message.get("id"), method, params, message.get("timeout"))


# Every action a client may send, by name.
ACTIONS: dict[str, Callable[[Message], Action | Problem]] = {
    "ping": lambda message: Ping(),
    "getState": lambda message: GetState(),
    "fields": _fields,
    "previews": _previews,
    "topics": _topics,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "command": _command,
}


def read_action(payload: bytes, is_binary: bool, limit: int) -> Action | Problem:
    """The action in one client message of at most C{limit} bytes."""
    if len(payload) > limit:
        return Problem("too_large", f"messages are limited to {limit} bytes")
    if is_binary:
        return Problem("bad_message", "send JSON text frames")
    try:
        message = client_json.loads(payload)
    except client_json.JsonRefused as refused:
        return Problem("bad_message", refused.message)
    if not isinstance(message, dict) or not isinstance(message.get("action"), str):
        return Problem("bad_message", "expected an object with an action")
    read = ACTIONS.get(message["action"])
    if read is None:
        return Problem("unknown_action", f"unknown action {message['action']!r}")
    return read(message)


def timeout_problem(timeout: Any, longest: float) -> str | None:
    """Why a command's C{timeout} is refused, or None when it is absent or in (0, longest]."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= longest:
        return f"timeout: must be a number of seconds greater than 0 and at most {longest:g}"
    return None
