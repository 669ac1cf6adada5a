"""Fan-out: each event serialized once, the same prepared frame sent to every subscriber."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory
from autobahn.websocket.protocol import PreparedMessage
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from txaio import tx

from ..auth import ApiKey, KeyRing
from ..config import WebSocketSettings
from ..images import Downscaler, ImageLibrary, Preview, Saturated, StoredImage
from ..keys import is_narrowed, may_see
from ..ledger import CommandDesk, LedgerEntry
from ..metrics import Metrics
from ..ratelimit import FailedAuthentications
from ..rooms import Rooms
from ..tokens import TokenIssuer
from ..voyager import Command, ConnectionStatus, VoyagerEvent, VoyagerLink
from .auth import Refused
from .handshake import Gate, Grant, authorise
from .messages import DEFAULT_FIELDS, EventMessage, Message, encode, topic_for
from .pacing import HandshakePacer
from .previews import INLINE_TOPIC, NOTICE_TOPIC, PREVIEW_MODES, binary_frame
from .protocol import PushProtocol

ROOM_TOPIC = "room"  # how room messages are held for a paused client
# Autobahn runs its connections' timers (pings, handshake timeouts) in 200 ms buckets, up to 1,000 of them in one
# reactor turn: dashboards that connected together are pinged together, which held the reactor for tens of ms.
TIMERS_PER_TURN = 50

Published = Message | EventMessage


class PushFactory(WebSocketServerFactory):
    """
    Subscribes to the link and pushes every event to every dashboard.

    Each message carries a C{seq} increasing per daemon run; C{initialState}
    gives the run's C{epoch} with the last C{seq} sent. Clients whose socket
    is full are held back one by one (see L{PushProtocol.deliver}); the
    others never wait for them.

    A preview has one C{seq} and is sent in each client's preview mode (see
    L{voyager_proxy.push.previews}): its C{imageReady} notice, which is what
    the replay keeps, the C{newJPG} frame, or a binary frame; each prepared
    once for every client of that mode.
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
        failures: FailedAuthentications,
        images: ImageLibrary,
        downscaler: Downscaler,
        tokens: TokenIssuer | None = None,
    ) -> None:
        super().__init__()
        rooms.serve(self.publish_to_room)
        self._rooms = rooms
        self._failures = failures
        # Ping every 25 s; 35 s more without a pong closes (60 s in all).
        # Messages over max_message_bytes get an error event; Autobahn cuts
        # only those far beyond it, so a client's message never fills memory.
        # A closing client (a phone on a slow link, a busy browser tab) has 5 s
        # to answer our close frame, not Autobahn's 1 s, before it is cut
        # without one and sees 1006 instead of our code and reason.
        self.setProtocolOptions(
            autoPingInterval=25,
            autoPingTimeout=35,
            closeHandshakeTimeout=5,
            maxConnections=settings.max_clients,
            maxMessagePayloadSize=16 * settings.max_message_bytes,
        )
        # The same buckets, run TIMERS_PER_TURN at a time, the chunks spread over the bucket (txaio's own knob).
        self._batched_timer = tx.make_batched_timer(bucket_seconds=0.2, chunk_size=TIMERS_PER_TURN)
        self.clock = clock
        self.pacer = HandshakePacer(clock)
        self.settings = settings
        self.metrics = metrics
        self.gate = Gate(  # the image routes judge tokens by it too
            keys, settings.jwt_secret, settings.allowed_origins, settings.max_token_lifetime, tokens
        )
        self._desk = desk
        self._allowed_methods = allowed_methods
        self.epoch = secrets.token_hex(8)
        self.seq = 0
        # Every seq, in order, with the owner of its command (CommandLedger.owner_of); None where the
        # message is not replayed (room messages, previews not kept).
        self._replay: deque[tuple[int, Published | None, str | None]] = deque(maxlen=settings.replay_size)
        self._initial: tuple[tuple[int, int], PreparedMessage] | None = None  # (generation, seq), frame
        self._link = link
        self._subscribers: set[PushProtocol] = set()
        self.preview_widths = images.widths
        self._images = images
        self._downscaler = downscaler
        link.events.subscribe(self._event)
        link.status_changes.subscribe(self._status)
        images.previews.subscribe(self._preview)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self, client: PushProtocol) -> None:
        self._subscribers.add(client)

    def unsubscribe(self, client: PushProtocol) -> None:
        self._subscribers.discard(client)
        self._rooms.leave_all(client)

    def close_all(self, timeout: float) -> Deferred[None]:
        """
        Send every dashboard a close frame 1001; fires once all are closed, or
        after C{timeout} seconds, when those still open are dropped.
        """
        clients = list(self._subscribers)
        everyone = DeferredList([client.going_away() for client in clients])

        def drop() -> None:
            for client in clients:
                client.dropConnection(abort=True)

        late = self.clock.callLater(timeout, drop)
        everyone.addBoth(lambda _: late.cancel() if late.active() else None)
        return everyone.addCallback(lambda _: None)

    def join(self, client: PushProtocol, room: str) -> str | None:
        return self._rooms.join(client, room)

    def leave(self, client: PushProtocol, room: str) -> None:
        self._rooms.leave(client, room)

    def rooms_of(self, client: PushProtocol) -> frozenset[str]:
        return self._rooms.rooms_of(client)

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
            "image": self._latest_notice(),
        }

    def _latest_notice(self) -> dict[str, Any] | None:
        latest = self._images.store.latest()
        return None if latest is None else latest.info.notice(self._images.thumb_width)

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

    def replay(self, resume_from: tuple[str, int], fields: str, key: ApiKey) -> Iterator[bytes] | None:
        """
        C{resumed} then the messages after C{since} that C{key} may see (the
        others are listed as omitted), each encoded only when taken (the
        buffer's messages are shared); None when the epoch changed or the gap
        is too old.
        """
        epoch, since = resume_from
        if epoch != self.epoch or since > self.seq:
            return None
        oldest = self._replay[0][0] if self._replay else self.seq + 1
        if since + 1 < oldest and since < self.seq:
            return None
        missed = [
            (seq, message if may_see(key, owner) else None) for seq, message, owner in self._replay if seq > since
        ]
        omitted = [seq for seq, message in missed if message is None]
        resumed = encode("resumed", {"epoch": self.epoch, "from": since + 1, "to": self.seq, "omitted": omitted})
        return chain((resumed,), (message.payload(fields) for _, message in missed if message is not None))

    # What a connection needs of us besides (see Hub).

    def admit(self, proceed: Callable[[], None]) -> bool:
        return self.pacer.admit(proceed)

    def authorise(
        self, origin: str | None, params: Mapping[str, Sequence[str]], headers: Mapping[str, str]
    ) -> Grant | Refused:
        return authorise(self.gate, origin, params, headers, self.clock.seconds())

    def failed_authentication(self, address: str, reason: str) -> float:
        return self._failures.failed(address, "WebSocket handshake", f"refused ({reason})")

    def may_call(self, key: ApiKey, method: str) -> bool:
        return method in self._allowed_methods and key.may_call(method)

    @property
    def max_timeout(self) -> float:
        return self._desk.max_timeout

    def submit(self, method: str, params: dict[str, Any], key: ApiKey, timeout: float | None) -> LedgerEntry:
        return self._desk.submit(method, params, key.name, timeout=timeout, narrowed=is_narrowed(key))

    def answer(self, command: Command) -> Deferred[Any]:
        return self._desk.answer(command)

    def count_coalesced(self) -> None:
        self.metrics.websocket_coalesced.inc()

    def count_closed(self, reason: str) -> None:
        self.metrics.websocket_closed.labels(reason).inc()

    def publish_to_room(self, room: str, event: str, data: Mapping[str, Any]) -> int:
        """Send an application message to the members of C{room}; return how many got it."""
        self.seq += 1
        self._replay.append((self.seq, None, None))
        members = [c for c in self._rooms.members(room) if isinstance(c, PushProtocol) and c in self._subscribers]
        if members:
            prepared = self.prepareMessage(encode(event, {**data, "room": room}, self.seq))
            for client in members:
                client.deliver(ROOM_TOPIC, prepared)  # never coalesced, whatever Laravel names it
        return len(members)

    def _event(self, event: VoyagerEvent) -> None:
        if event.name == "NewJPGReady":
            return  # published by _preview once the image library has it
        topic = topic_for(event.name)
        owner = self._desk.ledger.owner_of(event)
        self._publish(topic, lambda seq: EventMessage(topic, event.fields, event.parsed, seq), owner)

    def _status(self, status: ConnectionStatus) -> None:
        self._publish("connectionState", lambda seq: Message(encode("connectionState", status.as_dict(), seq)))

    def _publish(self, topic: str, make: Callable[[int], Published], owner: str | None = None) -> None:
        """Send to every subscriber of C{topic}; a command's event only to those who may see it (see may_see)."""
        self.seq += 1
        message = make(self.seq)
        self._replay.append((self.seq, message, owner))
        if self._subscribers:
            clients = [client for client in self._subscribers if client.wants(topic)]
            if owner is not None:
                clients = [client for client in clients if may_see(client.key, owner)]
            self._fan_out(topic, message, clients)
        message.settle()

    def _preview(self, preview: Preview) -> None:
        """One seq for the preview; each client gets it in its mode, each mode's frame prepared once."""
        self.seq += 1
        seq = self.seq
        notice = None if preview.notice is None else Message(encode(NOTICE_TOPIC, preview.notice, seq))
        self._replay.append((seq, notice, None))
        by_mode: dict[str, list[PushProtocol]] = {mode: [] for mode in PREVIEW_MODES}
        for client in self._subscribers:
            if client.wants(INLINE_TOPIC if client.previews == "inline" else NOTICE_TOPIC):
                by_mode[client.previews].append(client)
        if by_mode["inline"]:
            inline = EventMessage(INLINE_TOPIC, preview.event.fields, preview.event.parsed, seq)
            self._fan_out(INLINE_TOPIC, inline, by_mode["inline"])
        if notice is None or preview.image is None:
            return
        if by_mode["url"]:
            self._fan_out(NOTICE_TOPIC, notice, by_mode["url"])
        by_width: dict[int | None, list[PushProtocol]] = {}
        for client in by_mode["binary"]:
            by_width.setdefault(client.preview_width, []).append(client)
        for width, clients in by_width.items():
            self._send_binary(preview.image, seq, width, clients)

    def _send_binary(self, image: StoredImage, seq: int, width: int | None, clients: list[PushProtocol]) -> None:
        """The image at C{width} as a binary frame; the original when the resizing pool is full or cannot."""

        def send(jpeg: bytes, copy_width: int | None) -> None:
            info = image.info
            height = info.height
            if copy_width is not None and info.width and info.height and copy_width < info.width:
                height = max(1, round(info.height * copy_width / info.width))
            else:
                copy_width = info.width
            header = {"id": info.id, "seq": seq, "mime": "image/jpeg", "width": copy_width, "height": height}
            frame = self.prepareMessage(binary_frame(header, jpeg), isBinary=True)
            for client in clients:
                if client.previews == "binary" and client.preview_width == width:
                    client.deliver(NOTICE_TOPIC, frame)
            self.metrics.websocket_messages.labels(NOTICE_TOPIC).inc(len(clients))

        if width is None:
            send(image.jpeg, None)
            return
        try:
            copy = self._downscaler.copy(image, width)
        except Saturated:
            send(image.jpeg, None)
            return
        copy.addCallbacks(send, lambda failure: send(image.jpeg, None), callbackArgs=(width,))

    def _fan_out(self, topic: str, message: Published, clients: list[PushProtocol]) -> None:
        """Each fields mode asked for prepared once; every one of C{clients} handed its mode's frame."""
        prepared: dict[str, PreparedMessage] = {}
        by_fields = message.by_fields
        for client in clients:
            fields = client.fields if by_fields else DEFAULT_FIELDS
            frame = prepared.get(fields)
            if frame is None:
                frame = prepared[fields] = self.prepareMessage(message.payload(fields))
            client.deliver(topic, frame)
        self.metrics.websocket_messages.labels(topic).inc(len(clients))
