"""Voyager's wire format: one JSON object per line, CR LF terminated (pure)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

LINE_END = b"\r\n"

# Voyager is a Windows .NET program; the sheet guesses UTF-8 (marked [guess]).
# A line that is not valid UTF-8 is read as Windows-1252 rather than dropped.
PRIMARY_ENCODING = "utf-8"
FALLBACK_ENCODING = "cp1252"

_TIMESTAMP = re.compile(rb'"Timestamp"\s*:\s*"?(-?[0-9][0-9.eE+-]*)')

# A preview's base64 is most of its line (2.7 MB of NewJPGReady): it is cut
# out of the line as it is, and only the rest goes through the JSON parser.
# It stays a view of the line's bytes: a str, or even a bytes slice, is
# another copy of megabytes (and, on this scale, fresh pages for each), and
# what reads it (the image store's base64 decoder) takes any bytes-like.
SPLICE_OVER = 64 * 1024  # lines longer than this are looked at for it
_IMAGE_MEMBER = re.compile(rb'"Base64Data"\s*:\s*"')


class MalformedLine(ValueError):
    """A line from Voyager that is not a JSON object we can use."""

    def __init__(self, reason: str, line: bytes) -> None:
        super().__init__(f"{reason}: {line[:80]!r}")
        self.reason = reason
        self.excerpt = line[:80]


def decode_text(line: bytes) -> str:
    """Decode a received line, falling back to Windows-1252 for non-UTF-8 bytes."""
    try:
        return line.decode(PRIMARY_ENCODING)
    except UnicodeDecodeError:
        return line.decode(FALLBACK_ENCODING, errors="replace")


def _not_a_number(name: str) -> None:
    """
    C{NaN} and C{Infinity} (which .NET may write) are read as null: strict
    JSON readers downstream refuse them. (An overflowing C{1e999} is read as
    infinity, left to the writers, which write it as null: a hook on every
    float would slow the ControlData path.)
    """
    return None


def decode_line(line: bytes) -> dict[str, Any]:
    """Parse one received line into a JSON object, or raise L{MalformedLine}."""
    if len(line) > SPLICE_OVER:
        spliced = _spliced(line)
        if spliced is not None:
            return spliced
    try:
        message = json.loads(decode_text(line), parse_constant=_not_a_number)
    except RecursionError:
        raise MalformedLine("not JSON (nested too deeply)", line) from None
    except ValueError as error:
        raise MalformedLine(f"not JSON ({error.args[0]})", line) from None
    if not isinstance(message, dict):
        raise MalformedLine("not a JSON object", line)
    return message


def _spliced(line: bytes) -> dict[str, Any] | None:
    """
    The line's object, its top-level C{Base64Data} string left a view of
    the line's bytes and the rest parsed: the JSON parser's object, for a
    fraction of its time. None (parse it all) when the string has an escape
    or is not a member of the object itself. A non-ASCII byte in it is no
    base64, which the image store refuses.
    """
    member = _IMAGE_MEMBER.search(line)
    if member is None:
        return None
    start = member.end()
    end = line.find(b'"', start)
    if end <= start or line.find(b"\\", start, end) >= 0:
        return None
    data = memoryview(line)[start:end]
    try:
        message = json.loads(decode_text(line[:start] + line[end:]), parse_constant=_not_a_number)
    except (ValueError, RecursionError):  # UnicodeDecodeError included; the whole parse says why
        return None
    if not isinstance(message, dict) or message.get("Base64Data") != "":
        return None
    message["Base64Data"] = data
    return message


def session_key(line: bytes) -> str:
    """
    Return the C{Timestamp} of a Version line exactly as its characters appear.

    RoboTarget signs with this text, so it must never be re-printed from a float.
    """
    match = _TIMESTAMP.search(line)
    if match is None:
        raise MalformedLine("Version event without a Timestamp", line)
    return match.group(1).decode("ascii")


def encode(message: Mapping[str, Any]) -> bytes:
    """
    Serialize one outgoing message (without the line terminator). Non-ASCII
    text goes as C{\\u} escapes, so the bytes are the same whatever encoding
    Voyager reads them with.
    """
    return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def encode_request(method: str, params: Mapping[str, Any], request_id: int) -> bytes:
    """A JSON-RPC request line as Voyager's documentation writes them."""
    return encode({"method": method, "params": params, "id": request_id})


def encode_polling(timestamp: float, host: str, instance: int = 1) -> bytes:
    """The client's heartbeat line."""
    return encode({"Event": "Polling", "Timestamp": round(timestamp, 5), "Host": host, "Inst": instance})
