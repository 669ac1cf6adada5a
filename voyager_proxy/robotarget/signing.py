"""RoboTarget signatures (pure): the manager-mode Hash and each command's MAC."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

MAC_ENCODINGS = ("hex-base64", "raw-base64")
SEPARATOR = "||:||"


def _encode(text: str, encoding: str) -> str:
    """
    base64 of the SHA-1 of C{text}: of its lower-case hex text (the document's
    worked example) or of the 20 raw bytes (the length its request examples
    show). Which one Voyager checks is unsettled: hence the setting.
    """
    if encoding not in MAC_ENCODINGS:
        raise ValueError(f"unknown MAC encoding {encoding!r}")
    digest = hashlib.sha1(text.encode("utf-8"))
    data = digest.hexdigest().encode("ascii") if encoding == "hex-base64" else digest.digest()
    return base64.b64encode(data).decode("ascii")


def manager_hash(secret: str, session_key: str, mac_words: Sequence[str], encoding: str = "hex-base64") -> str:
    """The C{Hash} of RemoteSetRoboTargetManagerMode; the four words joined with nothing between."""
    return _encode(SEPARATOR.join((secret, session_key, "".join(mac_words))), encoding)


def command_mac(secret: str, session_key: str, request_id: int, uid: str, encoding: str = "hex-base64") -> str:
    """The C{MAC} of one RoboTarget request: its own JSON-RPC id and UID, this session's key."""
    return _encode(SEPARATOR.join((secret, session_key, str(request_id), uid)), encoding)
