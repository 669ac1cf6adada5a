"""The daemon started by twistd, as a sysadmin runs it (see tests/support/daemon.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.daemon import Daemon


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def start_daemon(env: dict[str, str] | None = None) -> Daemon:
    """twistd voyager-proxy --simulator with the example ini on a free port, once ready."""
    return Daemon.start("--simulator", env=env)


@pytest.fixture
def proxy_with_simulator() -> Iterator[Daemon]:
    daemon = start_daemon()
    yield daemon
    daemon.kill()
