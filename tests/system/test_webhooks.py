"""
Webhooks from a real twistd daemon to the real PHP receiver of
examples/laravel/ (``php -S``): signed and verified, retried, durable across
kill -9, disabled by 410, verified through a secret rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import Daemon, until
from tests.support.php_receiver import PhpReceiver
from voyager_proxy.webhooks.signing import new_secret, secret_key, sign

pytestmark = pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed (.ci/run installs it)")

QUICK = "0.5s,0.5s,0.5s,0.5s,0.5s,0.5s,0.5s,0.5s"  # the schedule's steps, short enough for a test

WAIT = 20.0  # seconds for a delivery to happen on a busy CI machine


def call(daemon: Daemon, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{daemon.port}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def delivery(daemon: Daemon, message_id: str) -> dict[str, Any]:
    status, body = call(daemon, "GET", f"/api/webhooks/deliveries/{message_id}")
    assert status == 200, body
    found: dict[str, Any] = body["delivery"]
    return found


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start daemons sending webhooks (killed at the end), over one outbox file per test."""
    running: list[Daemon] = []

    def start(receiver: PhpReceiver, secret: str, **settings: str) -> Daemon:
        env = {
            "VOYAGER_PROXY_WEBHOOKS_URL": receiver.url,
            "VOYAGER_PROXY_WEBHOOKS_SECRET": secret,
            "VOYAGER_PROXY_WEBHOOKS_DATABASE": str(tmp_path / "outbox.sqlite3"),
            "VOYAGER_PROXY_WEBHOOKS_RETRY_SCHEDULE": QUICK,
            "VOYAGER_PROXY_API_COMMAND_BURST": "1000",
            **{f"VOYAGER_PROXY_WEBHOOKS_{name.upper()}": value for name, value in settings.items()},
        }
        daemon = Daemon.start("--simulator", env=env)
        running.append(daemon)
        return daemon

    yield start
    for daemon in running:
        daemon.kill()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[PhpReceiver]:
    made = PhpReceiver(tmp_path / "laravel", (new_secret(),))
    yield made
    made.stop()


def test_image_and_command_events_arrive_signed_and_verified(
    started: Callable[..., Daemon], receiver: PhpReceiver
) -> None:
    """A shot gives image.ready (the store's URL, which serves the JPEG) and command.completed, verified by PHP."""
    receiver.start()
    daemon = started(receiver, receiver.secrets[0])
    status, shot = call(daemon, "POST", "/api/camera/shot", {"exposure": 0.5})
    assert status == 200, shot
    handled = until(
        lambda: {e["type"]: e for e in receiver.handled()} if len(receiver.handled()) >= 5 else None,
        "the shot's events",
        seconds=WAIT,
    )
    assert {"image.ready", "fit.ready", "command.completed", "shot.completed"} <= set(handled)
    image = handled["image.ready"]["data"]
    assert image["url"] == f"/api/images/{image['id']}.jpg"
    assert len(json.dumps(image)) < 1000  # a link, not the JPEG
    with urllib.request.urlopen(f"http://127.0.0.1:{daemon.port}{image['url']}", timeout=10) as response:
        assert response.headers["Content-Type"] == "image/jpeg" and len(response.read()) == image["bytes"]
    command = handled["command.completed"]["data"]["command"]
    assert (command["uid"], command["method"], command["state"]) == (shot["uid"], "RemoteCameraShot", "ok")


def test_tampered_body_and_foreign_secret_are_refused(receiver: PhpReceiver) -> None:
    """The receiver answers 401 to a body changed after signing and to a signature made with another secret."""
    receiver.start()
    secret = receiver.secrets[0]
    message_id, timestamp = "msg_0123456789abcdef0123456789abcdef", int(time.time())
    body = b'{"type":"webhook.test","timestamp":"2026-12-01T12:00:00.000Z","data":{"requestedBy":"me"}}'

    def post(sent: bytes, signature: str) -> int:
        request = urllib.request.Request(receiver.url, data=sent, method="POST")
        for name, value in (("webhook-id", message_id), ("webhook-timestamp", str(timestamp))):
            request.add_header(name, value)
        request.add_header("webhook-signature", signature)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    good = sign(secret_key(secret), message_id, timestamp, body)
    assert post(body.replace(b"me", b"an intruder"), good) == 401
    assert post(body, sign(secret_key(new_secret()), message_id, timestamp, body)) == 401
    digest = hmac.new(secret_key(secret), body, hashlib.sha256).digest()  # body alone: id and time unsigned
    assert post(body, "v1," + base64.b64encode(digest).decode()) == 401
    assert receiver.handled() == []
    assert post(body, good) == 200
    assert [event["id"] for event in receiver.handled()] == [message_id]


