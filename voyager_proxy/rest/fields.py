"""
What a route reads from its body and query string (pure).

Each field reads itself (C{read}: the value, or a 400 naming the field) and
describes itself (C{schema}: its JSON Schema), so the OpenAPI document states
the ranges and defaults the code enforces. A bound may be a L{Setting}, read
from the API settings when the routes are built at start-up.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import validation as check
from .errors import invalid

MAX_TEXT = 256
LAST_EPOCH = 4102444800  # 2100-01-01
GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TIME_OF_DAY_PATTERN = r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$"
_GUID = re.compile(GUID_PATTERN)
_TIME_OF_DAY = re.compile(TIME_OF_DAY_PATTERN)


@attrs.frozen
class Setting:
    """A bound read from the API settings (C{api.<name>}) when the routes are built."""

    name: str


Bound = int | float | Setting


def _resolved(bound: Bound, settings: Any) -> Any:
    return getattr(settings, bound.name) if isinstance(bound, Setting) else bound


def _number(bound: Bound) -> int | float:
    if isinstance(bound, Setting):
        raise TypeError(f"the bound api.{bound.name} is read when the routes are built: resolve() first")
    return bound


def _described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description} if description else schema


# Scalars read from a JSON body.


@attrs.frozen
class Field:
    """
    One member of a JSON object body. C{default} None means required, unless
    C{optional}: then an absent field reads as None.
    """

    name: str
    default: Any = attrs.field(default=None, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)
    optional: bool = attrs.field(default=False, kw_only=True)

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional

    def read(self, body: Mapping[str, Any]) -> Any:
        """The checked value of this field in C{body}; a 400 naming it otherwise."""
        if self.optional and body.get(self.name) is None:
            return None
        return self._read(body)

    def schema(self) -> dict[str, Any]:
        """This field's JSON Schema, its default and description included."""
        schema = self._schema()
        if self.default is not None and "default" not in schema:
            schema["default"] = self.default
        return _described(schema, self.description)

    def resolve(self, settings: Any) -> Field:
        """This field with its L{Setting} bounds read from C{settings}."""
        return self

    def _read(self, body: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def _schema(self) -> dict[str, Any]:
        raise NotImplementedError


@attrs.frozen
class Integer(Field):
    """A JSON integer within [low, high]."""

    low: Bound = 0
    high: Bound = 0

    def _read(self, body: Mapping[str, Any]) -> int:
        return check.integer(body, self.name, int(_number(self.low)), int(_number(self.high)), self.default)

    def _schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": _number(self.low), "maximum": _number(self.high)}

    def resolve(self, settings: Any) -> Integer:
        return attrs.evolve(self, low=_resolved(self.low, settings), high=_resolved(self.high, settings))


@attrs.frozen
class Number(Field):
    """A JSON number within [low, high], or (low, high] when C{above}."""

    low: float = 0
    high: float = 0
    above: bool = attrs.field(default=False, kw_only=True)

    def _read(self, body: Mapping[str, Any]) -> float:
        return check.number(body, self.name, self.low, self.high, self.default, above=self.above)

    def _schema(self) -> dict[str, Any]:
        return {"type": "number", ("exclusiveMinimum" if self.above else "minimum"): self.low, "maximum": self.high}


@attrs.frozen
class Angle(Field):
    """Decimal or sexagesimal text, within [low, high) when the scale C{wraps} (hours of RA), else [low, high]."""

    low: float = 0
    high: float = 0
    wraps: bool = attrs.field(default=False, kw_only=True)

    def _read(self, body: Mapping[str, Any]) -> float:
        return check.angle(body, self.name, self.low, self.high, wraps=self.wraps)

    def _schema(self) -> dict[str, Any]:
        top = "exclusiveMaximum" if self.wraps else "maximum"
        return {"oneOf": [{"type": "number", "minimum": self.low, top: self.high}, {"type": "string"}]}


@attrs.frozen
class GainOffset(Field):
    """RemoteCameraShot's Gain or Offset: 0 or more, or one of Voyager's special values."""

    default: Any = attrs.field(default=-800000, kw_only=True)
    description: str = attrs.field(
        default=">= 0, or -800000 (current), -900000 (preset), -2147483648 (unchanged)", kw_only=True
    )

    def _read(self, body: Mapping[str, Any]) -> int:
        return check.gain_or_offset(body, self.name)

    def _schema(self) -> dict[str, Any]:
        return {"type": "integer", "anyOf": [{"minimum": 0}, {"enum": list(check.GAIN_SPECIALS)}]}


@attrs.frozen
class Flag(Field):
    """True or false."""

    def _read(self, body: Mapping[str, Any]) -> bool:
        value = body.get(self.name, self.default)
        if not isinstance(value, bool):
            raise invalid(self.name, "is required" if value is None else "must be true or false")
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@attrs.frozen
class Text(Field):
    """A string of at most MAX_TEXT characters; not blank when C{filled}."""

    filled: bool = attrs.field(default=False, kw_only=True)

    def _read(self, body: Mapping[str, Any]) -> str:
        value = body.get(self.name, self.default)
        if not isinstance(value, str):
            raise invalid(self.name, "is required" if value is None else "must be a string")
        if self.filled and not value.strip():
            raise invalid(self.name, "must not be empty")
        if len(value) > MAX_TEXT:
            raise invalid(self.name, f"must be at most {MAX_TEXT} characters")
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": MAX_TEXT, **({"minLength": 1} if self.filled else {})}


def guid(value: Any, field: str) -> str:
    """A GUID (8-4-4-4-12 hex digits), lower-cased."""
    if not isinstance(value, str) or not _GUID.fullmatch(value):
        raise invalid(field, "must be a GUID such as 0697f2f9-24e4-4850-84e9-18ea28b05fe9")
    return value.lower()


_GUID_SCHEMA = {"type": "string", "format": "uuid", "pattern": GUID_PATTERN}


@attrs.frozen
class Guid(Field):
    """A GUID, lower-cased; C{fresh}: one is made up when the field is absent."""

    fresh: bool = attrs.field(default=False, kw_only=True)

    @property
    def required(self) -> bool:
        return not (self.fresh or self.optional)

    def _read(self, body: Mapping[str, Any]) -> str:
        value = body.get(self.name)
        if value is None and self.fresh:
            return str(uuid.uuid4())
        return guid(value, self.name)

    def _schema(self) -> dict[str, Any]:
        return dict(_GUID_SCHEMA)


def epoch_seconds(value: Any, field: str) -> int:
    """Epoch seconds from 1970 to 2100, given as a number or as ISO 8601 text (without an offset: UTC)."""
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise invalid(field, "must be epoch seconds or an ISO 8601 date such as 2026-11-28T21:30:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        value = moment.timestamp()
    return int(check.number({field: value}, field, 0, LAST_EPOCH))


_EPOCH_SCHEMA = {"oneOf": [{"type": "number", "minimum": 0, "maximum": LAST_EPOCH}, {"type": "string"}]}


@attrs.frozen
class Epoch(Field):
    """A moment: epoch seconds, or ISO 8601 text (UTC when no offset is given)."""

    description: str = attrs.field(default="Epoch seconds, or ISO 8601 (UTC when no offset is given)", kw_only=True)

    def _read(self, body: Mapping[str, Any]) -> int:
        return epoch_seconds(body.get(self.name, self.default), self.name)

    def _schema(self) -> dict[str, Any]:
        return {**_EPOCH_SCHEMA}


@attrs.frozen
class TimeOfDay(Field):
    """
    Seconds after midnight, given as C{HH:MM[:SS]} or a number of seconds.
    The protocol's examples disagree on this unit: this is the one place to change.
    """

    description: str = attrs.field(default="Seconds after midnight, or HH:MM[:SS]", kw_only=True)

    def _read(self, body: Mapping[str, Any]) -> int:
        value = body.get(self.name)
        if isinstance(value, str):
            match = _TIME_OF_DAY.fullmatch(value)
            if match is None or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
                raise invalid(self.name, "must be a time of day HH:MM[:SS] or seconds after midnight")
            return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
        return check.integer({self.name: value}, self.name, 0, 86399)

    def _schema(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 86399},
                {"type": "string", "pattern": TIME_OF_DAY_PATTERN},
            ]
        }


