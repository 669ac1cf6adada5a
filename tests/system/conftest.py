"""The daemon started by twistd, as a sysadmin runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
TWISTD = [str(Path(sys.executable).parent / "twistd")]
LISTENING = re.compile(r"HTTP API .* listening on http://127\.0\.0\.1:(\d+)/")
START_DEADLINE = 30.0


def twistd(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*TWISTD, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_ready(port: int) -> None:
    """Poll /health/ready until the Voyager session is ready."""
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        try:
            status, _ = get_json(f"http://127.0.0.1:{port}/health/ready")
        except OSError:
            status = 0
        if status == 200:
            return
        time.sleep(0.02)
    pytest.fail("the Voyager session never became ready")


@attrs.define
class Daemon:
    """A running twistd: its process, HTTP port and log lines so far."""

    process: subprocess.Popen[str]
    port: int
    log: list[str]
    reader: threading.Thread | None = None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> str:
        """SIGTERM, wait for the exit, return the whole log."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)
        if self.reader is not None:
            self.reader.join(timeout=5)  # the reader takes the last lines, up to end of file
        return "".join(self.log)


def start_daemon(env: dict[str, str] | None = None) -> Daemon:
    """twistd voyager-proxy --simulator with the example ini on a free port, once ready."""
    process = twistd(
        "--nodaemon",
        "--pidfile=",
        "voyager-proxy",
        "--config",
        "etc/voyager-proxy.ini",
        "--simulator",
        "--http-port",
        "0",
        env=env,
    )
    lines: list[str] = []
    deadline = time.monotonic() + START_DEADLINE
    port = None
    assert process.stdout is not None
    while port is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = LISTENING.search(line)
        if match:
            port = int(match.group(1))
    if port is None:
        process.kill()
        pytest.fail("the daemon never said where it listens:\n" + "".join(lines))
    # Keep reading the log so the daemon never blocks on a full pipe.
    reader = threading.Thread(target=lines.extend, args=(process.stdout,), daemon=True)
    reader.start()
    wait_ready(port)
    return Daemon(process, port, lines, reader)


@pytest.fixture
def proxy_with_simulator() -> Iterator[Daemon]:
    daemon = start_daemon()
    yield daemon
    daemon.kill()
