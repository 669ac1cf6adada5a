"""API keys and roles (pure): who is calling, and what they may do."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

import attrs

ROLES = ("read", "control")
# Pseudo-methods a narrowed key's list may name, for what is not a Voyager method.
ROOMS = "rooms"  # post to booking rooms (REST) and join them (WebSocket)


@attrs.frozen
class ApiKey:
    """A named key with a role; C{methods} narrows the Voyager methods it may call."""

    name: str
    role: str
    secret: bytes = attrs.field(repr=False)
    methods: frozenset[str] | None = None

    @property
    def can_control(self) -> bool:
        return self.role == "control"

    def may_call(self, method: str) -> bool:
        return self.can_control and (self.methods is None or method in self.methods)


# The identity of every request when no key is configured (loopback only).
LOCAL = ApiKey("local", "control", b"")


def parse_keys(entries: Iterable[str]) -> list[ApiKey]:
    """
    Read C{name:role:key[:Method|Method...]} entries.

    Errors name the entry by position and name, never its key.
    """
    keys: list[ApiKey] = []
    for position, entry in enumerate(entries, start=1):
        parts = entry.split(":")
        if len(parts) not in (3, 4) or not all(parts[:3]):
            raise ValueError(f"entry {position} must be name:role:key[:Method|Method...]")
        name, role, secret = parts[:3]
        if role not in ROLES:
            raise ValueError(f"entry {position} ({name}): role must be read or control")
        if len(secret) < 16:
            raise ValueError(f"entry {position} ({name}): key must be at least 16 characters")
        if any(key.name == name for key in keys):
            raise ValueError(f"entry {position} ({name}): name used twice")
        methods = frozenset(m for m in parts[3].split("|") if m) if len(parts) == 4 else None
        keys.append(ApiKey(name, role, secret.encode("utf-8"), methods))
    return keys


class KeyRing:
    """The configured keys; an empty ring means authentication is off."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = tuple(keys)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def find(self, presented: str) -> ApiKey | None:
        """The key matching C{presented}, comparing against every key in constant time."""
        candidate = presented.encode("utf-8")
        found = None
        for key in self._keys:
            if hmac.compare_digest(candidate, key.secret):
                found = key
        return found
