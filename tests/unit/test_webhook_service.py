"""The webhook service on a memory clock: commit first, signing, schedule, Retry-After, 410, concurrency, restarts."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from twisted.internet.defer import Deferred
from twisted.internet.testing import MemoryReactorClock

from voyager_proxy.config import WebhookSettings
from voyager_proxy.webhooks.outbox import InlineWriter, Outbox
from voyager_proxy.webhooks.sender import Answer
from voyager_proxy.webhooks.service import WebhookEvents, Webhooks
from voyager_proxy.webhooks.signing import new_secret, secret_key, verify
from voyager_proxy.webhooks.store import Message, Status, Store

SECRET = new_secret()
START = 1_800_000_000.0
OK, UNAVAILABLE, GONE = Answer(200), Answer(503, error="down"), Answer(410)


@attrs.define
class Receiver:
    """The endpoint, scripted: each attempt takes the next answer; with none left, it waits for the test."""

    store: Store | None = None
    answers: list[Answer] = attrs.field(factory=list)
    calls: list[tuple[dict[str, str], bytes, Deferred[Answer]]] = attrs.field(factory=list)
    stored_at_attempt: list[Message | None] = attrs.field(factory=list)

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Deferred[Answer]:
        assert self.store is not None
        self.stored_at_attempt.append(self.store.get(headers["webhook-id"]))
        answered: Deferred[Answer] = Deferred()
        self.calls.append((dict(headers), body, answered))
        if self.answers:
            answered.callback(self.answers.pop(0))
        return answered

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _, _ in self.calls]


class Report(WebhookEvents):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def delivered(self, message: Message) -> None:
        self.seen.append(("delivered", message.id))

    def failed(self, message: Message) -> None:
        self.seen.append(("failed", message.id))


@attrs.define
class Harness:
    clock: MemoryReactorClock
    receiver: Receiver
    path: Path
    services: list[Webhooks] = attrs.field(factory=list)
    report: Report = attrs.field(factory=Report)

    def start(self, **settings: Any) -> Webhooks:
        configured = WebhookSettings(url="http://127.0.0.1:9/hook", secret=SECRET, **settings)
        store = Store(str(self.path))
        self.receiver.store = store
        service = Webhooks(
            self.clock,
            configured,
            lambda on_drop: Outbox(store, InlineWriter(), configured.max_pending, on_drop),
            self.receiver.send,
            self.report,
            random.Random(5),
        )
        service.startService()
        self.services.append(service)
        return service

    def publish(self, service: Webhooks, event_type: str = "webhook.test") -> Message:
        published: list[Message | None] = []
        service.publish(event_type, {"n": len(self.receiver.calls)}).addCallback(published.append)
        (message,) = published
        assert message is not None
        return message

    def stop(self, service: Webhooks) -> None:
        service.stopService()
        self.services.remove(service)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    clock = MemoryReactorClock()
    clock.advance(START)
    made = Harness(clock, Receiver(), tmp_path / "outbox.sqlite3")
    yield made
    for service in list(made.services):
        made.stop(service)


def test_each_message_is_committed_before_its_first_attempt_and_signed(harness: Harness) -> None:
    """The first attempt finds the message in the SQLite file; its headers carry a signature that verifies."""
    harness.receiver.answers = [OK]
    message = harness.publish(harness.start())
    (stored,) = harness.receiver.stored_at_attempt
    assert stored is not None and stored.status is Status.PENDING
    headers, body, _ = harness.receiver.calls[0]
    assert headers["webhook-id"] == message.id and message.id.startswith("msg_")
    assert headers["webhook-timestamp"] == str(int(START))
    assert verify((secret_key(SECRET),), message.id, int(START), body, headers["webhook-signature"])
    assert harness.receiver.store is not None
    delivered = harness.receiver.store.get(message.id)
    assert delivered is not None and delivered.status is Status.DELIVERED and delivered.attempts == 1


def test_failed_attempt_waits_its_scheduled_delay_with_jitter(harness: Harness) -> None:
    """After a 503 the next attempt comes 5 s +-20 % later, with the same webhook-id and a new timestamp."""
    harness.receiver.answers = [UNAVAILABLE, OK]
    message = harness.publish(harness.start())
    assert message.next_attempt_at is not None
    delay = message.next_attempt_at - START
    assert 4.0 <= delay <= 6.0
    harness.clock.advance(delay - 0.01)
    assert len(harness.receiver.calls) == 1
    harness.clock.advance(0.02)
    assert harness.receiver.ids() == [message.id, message.id]
    assert harness.receiver.calls[1][0]["webhook-timestamp"] == str(int(START + delay + 0.01))
    assert message.status is Status.DELIVERED


def test_retry_after_is_honoured(harness: Harness) -> None:
    """A 429 with Retry-After: 120 is tried again 120 s later, not on the 5 s step."""
    harness.receiver.answers = [Answer(429, retry_after="120"), OK]
    message = harness.publish(harness.start())
    harness.clock.advance(119.9)
    assert len(harness.receiver.calls) == 1
    harness.clock.advance(0.2)
    assert len(harness.receiver.calls) == 2 and message.status is Status.DELIVERED


def test_a_spent_schedule_fails_the_message(harness: Harness) -> None:
    """With two delays a message gets three attempts, then is failed (marked rejected for a 400)."""
    harness.receiver.answers = [Answer(400, error="bad")] * 3
    message = harness.publish(harness.start(retry_schedule=("1s", "1s")))
    harness.clock.advance(2)
    harness.clock.advance(2)
    assert len(harness.receiver.calls) == 3
    assert message.status is Status.FAILED and message.last_outcome == "rejected" and message.last_status == 400
    assert harness.report.seen == [("failed", message.id)]


def test_a_failing_message_never_holds_up_later_ones(harness: Harness) -> None:
    """While the first message waits for its retry, a later one is attempted at once and delivered."""
    harness.receiver.answers = [UNAVAILABLE, OK]
    service = harness.start()
    first = harness.publish(service)
    second = harness.publish(service)
    assert harness.receiver.ids() == [first.id, second.id]
    assert first.status is Status.PENDING and second.status is Status.DELIVERED


def test_at_most_concurrency_attempts_in_flight(harness: Harness) -> None:
    """With concurrency 2, a third message waits until one of the two attempts is answered."""
    service = harness.start(concurrency=2)
    messages = [harness.publish(service) for _ in range(3)]
    assert harness.receiver.ids() == [messages[0].id, messages[1].id]
    harness.receiver.calls[0][2].callback(OK)
    assert harness.receiver.ids() == [message.id for message in messages]
    for _, _, answered in harness.receiver.calls[1:]:
        answered.callback(OK)


def test_gone_disables_the_endpoint_until_enabled_even_across_a_restart(harness: Harness) -> None:
    """A 410 stops every attempt, also after a restart; enable() sends what waited, the first one first."""
    harness.receiver.answers = [GONE]
    service = harness.start()
    first = harness.publish(service)
    second = harness.publish(service)
    harness.clock.advance(3600)
    assert harness.receiver.ids() == [first.id]
    assert service.disabled is not None and "410" in service.disabled
    harness.stop(service)
    again = harness.start()
    assert again.disabled is not None
    harness.clock.advance(60)
    assert len(harness.receiver.calls) == 1
    harness.receiver.answers = [OK, OK]
    again.enable()
    assert harness.receiver.ids() == [first.id, first.id, second.id]
    assert again.describe()["state"] == "enabled" and again.pending == 0


def test_pending_messages_resume_on_schedule_after_a_restart(harness: Harness) -> None:
    """A message waiting for its retry when the service stopped is attempted at its time by the next one."""
    harness.receiver.answers = [UNAVAILABLE]
    service = harness.start()
    message = harness.publish(service)
    due = message.next_attempt_at
    assert due is not None
    harness.stop(service)
    harness.receiver.answers = [OK]
    again = harness.start()
    assert again.pending == 1
    harness.clock.advance(due - harness.clock.seconds() - 0.01)
    assert len(harness.receiver.calls) == 1
    harness.clock.advance(0.02)
    assert harness.receiver.ids() == [message.id, message.id] and again.pending == 0


def test_manual_retry_sends_a_delivered_message_again_with_its_id(harness: Harness) -> None:
    """retry() of a delivered message sends it again, same webhook-id, so the receiver can refuse the duplicate."""
    harness.receiver.answers = [OK, OK]
    service = harness.start()
    message = harness.publish(service)
    retried: list[Message | None] = []
    service.retry(message.id).addCallback(retried.append)
    assert harness.receiver.ids() == [message.id, message.id]
    assert retried[0] is not None and retried[0].status is Status.DELIVERED


def test_events_not_selected_are_not_queued(harness: Harness) -> None:
    """webhooks.events = connection.* leaves image.ready out."""
    service = harness.start(events=("connection.*",))
    published: list[Message | None] = []
    service.publish("image.ready", {"id": "x", "url": "/x"}).addCallback(published.append)
    assert published == [None] and harness.receiver.calls == []


def test_a_message_dropped_while_in_flight_stays_dropped_and_frees_its_slot(harness: Harness) -> None:
    """With one slot and max_pending 10, the image in flight is the oldest and goes; its answer only records it."""
    service = harness.start(concurrency=1, max_pending=10)
    first = harness.publish(service, "image.ready")
    later = [harness.publish(service, "image.ready") for _ in range(10)]
    assert first.status is Status.DROPPED and service.pending == 10
    harness.receiver.answers = [OK] * 10  # the ten waiting go one after the other, each answered at once
    harness.receiver.calls[0][2].callback(OK)
    assert first.status is Status.DROPPED and first.attempts == 1 and first.last_outcome == "delivered"
    assert harness.receiver.ids() == [first.id] + [message.id for message in later]
    assert service.pending == 0 and all(message.status is Status.DELIVERED for message in later)


def test_finished_messages_are_purged_after_retention_days_but_pending_ones_stay(harness: Harness) -> None:
    """An hourly purge deletes delivered messages older than webhooks.retention_days; a pending one stays."""
    harness.receiver.answers = [OK, UNAVAILABLE]
    service = harness.start(retention_days=1.0, retry_schedule=("3d",))
    delivered, waiting = harness.publish(service), harness.publish(service)
    store = harness.receiver.store
    assert store is not None
    harness.clock.advance(86400 - 3600)
    assert store.get(delivered.id) is not None
    harness.clock.advance(2 * 3600)
    assert store.get(delivered.id) is None
    found = store.get(waiting.id)
    assert found is not None and found.status is Status.PENDING


def test_an_endpoint_giving_no_answer_is_probed_one_attempt_at_a_time(harness: Harness) -> None:
    """After an attempt without answer only one is in flight; the first answer brings back full concurrency."""
    service = harness.start(concurrency=4)
    messages = [harness.publish(service) for _ in range(6)]
    assert len(harness.receiver.calls) == 4
    harness.receiver.calls[0][2].callback(Answer(None, error="Connection refused"))
    harness.receiver.calls[1][2].callback(Answer(None, error="Connection refused"))
    harness.receiver.calls[2][2].callback(Answer(None, error="Connection refused"))
    assert len(harness.receiver.calls) == 4 and service.describe()["reachable"] is False  # one still in flight
    harness.receiver.calls[3][2].callback(Answer(None, error="timed out"))
    assert len(harness.receiver.calls) == 5  # the probe
    harness.receiver.calls[4][2].callback(OK)
    assert len(harness.receiver.calls) == 6 and service.describe()["reachable"] is True
    harness.receiver.answers = [OK] * 4
    harness.receiver.calls[5][2].callback(OK)
    harness.clock.advance(10)
    assert all(message.status is Status.DELIVERED for message in messages)
