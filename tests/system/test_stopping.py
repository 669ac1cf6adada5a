"""A clean stop of the real daemon: SIGTERM with a shot in flight, a real HTTP client and a real dashboard."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.daemon import Daemon, until
from tests.system.conftest import get_json, start_daemon


def post(port: int, path: str, body: dict[str, Any], answers: list[tuple[int, dict[str, Any]]]) -> None:
    """POST C{body} to the daemon and keep (status, JSON body) in C{answers}."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        answers.append((response.status, json.loads(response.read())))
    finally:
        connection.close()


def test_sigterm_answers_the_waiting_caller_and_the_dashboard_then_exits() -> None:
    """The shot's caller gets 503 shutting_down with its ledger uid and acknowledged; the dashboard a 1001; exit in time."""
    daemon: Daemon = start_daemon()
    try:
        answers: list[tuple[int, dict[str, Any]]] = []
        caller = threading.Thread(target=post, args=(daemon.port, "/api/camera/shot", {"exposure": 60}, answers))
        caller.start()
        ledger = f"http://127.0.0.1:{daemon.port}/api/commands"
        entry = until(
            lambda: [c for c in get_json(ledger)[1]["commands"] if c["state"] in ("acknowledged", "running")],
            "the shot is acknowledged",
        )[0]
        with connect(f"ws://127.0.0.1:{daemon.port}/ws", open_timeout=10) as dashboard:
            assert json.loads(dashboard.recv(timeout=10))["event"] == "initialState"
            started = time.monotonic()
            daemon.process.send_signal(signal.SIGTERM)
            try:
                while True:
                    dashboard.recv(timeout=10)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1001, closed
        caller.join(timeout=10)
        assert answers, "the caller got no answer"
        ((status, body),) = answers
        assert status == 503 and body["error"]["code"] == "shutting_down", body
        assert body["error"]["uid"] == entry["uid"] and body["error"]["acknowledged"] is True
        output = daemon.stop(seconds=15)
        assert time.monotonic() - started < 15
        assert daemon.process.returncode in (0, -signal.SIGTERM), output
        assert "1 command caller(s) answered 503 shutting_down, 1 dashboard(s) sent 1001" in output
        assert "Voyager connection closed: closed by the proxy" in output and "Traceback" not in output
    finally:
        daemon.kill()
