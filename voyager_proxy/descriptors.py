"""
File descriptors for the connections the configuration allows: at start-up
the soft RLIMIT_NOFILE is raised to the hard one when it leaves too little
room, and a warning gives the numbers when even that is not enough.
"""

from __future__ import annotations

import resource
from collections.abc import Callable

import attrs
from twisted.logger import Logger

from .config import Config

RESERVED = 64  # the listening sockets, Voyager, the log, the epoll set, the metrics thread pool...

Limits = tuple[int, int]


def needed(config: Config) -> int:
    """Descriptors for every dashboard, every HTTP connection and L{RESERVED} more."""
    return config.websocket.max_clients + config.http.max_connections + RESERVED


@attrs.frozen
class Outcome:
    """The soft limit found, the one now in force, and how many the configuration needs."""

    found: int
    now: int
    needed: int

    @property
    def enough(self) -> bool:
        return self.now >= self.needed


def _finite(limit: int) -> int:
    return 1 << 20 if limit == resource.RLIM_INFINITY else limit


def make_room(
    wanted: int,
    get: Callable[[], Limits] = lambda: resource.getrlimit(resource.RLIMIT_NOFILE),
    set_soft: Callable[[int, int], None] = lambda soft, hard: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)),
) -> Outcome:
    """Raise the soft limit towards the hard one (no higher than needed) when it is below C{wanted}."""
    soft, hard = get()
    if _finite(soft) >= wanted:
        return Outcome(soft, soft, wanted)
    raised = min(_finite(hard), wanted) if hard == resource.RLIM_INFINITY else hard
    try:
        set_soft(raised, hard)
    except (OSError, ValueError):
        raised = soft
    return Outcome(soft, raised, wanted)


def check_descriptors(config: Config, log: Logger | None = None) -> Outcome:
    """L{make_room} for the configuration; warn with the numbers when there is still too little."""
    outcome = make_room(needed(config))
    if not outcome.enough:
        (log or Logger()).warn(
            "open-file limit {now} is below the {needed} descriptors websocket.max_clients ({clients})"
            " + http.max_connections ({http}) + {reserved} need: raise LimitNOFILE= (or ulimit -n),"
            " or lower those limits",
            now=outcome.now,
            needed=outcome.needed,
            clients=config.websocket.max_clients,
            http=config.http.max_connections,
            reserved=RESERVED,
        )
    return outcome
