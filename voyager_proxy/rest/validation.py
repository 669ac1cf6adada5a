"""Checks of request bodies and query strings (pure); errors name the field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import invalid

_SEXAGESIMAL = re.compile(
    r"^\s*(?P<sign>[+-])?\s*(?P<a>\d{1,3})(?:[:\s°hd]+\s*(?P<b>\d{1,2})(?:[:\s'′m]+\s*(?P<c>\d{1,2}(?:\.\d+)?))?)?\s*[\"″s]?\s*$"
)

# Gain/Offset special values (sheet §6): leave unchanged, preset, current.
GAIN_SPECIALS = (-2147483648, -900000, -800000)


def _present(body: Mapping[str, Any], field: str, default: Any) -> Any:
    value = body.get(field, default)
    if value is None:
        raise invalid(field, "is required")
    return value


def _finite(value: int | float) -> bool:
    """A float that is not infinite or NaN (JSON integers may be too big for a float)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def number(
    body: Mapping[str, Any], field: str, low: float, high: float, default: Any = None, *, above: bool = False
) -> float:
    """A JSON number within [low, high] (or (low, high] with C{above})."""
    value = _present(body, field, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise invalid(field, "must be a number")
    if (value <= low if above else value < low) or value > high:
        bound = "greater than" if above else "at least"
        raise invalid(field, f"must be {bound} {low:g} and at most {high:g}")
    return float(value)


def integer(body: Mapping[str, Any], field: str, low: int, high: int, default: Any = None) -> int:
    """A JSON integer within [low, high]."""
    value = _present(body, field, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, "must be an integer")
    if not low <= value <= high:
        raise invalid(field, f"must be from {low} to {high}")
    return value


def gain_or_offset(body: Mapping[str, Any], field: str) -> int:
    """0 or more, or one of Voyager's special values (default: the camera's current value)."""
    value = _present(body, field, -800000)
    if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and value not in GAIN_SPECIALS):
        raise invalid(field, "must be an integer >= 0, or -800000 (current), -900000 (preset), -2147483648 (unchanged)")
    return value


def angle(body: Mapping[str, Any], field: str, low: float, high: float, *, wraps: bool) -> float:
    """
    Decimal, or sexagesimal text (C{05:35:17}, C{-05° 23' 28"}), within
    [low, high) when the scale C{wraps} (hours of RA), else [low, high].
    """
    value = _present(body, field, None)
    if isinstance(value, bool):
        raise invalid(field, "must be a number or a sexagesimal string")
    if isinstance(value, (int, float)):
        if not _finite(value):
            raise invalid(field, "must be a number or a sexagesimal string")
        result = float(value)
    elif isinstance(value, str):
        match = _SEXAGESIMAL.fullmatch(value)
        if match is None:
            raise invalid(field, "must be a number or a sexagesimal string such as 05:35:17.3")
        minutes, seconds = float(match["b"] or 0), float(match["c"] or 0)
        if minutes >= 60 or seconds >= 60:
            raise invalid(field, "minutes and seconds must be below 60")
        result = float(match["a"]) + minutes / 60 + seconds / 3600
        if match["sign"] == "-":
            result = -result
    else:
        raise invalid(field, "must be a number or a sexagesimal string")
    inside = low <= result < high if wraps else low <= result <= high
    if not (math.isfinite(result) and inside):
        raise invalid(field, f"must be from {low:g} to {high:g}{' (exclusive)' if wraps else ''}")
    return result


def json_object(body: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid(field, "must be a JSON object")
    return body


def query_seconds(args: Mapping[bytes, list[bytes]], name: str, high: float) -> float | None:
    """A number of seconds in (0, high] from the query string, None when absent."""
    values = args.get(name.encode())
    if not values:
        return None
    try:
        value = float(values[0])
    except ValueError:
        raise invalid(name, "must be a number of seconds") from None
    if not (math.isfinite(value) and 0 < value <= high):
        raise invalid(name, f"must be greater than 0 and at most {high:g} seconds")
    return value


def query_int(args: Mapping[bytes, list[bytes]], name: str, low: int, high: int, default: int) -> int:
    """An integer query parameter within [low, high]."""
    values = args.get(name.encode())
    if not values:
        return default
    try:
        value = int(values[0])
    except ValueError:
        raise invalid(name, "must be an integer") from None
    if not low <= value <= high:
        raise invalid(name, f"must be from {low} to {high}")
    return value
