"""What a dashboard connection needs of the factory that made it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from autobahn.websocket.protocol import PreparedMessage
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from ..auth import ApiKey
from ..config import WebSocketSettings
from ..ledger import LedgerEntry
from ..voyager import Command
from .auth import Refused
from .handshake import Grant

if TYPE_CHECKING:
    from .protocol import PushProtocol


class Hub(Protocol):
    """The push factory as one connection sees it (L{PushFactory} is the one)."""

    settings: WebSocketSettings  # limits: queue, rate, message size, slow-client timeout
    clock: IReactorTime
    preview_widths: tuple[int, ...]  # the widths binary previews may ask for (images.widths)

    def admit(self, proceed: Callable[[], None]) -> bool:
        """Whether the opening handshake may go on now; if not, C{proceed} is called on a later reactor turn."""

    def authorise(
        self, origin: str | None, params: Mapping[str, Sequence[str]], headers: Mapping[str, str]
    ) -> Grant | Refused:
        """The opening request's grant, or why it is refused."""

    def failed_authentication(self, address: str, reason: str) -> float:
        """Count a refused key or token from C{address}; the seconds it must wait (0: refuse it as usual)."""

    def initial_state_frame(self) -> PreparedMessage:
        """The C{initialState} frame of now."""

    def state_payload(self) -> bytes:
        """The C{state} answer of now (C{getState})."""

    def replay(self, resume_from: tuple[str, int], fields: str, key: ApiKey) -> Iterator[bytes] | None:
        """
        C{resumed} then each message missed since that C{key} may see, in
        C{fields} mode, as taken; None when they are not all kept.
        """

    def prepareMessage(self, payload: bytes) -> PreparedMessage:  # noqa: N802 (Autobahn's)
        """One frame, ready for any number of clients."""

    def subscribe(self, client: PushProtocol) -> None:
        """Start sending published messages to C{client}."""

    def unsubscribe(self, client: PushProtocol) -> None:
        """Stop sending to C{client}; harmless when it was not subscribed."""

    def join(self, client: PushProtocol, room: str) -> str | None:
        """Put C{client} in C{room}; why not when a bound of L{Rooms} refuses."""

    def leave(self, client: PushProtocol, room: str) -> None:
        """Take C{client} out of C{room}."""

    def rooms_of(self, client: PushProtocol) -> frozenset[str]:
        """The rooms C{client} is in."""

    def may_call(self, key: ApiKey, method: str) -> bool:
        """Whether C{key} may send C{method} to Voyager."""

    @property
    def max_timeout(self) -> float:
        """The longest time limit a caller may give a command."""

    def submit(self, method: str, params: dict[str, Any], key: ApiKey, timeout: float | None) -> LedgerEntry:
        """Send a Voyager command and record it in the ledger (raises VoyagerError)."""

    def answer(self, command: Command) -> Deferred[Any]:
        """The command's final outcome, or ShuttingDown when the proxy stops first."""

    def count_coalesced(self) -> None:
        """A held frame was replaced by a newer one of its topic."""

    def count_closed(self, reason: str) -> None:
        """A client was closed by the daemon (C{slow}, C{flood})."""
