"""The daemon as a sysadmin runs it: twistd in a subprocess."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.support.daemon import ROOT, TWISTD, Daemon, twistd
from tests.system.conftest import get_json


def test_plugins_are_listed() -> None:
    """twistd --help lists voyager-proxy and voyager-sim."""
    output = subprocess.run([TWISTD, "--help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "voyager-proxy" in output and "voyager-sim" in output


def test_proxy_with_simulator_comes_up_ready_and_stops_cleanly(
    proxy_with_simulator: Daemon,
) -> None:
    """`twistd voyager-proxy --simulator` with the example ini reports ready, then stops on SIGTERM."""
    daemon = proxy_with_simulator
    status, health = get_json(f"http://127.0.0.1:{daemon.port}/health")
    assert health["status"] == "ok" and health["voyager"]["ready"] is True
    output = daemon.stop()
    # twistd ends by re-raising the signal it stopped on; systemd counts that as a clean stop.
    assert daemon.process.returncode in (0, -signal.SIGTERM), output
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
