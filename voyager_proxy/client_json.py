"""
JSON as clients send it and as we answer (pure): nesting is bounded, and
NaN and Infinity, which strict parsers (PHP's json_decode, JSON.parse) cannot
read, are refused on the way in and never written on the way out.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64


class JsonRefused(ValueError):
    """A client's JSON we do not accept; C{field} names where (None: the text as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _path(parent: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{parent}[{part}]"
    return f"{parent}.{part}" if parent else part


def check(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise L{JsonRefused} for nesting deeper than C{max_depth} or a number that is not finite."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise JsonRefused(f"{path or 'value'}: must be a finite number", path or None)
        children: list[tuple[str | int, Any]] | None = None
        if isinstance(item, dict):
            children = list(item.items())
        elif isinstance(item, list):
            children = list(enumerate(item))
        if children is None:
            continue
        if depth >= max_depth:
            raise JsonRefused(f"nested deeper than {max_depth} levels")
        stack.extend((_path(path, part), child, depth + 1) for part, child in children)


def loads(text: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """
    Parse a client's JSON: L{JsonRefused} for text that is not JSON, nested
    deeper than C{max_depth} (the parser's own recursion limit is never
    reached with a traceback), or holding a number that is not finite
    (C{NaN}, C{Infinity}, C{1e999}), naming the field.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonRefused(f"nested deeper than {max_depth} levels") from None
    except ValueError as error:
        raise JsonRefused(f"not valid JSON: {error}") from None
    check(value, max_depth)
    return value


def dumps(value: Any) -> bytes:
    """
    Compact UTF-8 JSON; a value that is not finite is written as null, never
    as C{NaN}; bytes and views of them (a preview's base64, as read off
    Voyager's line) as the ASCII text they are.
    """
    try:
        text = json.dumps(value, separators=(",", ":"), default=_text, allow_nan=False)
    except ValueError:
        text = json.dumps(finite(value), separators=(",", ":"), default=_text, allow_nan=False)
    return text.encode("utf-8")


def _text(value: Any) -> str:
    return bytes(value).decode("ascii", "replace") if isinstance(value, (bytes, memoryview)) else str(value)


def finite(value: Any) -> Any:
    """C{value} with every number that is not finite replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {name: finite(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value