@attrs.frozen
class Composite(Field):
    """A field whose C{reader} checks a structure (a list of objects...) that C{layout} describes."""

    reader: Callable[[Mapping[str, Any], str], Any] = attrs.field(default=None, kw_only=True)
    layout: Callable[[], dict[str, Any]] = attrs.field(default=None, kw_only=True)

    def _read(self, body: Mapping[str, Any]) -> Any:
        return self.reader(body, self.name)

    def _schema(self) -> dict[str, Any]:
        return self.layout()


# Bodies.


@attrs.frozen
class Body:
    """
    A JSON object body: its fields, and the JSON Schema C{rules} tying them
    together (if/then/else...). C{reader} replaces reading each field by name
    when the fields depend on each other; C{title} names the schema in the
    document's components.
    """

    fields: tuple[Field, ...]
    rules: Mapping[str, Any] = attrs.field(factory=dict, kw_only=True)
    reader: Callable[[Mapping[str, Any]], dict[str, Any]] | None = attrs.field(default=None, kw_only=True)
    title: str | None = attrs.field(default=None, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)

    @property
    def required(self) -> bool:
        """Whether a body must be sent (some field is required)."""
        return any(field.required for field in self.fields)

    def read(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Every field's value by name (or what C{reader} makes of the body)."""
        if self.reader is not None:
            return self.reader(body)
        return {field.name: field.read(body) for field in self.fields}

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {field.name: field.schema() for field in self.fields},
            "additionalProperties": True,
        }
        required = [field.name for field in self.fields if field.required]
        if required:
            schema["required"] = required
        return _described({**schema, **self.rules}, self.description)

    def resolve(self, settings: Any) -> Body:
        return attrs.evolve(self, fields=tuple(field.resolve(settings) for field in self.fields))


