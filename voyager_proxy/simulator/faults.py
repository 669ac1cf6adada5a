"""Knobs that make the simulator misbehave, for tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .server import VoyagerSimulator


@attrs.define
class Faults:
    """
    Faults of a running simulator.

    C{stalled}: send nothing (Polling included) but keep sockets open.
    C{split_writes}: write each outgoing line in pieces of this many bytes.
    C{result_delay}: extra seconds before every RemoteActionResult.
    C{reject_auth}: refuse every login.
    """

    _simulator: VoyagerSimulator
    stalled: bool = False
    split_writes: int | None = None
    result_delay: float = 0.0
    reject_auth: bool = False

    def drop_connections(self) -> None:
        """Cut every client at once, as a crashed Voyager would."""
        for client in list(self._simulator.clients):
            client.connection.abortConnection()

    def send_garbage(self) -> None:
        """Send every client one line that is not JSON."""
        for client in list(self._simulator.clients):
            client.send_raw(b"}{ this is not JSON")

    def send_huge_line(self, size: int) -> None:
        """Send every client a valid JSON event line of about C{size} bytes."""
        line = b'{"Event":"HugeTestEvent","Blob":"' + b"A" * size + b'"}'
        for client in list(self._simulator.clients):
            client.send_raw(line)
