"""
Application messages for booking rooms (pure): Laravel posts them over REST,
the WebSocket delivers them to the room's members. Both faces use this one
owner, so neither imports the other. Membership is bounded here: a room's
name, the rooms one connection may be in, and the rooms in all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

ROOM_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
ROOM_NAME_RULE = "room names are 1 to 128 characters of A-Z a-z 0-9 _ . : -"

Deliver = Callable[[str, str, Mapping[str, Any]], int]  # (room, event, data) -> members reached


def room_name_problem(room: object) -> str | None:
    """Why C{room} is not a room name, or None when it is one."""
    if not isinstance(room, str) or ROOM_NAME.fullmatch(room) is None:
        return ROOM_NAME_RULE
    return None


class Rooms:
    """
    Who is in which room, and where a posted message goes: to whoever
    L{serve}s them (the WebSocket factory), else nowhere.

    A member is in at most C{per_member} rooms; at most C{total} rooms have
    members at once. A room with no member left is forgotten.
    """

    def __init__(self, per_member: int = 16, total: int = 1000) -> None:
        self._deliver: Deliver | None = None
        self.per_member = per_member
        self.total = total
        self._members: dict[str, set[Hashable]] = {}
        self._joined: dict[Hashable, set[str]] = {}

    def serve(self, deliver: Deliver) -> None:
        """Deliver every room message posted from now on with C{deliver}."""
        self._deliver = deliver

    def post(self, room: str, event: str, data: Mapping[str, Any]) -> int:
        """Send C{event} with C{data} to the members of C{room}; how many got it."""
        return 0 if self._deliver is None else self._deliver(room, event, data)

    def __len__(self) -> int:
        """How many rooms have members."""
        return len(self._members)

    def join(self, member: Hashable, room: str) -> str | None:
        """Put C{member} in C{room}; why not, when a bound refuses it (None once in)."""
        problem = room_name_problem(room)
        if problem is not None:
            return problem
        joined = self._joined.get(member, set())
        if room in joined:
            return None
        if len(joined) >= self.per_member:
            return f"a connection may be in at most {self.per_member} rooms"
        if room not in self._members and len(self._members) >= self.total:
            return f"the proxy serves at most {self.total} rooms at once"
        self._joined.setdefault(member, set()).add(room)
        self._members.setdefault(room, set()).add(member)
        return None

    def leave(self, member: Hashable, room: str) -> None:
        """Take C{member} out of C{room}; harmless when it was not in."""
        joined = self._joined.get(member)
        if joined is None or room not in joined:
            return
        joined.discard(room)
        if not joined:
            del self._joined[member]
        members = self._members[room]
        members.discard(member)
        if not members:
            del self._members[room]

    def leave_all(self, member: Hashable) -> None:
        """Take C{member} out of every room (it disconnected)."""
        for room in list(self._joined.get(member, ())):
            self.leave(member, room)

    def rooms_of(self, member: Hashable) -> frozenset[str]:
        return frozenset(self._joined.get(member, ()))

    def members(self, room: str) -> frozenset[Hashable]:
        return frozenset(self._members.get(room, ()))
