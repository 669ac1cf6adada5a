"""
``twistd voyager-proxy`` in a subprocess, as a sysadmin runs it: for the system
tests and the benchmarks. The daemon listens on a free port (``--http-port 0``),
found in its log; the log is read to its end by a thread, so the daemon never
blocks on a full pipe, and kept in L{Daemon.log}.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[2]
TWISTD = str(Path(sys.executable).parent / "twistd")
CONFIG = "etc/voyager-proxy.ini"
LISTENING = re.compile(r"HTTP API .* listening on http://127\.0\.0\.1:(\d+)/")
START_DEADLINE = 30.0  # seconds to say where it listens, and again to become ready
STOP_DEADLINE = 30.0


class DaemonError(Exception):
    """The daemon did not start, become ready or stop in time; the message ends with its log."""


def until(condition: Any, what: str, seconds: float = 10.0) -> Any:
    """Poll C{condition} (a daemon's log, a socket) until it gives something true; that value, or an AssertionError."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"never: {what}")


def twistd(*args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """C{twistd *args} from the repository root, stdout and stderr in one text pipe."""
    return subprocess.Popen(
        [TWISTD, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


@attrs.define
class Daemon:
    """A running C{twistd voyager-proxy}: its process, HTTP port and log lines so far."""

    process: subprocess.Popen[str]
    port: int
    log: list[str]
    reader: threading.Thread

    @classmethod
    def start(
        cls,
        *args: str,
        env: Mapping[str, str] | None = None,
        twistd_args: Sequence[str] = (),
        config: str = CONFIG,
        ready: bool = True,
    ) -> Daemon:
        """
        C{twistd --nodaemon --pidfile= *twistd_args voyager-proxy --config
        config --http-port 0 *args}, with C{env} over this process's
        environment; returns once the port is known and, unless C{ready} is
        false, once C{/health/ready} answers 200.
        """
        process = twistd(
            "--nodaemon",
            "--pidfile=",
            *twistd_args,
            "voyager-proxy",
            "--config",
            config,
            "--http-port",
            "0",
            *args,
            env=env,
        )
        log: list[str] = []
        found: list[int] = []
        said = threading.Event()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                log.append(line)
                match = LISTENING.search(line) if not found else None
                if match:
                    found.append(int(match.group(1)))
                    said.set()
            said.set()  # end of file: the daemon is gone

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if not said.wait(START_DEADLINE) or not found:
            process.kill()
            process.wait()
            reader.join(timeout=5)
            raise DaemonError("the daemon never said where it listens:\n" + "".join(log))
        daemon = cls(process, found[0], log, reader)
        if ready:
            daemon.wait_ready()
        return daemon

    def get(self, path: str) -> tuple[int, str]:
        """C{GET path} from the daemon: status and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def wait_ready(self, seconds: float = START_DEADLINE) -> None:
        """Poll C{/health/ready} until the Voyager session is ready."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DaemonError(f"the daemon exited ({self.process.returncode}) before it was ready:\n{self.text()}")
            try:
                if self.get("/health/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise DaemonError("the Voyager session never became ready:\n" + self.text())

    def text(self) -> str:
        """The log so far, in one string."""
        return "".join(list(self.log))

    def stop(self, seconds: float = STOP_DEADLINE) -> str:
        """SIGTERM, wait up to C{seconds} for the exit (then SIGKILL and raise); the whole log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.kill()
            raise DaemonError(f"the daemon did not stop within {seconds:g} s of SIGTERM:\n{self.text()}") from None
        self.reader.join(timeout=5)  # the reader takes the last lines, up to end of file
        return self.text()

    def kill(self) -> None:
        """SIGKILL, if still running, and reap it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
