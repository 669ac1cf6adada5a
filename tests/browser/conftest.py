"""
The console in a real browser: Debian's Chromium driven by Playwright, the
daemon as ``twistd voyager-proxy --simulator`` in a subprocess.

These tests run in their own pytest process without pytest-twisted
(``pytest -p no:twisted tests/browser``, from ``make test``): Playwright's
synchronous API runs its own event loop, which must not meet the reactor.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Route, sync_playwright

from tests.support.daemon import ROOT, Daemon
from tests.support.keys import CONTROL, KEYS, READ

CHROMIUM = os.environ.get("VOYAGER_PROXY_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "build" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
READY_WITHIN = 10_000  # ms

__all__ = ["CONTROL", "DESKTOP", "PHONE", "READ", "READY_WITHIN", "SCREENSHOTS", "Watched"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM)
    yield launched
    launched.close()


def _running(env: dict[str, str] | None = None) -> Iterator[Daemon]:
    daemon = Daemon.start("--simulator", env=env)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    """A daemon without keys (loopback), shared by a module's tests."""
    yield from _running()


@pytest.fixture(scope="module")
def keyed_daemon() -> Iterator[Daemon]:
    """A daemon with the REST tests' keys: a control key and a read key among them."""
    yield from _running({"VOYAGER_PROXY_API_KEYS": ",".join(KEYS)})


@attrs.define
class Watched:
    """
    A page whose every request is checked against the daemon's origin (any
    other host is refused and recorded), with its console errors, uncaught
    exceptions and Content-Security-Policy violations collected.
    """

    page: Page
    origin: str
    errors: list[str] = attrs.Factory(list)
    foreign: list[str] = attrs.Factory(list)

    def open(self, path: str = "/") -> None:
        self.page.goto(self.origin + path)

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__cspViolations || []")
        return found

    def assert_clean(self, expected: tuple[str, ...] = ()) -> None:
        """No console error but those containing one of C{expected}, no CSP violation, no other host."""
        unexpected = [text for text in self.errors if not any(part in text for part in expected)]
        assert unexpected == [], unexpected
        assert self.violations() == []
        assert self.foreign == []


# Recorded before any of the page's scripts run (init scripts are not subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watch(browser: Browser, daemon: Daemon, viewport: dict[str, int] = DESKTOP) -> Iterator[Watched]:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    watched = Watched(page, f"http://127.0.0.1:{daemon.port}")
    allowed = urlsplit(watched.origin).netloc

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc != allowed:
            watched.foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"{message.text} ({message.location.get('url')})")

    context.route("**/*", guard)
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", console)
    page.on("pageerror", lambda error: watched.errors.append(f"uncaught: {error}"))
    page.set_default_timeout(15_000)
    yield watched
    context.close()


@pytest.fixture
def console(browser: Browser, daemon: Daemon) -> Iterator[Watched]:
    """A desktop page on the keyless daemon."""
    yield from watch(browser, daemon)


@pytest.fixture
def keyed_console(browser: Browser, keyed_daemon: Daemon) -> Iterator[Watched]:
    """A desktop page on the daemon with keys."""
    yield from watch(browser, keyed_daemon)


def screenshot(page: Page, name: str) -> Path:
    """Save the page as build/screenshots/<name>.png (docs/ keeps a copy of the desktop one)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
