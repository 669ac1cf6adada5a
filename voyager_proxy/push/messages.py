"""What dashboards receive: topic names and message bodies (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import client_json

# Voyager event name -> topic; any other event is pushed under its own name
# with a lower-case first letter.
TOPICS = {
    "ControlData": "controlData",
    "Signal": "signal",
    "ShotRunning": "shotRunning",
    "NewFITReady": "newFITReady",
    "NewJPGReady": "newJPG",
    "RemoteActionResult": "remoteActionResult",
    "LogEvent": "logEvent",
    "Version": "version",
    "ShutDown": "shutDown",
}


# What a client's Voyager event frames carry (?fields= and the fields action).
FIELDS_MODES = ("parsed", "raw", "both")
DEFAULT_FIELDS = "parsed"
# Voyager's fields kept beside the parsed part in a parsed frame: the envelope,
# and the preview itself, which has no parsed form.
ENVELOPE = ("Event", "Timestamp", "Host", "Inst", "Base64Data")
# Topics whose parsed part leaves out its null entries in a parsed frame (see
# L{slim}): the telemetry, ten times a second, half of it nulls.
SLIMMED = frozenset({"controlData"})


def topic_for(event_name: str) -> str:
    """The topic a Voyager event is pushed under."""
    return TOPICS.get(event_name) or (event_name[:1].lower() + event_name[1:])


def slim(parsed: Any) -> Any:
    """
    C{parsed} without its null entries and the groups they leave empty: what
    Voyager did not report reads the same absent as null, and why a value is
    missing stays in C{unavailable}. Lists and every other value are kept.
    """
    if not isinstance(parsed, Mapping):
        return parsed
    kept: dict[str, Any] = {}
    for name, value in parsed.items():
        if isinstance(value, Mapping):
            value = slim(value)
            if not value:
                continue
        if value is not None:
            kept[name] = value
    return kept


_json = client_json.dumps


def encode(event: str, data: Any, seq: int | None = None) -> bytes:
    """One text frame: C{{"event", "seq", "data"}}."""
    message: dict[str, Any] = {"event": event, "data": data}
    if seq is not None:
        message["seq"] = seq
    return _json(message)


class Message:
    """A published message that is the same in every fields mode."""

    __slots__ = ("_payload",)
    by_fields = False  # one frame for every client

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def payload(self, fields: str) -> bytes:
        return self._payload

    def settle(self) -> None:
        """Nothing to do: the payload is all there is."""


def _with_parsed(obj: bytes, parsed: bytes) -> bytes:
    """The JSON object C{obj} with a last member C{parsed}."""
    return obj[:-1] + (b',"parsed":' if len(obj) > 2 else b'"parsed":') + parsed + b"}"


class EventMessage:
    """
    A Voyager event as pushed, in each fields mode: C{both} (Voyager's fields
    plus C{parsed}), C{raw} (the fields alone) or C{parsed} (the parsed part
    with the L{ENVELOPE} fields; for a L{SLIMMED} topic, the parsed part
    without its nulls).

    Voyager's fields and the parsed part are each serialized at most once, when
    a mode first needs them; a mode's frame is the same bytes spliced together,
    byte for byte what L{encode} would give (Voyager sends no field named
    C{parsed}). L{settle} serializes what is left
    and lets the event go, which is what the replay buffer keeps.
    """

    __slots__ = (
        "_head",
        "_tail",
        "_slimmed",
        "_fields",
        "_parsed",
        "_raw_json",
        "_parsed_json",
        "_slim_json",
        "_envelope_json",
    )
    by_fields = True

    def __init__(self, topic: str, fields: Mapping[str, Any], parsed: Any, seq: int) -> None:
        self._head = b'{"event":' + _json(topic) + b',"data":'
        self._tail = b',"seq":%d}' % seq
        self._slimmed = topic in SLIMMED
        self._fields: Mapping[str, Any] | None = fields
        self._parsed = parsed
        self._raw_json: bytes | None = None
        self._parsed_json: bytes | None = None
        self._slim_json: bytes | None = None
        self._envelope_json: bytes | None = None

    def _raw(self) -> bytes:
        if self._raw_json is None:
            self._raw_json = _json(self._fields)
        return self._raw_json

    def _parsed_part(self) -> bytes:
        if self._parsed_json is None:
            self._parsed_json = _json(self._parsed)
        return self._parsed_json

    def _slim_part(self) -> bytes:
        if not self._slimmed:
            return self._parsed_part()
        if self._slim_json is None:
            self._slim_json = _json(slim(self._parsed))
        return self._slim_json

    def _envelope(self) -> bytes:
        if self._envelope_json is None:
            fields = self._fields or {}
            self._envelope_json = _json({name: fields[name] for name in ENVELOPE if name in fields})
        return self._envelope_json

    def data(self, fields: str) -> bytes:
        """The serialized C{data} of the frame in mode C{fields}."""
        if fields == "raw":
            return self._raw()
        if fields == "parsed":
            return _with_parsed(self._envelope(), self._slim_part())
        return _with_parsed(self._raw(), self._parsed_part())

    def payload(self, fields: str) -> bytes:
        """The frame in mode C{fields}."""
        return self._head + self.data(fields) + self._tail

    def settle(self) -> None:
        """Serialize every part (for a later mode), then drop the event."""
        self._raw(), self._parsed_part(), self._slim_part(), self._envelope()
        self._fields = self._parsed = None


def error(problem: str, message: str) -> bytes:
    """An C{error} event naming the problem."""
    return encode("error", {"code": problem, "message": message})
