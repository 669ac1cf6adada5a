"""
Voyager going silent, and the console's own link cut: the red banner, then
ready again with the messages missed replayed.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect

from tests.browser.conftest import READY_WITHIN, Watched, watch
from tests.support.daemon import Daemon

# The stall is noticed by the default inactivity_timeout (15 s); reconnecting afterwards is made quick.
QUICK_RECONNECT = {
    "VOYAGER_PROXY_VOYAGER_RECONNECT_INITIAL_DELAY": "0.5",
    "VOYAGER_PROXY_VOYAGER_RECONNECT_MAX_DELAY": "1",
    "VOYAGER_PROXY_VOYAGER_HANDSHAKE_TIMEOUT": "2",
}
BANNER_WITHIN = 16_000  # ms


@pytest.fixture
def stalling() -> Iterator[Daemon]:
    daemon = Daemon.start("--simulator", env=QUICK_RECONNECT)
    yield daemon
    daemon.stop()


@pytest.fixture
def console(browser: Browser, stalling: Daemon) -> Iterator[Watched]:
    yield from watch(browser, stalling)


def test_a_stalled_simulator_shows_the_banner_then_the_console_resumes(console: Watched, stalling: Daemon) -> None:
    """SIGUSR1 stalls Voyager: red banner within 16 s; the console's link is cut meanwhile; restored, it resumes."""
    page = console.page
    links: list[WebSocketRoute] = []
    refusing = [False]

    def route(socket: WebSocketRoute) -> None:
        if refusing[0]:
            socket.close()
        else:
            socket.connect_to_server()
            links.append(socket)

    page.route_web_socket(re.compile(r"/ws(\?|$)"), route)
    console.open()
    expect(page.locator("#session-state")).to_have_text("ready", timeout=READY_WITHIN)
    page.wait_for_selector("body[data-ready=true]", state="attached")  # every start-up request answered
    banner = page.locator("#banner")
    expect(banner).to_be_hidden()

    stalling.process.send_signal(signal.SIGUSR1)
    started = time.monotonic()
    expect(banner).to_be_visible(timeout=BANNER_WITHIN)
    assert time.monotonic() - started < BANNER_WITHIN / 1000
    expect(banner).to_contain_text("Voyager is")
    expect(page.locator("#stale")).to_be_visible()  # no telemetry for over 6 s

    refusing[0] = True
    links[-1].close()
    expect(banner).to_contain_text("lost its connection to the daemon")
    stalling.process.send_signal(signal.SIGUSR2)
    stalling.wait_ready(20)
    page.wait_for_timeout(2500)  # telemetry flows meanwhile, into the replay buffer
    refusing[0] = False

    expect(page.locator("#session-state")).to_have_text("ready", timeout=READY_WITHIN)
    note = page.locator("#resumed")
    expect(note).to_contain_text("messages replayed", timeout=READY_WITHIN)
    assert int(note.get_attribute("data-replayed") or 0) > 0
    expect(banner).to_be_hidden()
    expect(page.locator("#stale")).to_be_hidden()
    console.assert_clean()