def test_receiver_down_for_three_attempts_then_up_gets_each_event_once(
    started: Callable[..., Daemon], receiver: PhpReceiver
) -> None:
    """Three refused connections, then the receiver starts: delivered; sent again by hand, refused as a duplicate."""
    daemon = started(receiver, receiver.secrets[0], events="webhook.test", retry_schedule="1s,1s,1s,1s,1s")
    status, queued = call(daemon, "POST", "/api/webhooks/test")
    assert status == 202, queued
    message_id = queued["delivery"]["id"]
    until(lambda: delivery(daemon, message_id)["attempts"] >= 3, "three failed attempts", seconds=WAIT)
    failed = delivery(daemon, message_id)
    assert failed["status"] == "pending" and failed["lastStatus"] is None and failed["lastOutcome"] == "retry"
    receiver.start()
    done = until(
        lambda: (d := delivery(daemon, message_id))["status"] == "delivered" and d, "the delivery", seconds=WAIT
    )
    assert done["attempts"] in (4, 5) and done["lastStatus"] == 200
    status, retried = call(daemon, "POST", f"/api/webhooks/deliveries/{message_id}/retry")
    assert status == 200, retried
    until(
        lambda: delivery(daemon, message_id)["attempts"] == 1, "the repeated delivery", seconds=WAIT
    )  # a fresh schedule
    assert [event["id"] for event in receiver.handled()] == [message_id]


def test_kill_9_with_50_pending_then_restart_delivers_all_50(
    started: Callable[..., Daemon], receiver: PhpReceiver
) -> None:
    """50 events committed while the receiver is down survive SIGKILL; the next daemon delivers each once."""
    daemon = started(receiver, receiver.secrets[0], events="webhook.test", retry_schedule="2s,2s,2s,2s,2s,2s")
    ids = []
    for _ in range(50):
        status, queued = call(daemon, "POST", "/api/webhooks/test")
        assert status == 202, queued
        ids.append(queued["delivery"]["id"])
    assert call(daemon, "GET", "/health")[1]["webhooks"]["pending"] == 50
    daemon.kill()  # SIGKILL: nothing runs at exit
    receiver.start()
    again = started(receiver, receiver.secrets[0], events="webhook.test", retry_schedule="2s,2s,2s,2s,2s,2s")
    until(lambda: len(receiver.handled()) >= 50, "50 deliveries after the restart", seconds=40)
    handled = [event["id"] for event in receiver.handled()]
    assert sorted(handled) == sorted(ids)
    status, listed = call(again, "GET", "/api/webhooks/deliveries?status=delivered&limit=100")
    assert status == 200 and listed["counts"]["delivered"] == 50 and listed["counts"]["pending"] == 0


def test_410_disables_the_endpoint_until_the_operator_enables_it(
    started: Callable[..., Daemon], receiver: PhpReceiver
) -> None:
    """A 410 stops delivery (visible in /health); POST /api/webhooks/enable sends what waited."""
    receiver.start()
    (receiver.state / "unsubscribed").touch()
    daemon = started(receiver, receiver.secrets[0], events="webhook.test")
    first = call(daemon, "POST", "/api/webhooks/test")[1]["delivery"]["id"]
    health = until(
        lambda: (h := call(daemon, "GET", "/health")[1])["webhooks"]["state"] == "disabled" and h,
        "the 410",
        seconds=WAIT,
    )
    assert "410" in health["webhooks"]["disabledReason"] and health["status"] == "ok"  # readiness unaffected
    assert call(daemon, "GET", "/health/ready")[0] == 200
    second = call(daemon, "POST", "/api/webhooks/test")[1]["delivery"]["id"]
    time.sleep(1.5)  # three steps of the schedule: nothing may be attempted meanwhile
    assert delivery(daemon, second)["attempts"] == 0 and delivery(daemon, first)["attempts"] == 1
    (receiver.state / "unsubscribed").unlink()
    status, enabled = call(daemon, "POST", "/api/webhooks/enable")
    assert status == 200 and enabled["webhooks"]["state"] == "enabled"
    until(lambda: len(receiver.handled()) == 2, "both deliveries", seconds=WAIT)
    # Sent together once enabled (webhooks.concurrency 4): either may land first.
    assert sorted(event["id"] for event in receiver.handled()) == sorted([first, second])
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{daemon.port}/metrics", timeout=10).read().decode()
    assert 'voyager_proxy_webhook_endpoint_state{voyager_proxy_webhook_endpoint_state="enabled"} 1.0' in metrics
    assert 'voyager_proxy_webhook_delivered_total{type="webhook.test"} 2.0' in metrics


def test_rotation_signs_with_both_secrets_and_either_verifies(
    started: Callable[..., Daemon], receiver: PhpReceiver
) -> None:
    """With secret and previous_secrets, a receiver that knows only the old or only the new one verifies."""
    old, new = receiver.secrets[0], new_secret()
    daemon = started(receiver, new, previous_secrets=old, events="webhook.test")
    for secrets in ((old,), (new,)):
        receiver.start(*secrets)
        message_id = call(daemon, "POST", "/api/webhooks/test")[1]["delivery"]["id"]
        until(lambda: delivery(daemon, message_id)["status"] == "delivered", f"delivery to {secrets}", seconds=WAIT)
        receiver.stop()
    receiver.start(new_secret())  # a receiver with neither: refused (401), retried and marked
    message_id = call(daemon, "POST", "/api/webhooks/test")[1]["delivery"]["id"]
    refused = until(lambda: (d := delivery(daemon, message_id))["attempts"] >= 1 and d, "the refusal", seconds=WAIT)
    assert (refused["lastStatus"], refused["lastOutcome"], refused["status"]) == (401, "rejected", "pending")
    assert len(receiver.handled()) == 2
