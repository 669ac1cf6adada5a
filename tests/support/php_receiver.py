"""
examples/laravel/webhook-receiver.php served by ``php -S 127.0.0.1:PORT``: the
real receiver of the webhook tests. What its application did is read back
from its events.log.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import attrs

from tests.support.daemon import ROOT

RECEIVER = ROOT / "examples" / "laravel" / "webhook-receiver.php"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.define
class PhpReceiver:
    """The PHP receiver on C{port}, keeping its state in C{state}; C{start} and C{stop} as often as needed."""

    state: Path
    secrets: tuple[str, ...]
    port: int = attrs.field(factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/voyager"

    def start(self, *secrets: str) -> PhpReceiver:
        """Serve (with C{secrets} instead of the ones given at creation, if any); returns once it accepts."""
        self.state.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "VOYAGER_WEBHOOK_SECRETS": " ".join(secrets or self.secrets)}
        env["VOYAGER_WEBHOOK_STATE"] = str(self.state)
        self.process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", str(RECEIVER)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("php -S never listened")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def handled(self) -> list[dict[str, Any]]:
        """Each event the application handled, in order."""
        log = self.state / "events.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