EMPTY = Body(())


# The query string.


def _first(args: Mapping[bytes, list[bytes]], name: str) -> str | None:
    values = args.get(name.encode())
    return values[0].decode("utf-8", "replace") if values else None


@attrs.frozen
class Query:
    """One query parameter, given as text; C{read(args)} takes Twisted's C{request.args}."""

    name: str
    description: str = attrs.field(default="", kw_only=True)

    @property
    def required(self) -> bool:
        return False

    def read(self, args: Mapping[bytes, list[bytes]]) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def parameter(self) -> dict[str, Any]:
        """This parameter as an OpenAPI Parameter Object."""
        parameter = {"name": self.name, "in": "query", "required": self.required, "schema": self.schema()}
        return _described(parameter, self.description)

    def resolve(self, settings: Any) -> Query:
        return self


@attrs.frozen
class QueryInteger(Query):
    """An integer within [low, high], C{default} when absent."""

    low: Bound = attrs.field(default=0, kw_only=True)
    high: Bound = attrs.field(default=0, kw_only=True)
    default: int = attrs.field(default=0, kw_only=True)

    def read(self, args: Mapping[bytes, list[bytes]]) -> int:
        return check.query_int(args, self.name, int(_number(self.low)), int(_number(self.high)), self.default)

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": _number(self.low), "maximum": _number(self.high), "default": self.default}

    def resolve(self, settings: Any) -> QueryInteger:
        return attrs.evolve(self, low=_resolved(self.low, settings), high=_resolved(self.high, settings))


@attrs.frozen
class QueryText(Query):
    """Any text, C{default} when absent."""

    default: str | None = attrs.field(default=None, kw_only=True)

    def read(self, args: Mapping[bytes, list[bytes]]) -> str | None:
        value = _first(args, self.name)
        return self.default if value is None else value

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


@attrs.frozen
class QueryChoice(Query):
    """One of C{choices}, or None when absent."""

    choices: tuple[str, ...] = attrs.field(default=(), kw_only=True)

    def read(self, args: Mapping[bytes, list[bytes]]) -> str | None:
        value = _first(args, self.name)
        if value is not None and value not in self.choices:
            raise invalid(self.name, f"must be one of {', '.join(self.choices)}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}


@attrs.frozen
class QueryGuid(Query):
    """A GUID; when not C{needed}, "" (Voyager's "any") if absent or empty."""

    needed: bool = attrs.field(default=False, kw_only=True)

    @property
    def required(self) -> bool:
        return self.needed

    def read(self, args: Mapping[bytes, list[bytes]]) -> str:
        value = _first(args, self.name)
        if self.needed and value is None:
            raise invalid(self.name, "is required")
        return guid(value, self.name) if value or self.needed else ""

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


@attrs.frozen
class QueryEpoch(Query):
    """A required moment: epoch seconds or ISO 8601 text."""

    @property
    def required(self) -> bool:
        return True

    def read(self, args: Mapping[bytes, list[bytes]]) -> int:
        value = _first(args, self.name)
        if value is None:
            raise invalid(self.name, "is required")
        return epoch_seconds(float(value) if _DECIMAL.fullmatch(value) else value, self.name)

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


@attrs.frozen
class QuerySeconds(Query):
    """A number of seconds greater than 0 and at most C{high}; None when absent."""

    high: Bound = attrs.field(default=0, kw_only=True)

    def read(self, args: Mapping[bytes, list[bytes]]) -> float | None:
        return check.query_seconds(args, self.name, _number(self.high))

    def schema(self) -> dict[str, Any]:
        return {"type": "number", "exclusiveMinimum": 0, "maximum": _number(self.high)}

    def resolve(self, settings: Any) -> QuerySeconds:
        return attrs.evolve(self, high=_resolved(self.high, settings))


@attrs.frozen
class QuerySwitch(Query):
    """On unless given as false, 0 or no."""

    def read(self, args: Mapping[bytes, list[bytes]]) -> bool:
        value = args.get(self.name.encode(), [b"true"])[0].lower()
        return value not in (b"false", b"0", b"no")

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": ["true", "false"]}
