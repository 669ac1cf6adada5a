"""The daemon as a sysadmin runs it: twistd in a subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

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


@pytest.fixture
def proxy_with_simulator() -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = twistd(
        "--nodaemon", "--pidfile=", "voyager-proxy",
        "--config", "etc/voyager-proxy.ini", "--simulator", "--http-port", "0",
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
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait()


def test_plugins_are_listed() -> None:
    """twistd --help lists voyager-proxy and voyager-sim."""
    output = subprocess.run([*TWISTD, "--help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "voyager-proxy" in output and "voyager-sim" in output


def test_proxy_with_simulator_comes_up_ready_and_stops_cleanly(
    proxy_with_simulator: tuple[subprocess.Popen[str], int],
) -> None:
    """`twistd voyager-proxy --simulator` with the example ini reports ready, then stops on SIGTERM."""
    process, port = proxy_with_simulator
    deadline = time.monotonic() + START_DEADLINE
    status = 0
    while time.monotonic() < deadline:
        status, body = get_json(f"http://127.0.0.1:{port}/health/ready")
        if status == 200:
            break
        time.sleep(0.2)
    assert status == 200, body
    status, health = get_json(f"http://127.0.0.1:{port}/health")
    assert health["status"] == "ok" and health["voyager"]["ready"] is True
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    # twistd ends by re-raising the signal it stopped on; systemd counts that as a clean stop.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Voyager connection closed: closed by the proxy" in output
    assert "Server Shut Down." in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--voyager-port", "abc"], {}, "voyager.port"),
        (["--config", "/nonexistent/voyager-proxy.ini"], {}, "/nonexistent/voyager-proxy.ini"),
        ([], {"VOYAGER_PROXY_VOYAGER_PASWORD": "x"}, "VOYAGER_PROXY_VOYAGER_PASWORD"),
        (["--http-interface", "0.0.0.0"], {}, "http.interface"),
    ],
)
def test_bad_configuration_stops_start_up(args: list[str], env: dict[str, str], expected: str) -> None:
    """A bad setting stops start-up with a non-zero status and a line naming the key."""
    process = twistd("--nodaemon", "--pidfile=", "voyager-proxy", *args, env=env)
    output, _ = process.communicate(timeout=30)
    assert process.returncode != 0
    assert expected in output
    assert "Traceback" not in output
