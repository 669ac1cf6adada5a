"""The Laravel example client, run by PHP against the daemon."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import ROOT, Daemon
from tests.system.conftest import start_daemon

KEY = "laravel-example-key-0123456789"
ILLUMINATE = Path("/usr/share/php/Illuminate/Http/autoload.php")

pytestmark = pytest.mark.skipif(
    shutil.which("php") is None or not ILLUMINATE.exists(),
    reason="php-cli and php-illuminate-http are not installed (.ci/run installs them)",
)


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    running = start_daemon({"VOYAGER_PROXY_API_KEYS": f"laravel:control:{KEY}"})
    yield running
    running.kill()


def test_every_client_method_works(daemon: Daemon) -> None:
    """Each method of examples/laravel/VoyagerProxyClient.php gets a successful answer."""
    result = subprocess.run(
        ["php", "examples/laravel/demo.php", f"http://127.0.0.1:{daemon.port}", KEY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "connection: ready"
    assert lines[2].startswith("shot: ok ") and lines[3] == "shot retried: same command"
    assert lines[4].endswith(" bytes") and int(lines[4].split()[1]) > 1000
    assert lines[5:9] == ["goto: ok", "park: acknowledged", "park in the ledger: RemoteMountFastCommand", "abort: ok"]
    assert lines[9:11] == ["robotarget: ready", "plan: 1 shot"]
    assert lines[11].startswith("shots done so far: ") and lines[12] == "plan deleted"
