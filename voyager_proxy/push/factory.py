"""Fan-out: each event serialized once, the same prepared frame sent to every subscriber."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory
from autobahn.websocket.protocol import PreparedMessage
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from ..auth import ApiKey, KeyRing
from ..config import WebSocketSettings
from ..ledger import CommandDesk, LedgerEntry
from ..metrics import Metrics
from ..rooms import Rooms
from ..tokens import TokenIssuer
from ..voyager import ConnectionStatus, VoyagerEvent, VoyagerLink
from .auth import Refused
from .handshake import Gate, Grant, authorise
from .messages import DEFAULT_FIELDS, EventMessage, Message, encode, topic_for
from .pacing import HandshakePacer
from .protocol import PushProtocol

NOT_REPLAYED = frozenset({"newJPG"})  # multi-MB previews: the state has the latest
ROOM_TOPIC = "room"  # how room messages are held for a paused client

Published = Message | EventMessage


class PushFactory(WebSocketServerFactory):
    """
    Subscribes to the link and pushes every event to every dashboard.

    Each message carries a C{seq} increasing per daemon run; C{initialState}
    gives the run's C{epoch} with the last C{seq} sent. Clients whose socket
    is full are held back one by one (see L{PushProtocol.deliver}); the
    others never wait for them.
    """

    protocol = PushProtocol
    _log = Logger()

    def __init__(
        self,
        link: VoyagerLink,
        clock: IReactorTime,
        keys: KeyRing,
        settings: WebSocketSettings,
        desk: CommandDesk,
        allowed_methods: frozenset[str],
        metrics: Metrics,
        rooms: Rooms,
        tokens: TokenIssuer | None = None,
    ) -> None:
        super().__init__()
        rooms.serve(self.publish_to_room)
        # Ping every 25 s; 35 s more without a pong closes (60 s in all).
        # Messages over max_message_bytes get an error event; Autobahn cuts
        # only those far beyond it, so a client's message never fills memory.
        self.setProtocolOptions(
            autoPingInterval=25,
            autoPingTimeout=35,
            maxConnections=settings.max_clients,
            maxMessagePayloadSize=16 * settings.max_message_bytes,
        )
        self.clock = clock
        self.pacer = HandshakePacer(clock)
        self.settings = settings
        self.metrics = metrics
        self._gate = Gate(keys, settings.jwt_secret, settings.allowed_origins, tokens, clock.seconds)
        self._desk = desk
        self._allowed_methods = allowed_methods
        self.epoch = secrets.token_hex(8)
        self.seq = 0
        # Every seq, in order; None where the message is not replayed (previews, room messages).
        self._replay: deque[tuple[int, Published | None]] = deque(maxlen=settings.replay_size)
        self._initial: tuple[tuple[int, int], PreparedMessage] | None = None  # (generation, seq), frame
        self._link = link
        self._subscribers: set[PushProtocol] = set()
        link.events.subscribe(self._event)
        link.status_changes.subscribe(self._status)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self, client: PushProtocol) -> None:
        self._subscribers.add(client)

    def unsubscribe(self, client: PushProtocol) -> None:
        self._subscribers.discard(client)

    def initial_state(self) -> dict[str, Any]:
        snapshot = self._link.cache.snapshot()
        return {
            "epoch": self.epoch,
            "seq": self.seq,
            "connection": snapshot["connection"],
            "version": snapshot["version"],
            "controlData": snapshot["controlData"],
            "shot": snapshot["shot"],
            "signals": snapshot["signals"],
        }

    def initial_state_frame(self) -> PreparedMessage:
        """
        The C{initialState} frame, prepared once per state generation and
        C{seq}: every client opening in between (a ramp of a thousand
        dashboards) shares it.
        """
        key = (self._link.cache.generation, self.seq)
        if self._initial is None or self._initial[0] != key:
            self._initial = (key, self.prepareMessage(encode("initialState", self.initial_state())))
        return self._initial[1]

    def state_payload(self) -> bytes:
        return encode("state", self.initial_state())

    def replay(self, resume_from: tuple[str, int], fields: str) -> list[bytes] | None:
        """C{resumed} then the messages after C{since}; None when the epoch changed or the gap is too old."""
        epoch, since = resume_from
        if epoch != self.epoch or since > self.seq:
            return None
        oldest = self._replay[0][0] if self._replay else self.seq + 1
        if since + 1 < oldest and since < self.seq:
            return None
        missed = [(seq, message) for seq, message in self._replay if seq > since]
        omitted = [seq for seq, message in missed if message is None]
        resumed = encode("resumed", {"epoch": self.epoch, "from": since + 1, "to": self.seq, "omitted": omitted})
        return [resumed] + [message.payload(fields) for _, message in missed if message is not None]

    # What a connection needs of us besides (see Hub).

    def admit(self, proceed: Callable[[], None]) -> bool:
        return self.pacer.admit(proceed)

    def authorise(
        self, origin: str | None, params: Mapping[str, Sequence[str]], headers: Mapping[str, str]
    ) -> Grant | Refused:
        return authorise(self._gate, origin, params, headers)

    def may_call(self, key: ApiKey, method: str) -> bool:
        return method in self._allowed_methods and key.may_call(method)

    @property
    def max_timeout(self) -> float:
        return self._desk.max_timeout

    def submit(self, method: str, params: dict[str, Any], sender: str, timeout: float | None) -> LedgerEntry:
        return self._desk.submit(method, params, sender, timeout=timeout)

    def count_coalesced(self) -> None:
        self.metrics.websocket_coalesced.inc()

    def count_closed(self, reason: str) -> None:
        self.metrics.websocket_closed.labels(reason).inc()

    def publish_to_room(self, room: str, event: str, data: Mapping[str, Any]) -> int:
        """Send an application message to the members of C{room}; return how many got it."""
        self.seq += 1
        self._replay.append((self.seq, None))
        members = [client for client in self._subscribers if room in client.rooms]
        if members:
            prepared = self.prepareMessage(encode(event, {**data, "room": room}, self.seq))
            for client in members:
                client.deliver(ROOM_TOPIC, prepared)  # never coalesced, whatever Laravel names it
        return len(members)

    def _event(self, event: VoyagerEvent) -> None:
        topic = topic_for(event.name)
        self._publish(topic, lambda seq: EventMessage(topic, event.fields, event.parsed, seq))

    def _status(self, status: ConnectionStatus) -> None:
        self._publish("connectionState", lambda seq: Message(encode("connectionState", status.as_dict(), seq)))

    def _publish(self, topic: str, make: Callable[[int], Published]) -> None:
        self.seq += 1
        replayable = topic not in NOT_REPLAYED
        if not self._subscribers and not replayable:
            self._replay.append((self.seq, None))
            return
        message = make(self.seq)
        self._replay.append((self.seq, message if replayable else None))
        if self._subscribers:
            self._fan_out(topic, message)
        if replayable:
            message.settle()

    def _fan_out(self, topic: str, message: Published) -> None:
        """Each fields mode asked for prepared once; every client handed its mode's frame."""
        prepared: dict[str, PreparedMessage] = {}
        by_fields = message.by_fields
        owed = 0
        for client in list(self._subscribers):
            if client.wants(topic):
                fields = client.fields if by_fields else DEFAULT_FIELDS
                frame = prepared.get(fields)
                if frame is None:
                    frame = prepared[fields] = self.prepareMessage(message.payload(fields))
                client.deliver(topic, frame)
                owed += 1
        self.metrics.websocket_messages.labels(topic).inc(owed)
