"""
The webhook service: turns events into messages, commits each to the outbox
before its first attempt, and attempts them on the reactor, at most
webhooks.concurrency at once, each on its own schedule.
"""

from __future__ import annotations

import datetime
import random
import urllib.parse
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from .. import client_json
from ..config import WebhookSettings
from .catalogue import selected
from .outbox import Outbox
from .schedule import Outcome, RetrySchedule, outcome, retry_after
from .sender import Answer
from .signing import secret_key, signature_header
from .store import Message, Status

Send = Callable[[str, Mapping[str, str], bytes], "Deferred[Answer]"]
PURGE_EVERY = 3600.0  # seconds between two purges of messages older than webhooks.retention_days


class WebhookEvents:
    """What the service reports to the metrics; every method may be left as is."""

    def endpoint(self, state: str) -> None: ...
    def attempted(self, message: Message, seconds: float) -> None: ...
    def delivered(self, message: Message) -> None: ...
    def failed(self, message: Message) -> None: ...
    def dropped(self, message: Message) -> None: ...


def iso_time(moment: float) -> str:
    """RFC 3339 UTC with milliseconds, as the payload's C{timestamp}."""
    utc = datetime.datetime.fromtimestamp(moment, datetime.timezone.utc)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def endpoint_label(url: str) -> str:
    """The URL without its query or credentials: safe to show and log."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


class Webhooks(Service):
    """
    Delivery to webhooks.url, as the Standard Webhooks specification describes.

    While the endpoint gives no answer at all (refused connections,
    timeouts), one attempt at a time probes it: an outage costs the daemon
    one connection attempt in flight, whatever webhooks.concurrency says.
    """

    _log = Logger()

    def __init__(
        self,
        clock: IReactorTime,
        settings: WebhookSettings,
        outbox_for: Callable[[Callable[[Message], object]], Outbox],
        send: Send,
        events: WebhookEvents | None = None,
        draw: random.Random | None = None,
        hang_up: Callable[[], object] = lambda: None,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._send = send
        self._hang_up = hang_up  # lets go of kept-alive connections at stop
        self.report = events or WebhookEvents()
        self._draw = draw or random.SystemRandom()
        self._outbox = outbox_for(self._forget)
        self._types = selected(settings.events)
        self._keys = tuple(secret_key(text) for text in (settings.secret, *settings.previous_secrets))
        self._schedule = RetrySchedule.parse(settings.retry_schedule)
        self._timers: dict[str, IDelayedCall] = {}
        self._ready: OrderedDict[str, Message] = OrderedDict()  # due, waiting for a free slot (or the endpoint)
        self._in_flight: set[str] = set()
        self._disabled: str | None = None
        self._unreachable = False  # the last attempt got no answer: one attempt at a time until one does
        self._purge = LoopingCall(self._purge_old)
        self._purge.clock = clock
        self.endpoint = endpoint_label(settings.url)

    @property
    def pending(self) -> int:
        return len(self._outbox)

    @property
    def disabled(self) -> str | None:
        """Why the endpoint is disabled (it answered 410), or None."""
        return self._disabled

    def describe(self) -> dict[str, Any]:
        """The state /health shows."""
        return {
            "enabled": True,
            "endpoint": self.endpoint,
            "state": "disabled" if self._disabled else "enabled",
            "disabledReason": self._disabled,
            "reachable": not self._unreachable,
            "pending": self.pending,
            "inFlight": len(self._in_flight),
        }

    # Life cycle.

    def startService(self) -> None:
        super().startService()
        self._outbox.open()
        self._outbox.call(self._outbox.store.disabled_reason).addCallback(self._loaded_endpoint)
        self._outbox.load().addCallback(self._resume)
        self._purge.start(PURGE_EVERY, now=True)

    def stopService(self) -> Deferred[None]:
        super().stopService()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._ready.clear()
        if self._purge.running:
            self._purge.stop()
        self._hang_up()
        return self._outbox.close()

    def _loaded_endpoint(self, reason: str | None) -> None:
        self._disabled = reason
        self.report.endpoint("disabled" if reason else "enabled")
        if reason is not None:
            self._log.warn("webhooks: endpoint disabled ({reason}): POST /api/webhooks/enable", reason=reason)

    def _resume(self, messages: list[Message]) -> None:
        now = self._clock.seconds()
        for message in messages:
            self._at(message, message.next_attempt_at if message.next_attempt_at is not None else now)
        if messages:
            self._log.info("webhooks: {count} pending deliveries resumed", count=len(messages))

    # Events in.

    def publish(
        self, event_type: str, data: Mapping[str, Any], occurred_at: float | None = None, force: bool = False
    ) -> Deferred[Message | None]:
        """
        Queue one event, if webhooks.events selects its type (or C{force}):
        fires with its message once committed (its first attempt follows),
        or with None.
        """
        if not (force or event_type in self._types) or not self.running:
            return succeed(None)
        now = self._clock.seconds()
        body = {"type": event_type, "timestamp": iso_time(occurred_at or now), "data": data}
        encoded = client_json.dumps(body)  # never NaN, which PHP's json_decode cannot read
        message = Message(f"msg_{uuid.uuid4().hex}", event_type, encoded, now, next_attempt_at=now)
        return self._outbox.add(message).addCallback(lambda _: self._committed(message))

    def _committed(self, message: Message) -> Message | None:
        if message.status is Status.PENDING and self.running:
            self._at(message, message.next_attempt_at or self._clock.seconds())
        return message

    # Operator actions.

    def find(self, message_id: str) -> Deferred[Message | None]:
        """The message with this id: the live one while pending, else as the file has it."""
        live = self._outbox.pending(message_id)
        if live is not None:
            return succeed(live)
        return self._outbox.call(self._outbox.store.get, message_id)

    def listed(self, status: Status | None, limit: int) -> Deferred[list[Message]]:
        return self._outbox.call(self._outbox.store.listed, status, limit)

    def counts(self) -> Deferred[dict[str, int]]:
        return self._outbox.call(self._outbox.store.counts)

    def retry(self, message_id: str) -> Deferred[Message | None]:
        """Attempt a message now: a pending one early, a delivered, failed or dropped one again (same id)."""
        live = self._outbox.pending(message_id)
        if live is not None:
            if live.id not in self._in_flight:
                self._at(live, self._clock.seconds())
            return succeed(live)

        def again(message: Message | None) -> Deferred[Message | None]:
            if message is None:
                return succeed(None)
            already = self._outbox.pending(message.id)
            if already is not None:  # retried twice at once
                return succeed(already)
            message.status, message.attempts, message.finished_at = Status.PENDING, 0, None
            message.next_attempt_at = self._clock.seconds()
            return self._outbox.add(message).addCallback(lambda _: self._committed(message))

        return self._outbox.call(self._outbox.store.get, message_id).addCallback(again)

    def enable(self) -> Deferred[None]:
        """Enable the endpoint after a 410: due messages go at once, the others on their schedule."""
        if self._disabled is not None:
            self._log.info("webhooks: endpoint {endpoint} enabled again", endpoint=self.endpoint)
        self._disabled = None
        self.report.endpoint("enabled")
        written = self._outbox.call(self._outbox.store.set_disabled, None)
        self._pump()
        return written

    # Attempts.

    def _at(self, message: Message, moment: float) -> None:
        """Attempt C{message} at C{moment} (at once if past)."""
        timer = self._timers.pop(message.id, None)
        if timer is not None and timer.active():
            timer.cancel()
        message.next_attempt_at = moment
        delay = moment - self._clock.seconds()
        if delay > 0:
            self._timers[message.id] = self._clock.callLater(delay, self._due, message)
        else:
            self._due(message)

    def _due(self, message: Message) -> None:
        self._timers.pop(message.id, None)
        self._ready[message.id] = message
        self._pump()

    def _forget(self, message: Message) -> None:
        """The outbox dropped C{message}: no timer or queue keeps it."""
        timer = self._timers.pop(message.id, None)
        if timer is not None and timer.active():
            timer.cancel()
        self._ready.pop(message.id, None)
        self.report.dropped(message)

    def _pump(self) -> None:
        slots = 1 if self._unreachable else self._settings.concurrency
        while self._disabled is None and self._ready and len(self._in_flight) < slots:
            _, message = self._ready.popitem(last=False)
            if message.status is Status.PENDING:
                self._attempt(message)

    def _attempt(self, message: Message) -> None:
        started = self._clock.seconds()
        timestamp = int(started)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "voyager-proxy webhooks",
            "webhook-id": message.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(self._keys, message.id, timestamp, message.body),
        }
        self._in_flight.add(message.id)
        self._send(self._settings.url, headers, message.body).addCallback(self._answered, message, started)

    def _answered(self, answer: Answer, message: Message, started: float) -> None:
        self._in_flight.discard(message.id)
        now = self._clock.seconds()
        result = outcome(answer.status)
        self._unreachable = answer.status is None
        message.attempts += 1
        message.last_attempt_at = started
        message.last_status = answer.status
        message.last_outcome = result.value
        message.last_error = answer.error
        self.report.attempted(message, now - started)
        if message.status is Status.PENDING:  # else dropped while its attempt was in flight: only recorded
            self._settle(message, result, answer, now)
        self._outbox.update(message)
        if self.running:
            self._pump()

    def _settle(self, message: Message, result: Outcome, answer: Answer, now: float) -> None:
        """Delivered, endpoint gone, or the next attempt on the schedule."""
        if result is Outcome.DELIVERED:
            message.status, message.finished_at, message.next_attempt_at = Status.DELIVERED, now, None
            self.report.delivered(message)
        elif result is Outcome.GONE:
            self._gone(message, now)
        else:
            self._again(message, answer, now)

    def _gone(self, message: Message, now: float) -> None:
        reason = f"{self.endpoint} answered 410 Gone at {iso_time(now)}"
        if self._disabled is None:
            self._log.error("webhooks: {reason}; delivery stops until POST /api/webhooks/enable", reason=reason)
            self._disabled = reason
            self.report.endpoint("disabled")
            self._outbox.call(self._outbox.store.set_disabled, reason)
        message.next_attempt_at = now
        self._ready[message.id] = message  # first to go once enabled
        self._ready.move_to_end(message.id, last=False)

    def _again(self, message: Message, answer: Answer, now: float) -> None:
        asked = retry_after(answer.retry_after, now)
        delay = self._schedule.next_delay(message.attempts, self._draw, asked)
        if delay is None:
            message.status, message.finished_at, message.next_attempt_at = Status.FAILED, now, None
            self._log.error(
                "webhook {id} ({type}) failed after {attempts} attempts: {error}",
                id=message.id,
                type=message.type,
                attempts=message.attempts,
                error=answer.error or answer.status,
            )
            self.report.failed(message)
        elif self.running:
            self._at(message, now + delay)
        else:
            message.next_attempt_at = now + delay

    def _purge_old(self) -> None:
        before = self._clock.seconds() - self._settings.retention_days * 86400
        self._outbox.call(self._outbox.store.purge, before).addErrback(
            lambda failure: self._log.failure("webhooks: purge failed", failure)
        )
