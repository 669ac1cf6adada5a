"""The console on a daemon with keys: the key is exchanged once and kept nowhere; a read key cannot command."""

from __future__ import annotations

from playwright.sync_api import Browser, Request, WebSocket, expect

from tests.browser.conftest import CONTROL, READ, READY_WITHIN, Watched, watch
from tests.support.daemon import Daemon
from tests.support.keys import KEYS

REFUSALS = ("status of 401", "status of 403")  # the sign-in probe, and the refusals these tests provoke


def sign_in(console: Watched, key: str) -> None:
    page = console.page
    expect(page.locator("#signin")).to_be_visible()
    page.locator("#signin-key").fill(key)
    page.locator("#signin-key").press("Enter")


def test_the_key_is_asked_refused_when_wrong_and_kept_nowhere(keyed_console: Watched) -> None:
    """
    A wrong key is refused, the right one works (REST, /ws and the image
    routes with the token); the key is in no storage and no request but
    POST /api/tokens.
    """
    page = keyed_console.page
    carried: list[str] = []
    requests: list[Request] = []
    sockets: list[WebSocket] = []

    def sent(request: Request) -> None:
        requests.append(request)
        if CONTROL in request.url or CONTROL in str(request.headers) or CONTROL in (request.post_data or ""):
            carried.append(f"{request.method} {request.url}")

    page.on("request", sent)
    page.on("websocket", lambda socket: sockets.append(socket))
    keyed_console.open()
    sign_in(keyed_console, "wrong-key-0123456789")
    expect(page.locator("#signin-problem")).to_contain_text("Refused")
    expect(page.locator("#signin")).to_be_visible()
    sign_in(keyed_console, CONTROL)
    expect(page.locator("#signin")).to_be_hidden()
    expect(page.locator("#session-state")).to_have_text("ready", timeout=READY_WITHIN)
    expect(page.locator("#session-role")).to_have_text("laravel, control role")
    expect(page.locator('[data-field="telemetry-time"]')).not_to_have_text("unknown")
    assert carried == [f"POST {keyed_console.origin}/api/tokens"]
    stored = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])")
    assert CONTROL not in stored
    assert sockets and all(CONTROL not in socket.url and "token=" in socket.url for socket in sockets)
    api = [r for r in requests if "/api/" in r.url and not r.url.endswith("/api/tokens")]
    signed = [r for r in api if r.headers.get("authorization", "").startswith("Bearer ")]
    assert signed and all(
        r.url.endswith(("/api/status/connection", "/api/openapi.json")) for r in api if r not in signed
    )
    assert page.locator("#command-forms button:disabled").count() == 0
    page.evaluate("window.consoleClient.rest('POST', '/api/camera/shot?wait=false', { body: { exposure: 1 } })")
    page.wait_for_function(
        "() => { const i = document.getElementById('preview'); return i.complete && i.naturalWidth > 0; }"
    )
    assert carried == [f"POST {keyed_console.origin}/api/tokens"]  # the image routes took the token too
    keyed_console.assert_clean(expected=REFUSALS)


def test_a_read_key_sees_the_forms_disabled_and_commands_fail_typed(keyed_console: Watched) -> None:
    """With a read key every command form is disabled; a command sent anyway through the client module is refused."""
    page = keyed_console.page
    keyed_console.open()
    sign_in(keyed_console, READ)
    expect(page.locator("#session-state")).to_have_text("ready", timeout=READY_WITHIN)
    page.wait_for_selector("details[data-operation]", state="attached")
    buttons = page.locator("#command-forms button")
    assert buttons.count() >= 19
    assert page.locator("#command-forms button:enabled").count() == 0
    expect(page.locator("#commands-note")).to_contain_text("read role")
    outcome = page.evaluate(
        """async () => {
          const answers = [];
          for (const send of [
            () => window.consoleClient.command("RemoteMountFastCommand", { CommandType: 3 }),
            () => window.consoleClient.rest("POST", "/api/telescope/park"),
          ]) {
            try { await send(); answers.push("sent"); }
            catch (error) { answers.push([error.name, error.code, error.status]); }
          }
          return answers;
        }"""
    )
    assert outcome == [["VoyagerError", "forbidden", None], ["VoyagerError", "forbidden", 403]]
    keyed_console.assert_clean(expected=REFUSALS)


def test_a_restarted_daemon_asks_for_the_key_again(browser: Browser) -> None:
    """Tokens die with the daemon that drew their secret: after a restart the console asks again, then works."""
    env = {"VOYAGER_PROXY_API_KEYS": ",".join(KEYS)}
    first = Daemon.start("--simulator", env=env)
    second = None
    try:
        for console in watch(browser, first):
            page = console.page
            console.open()
            sign_in(console, CONTROL)
            expect(page.locator("#session-state")).to_have_text("ready", timeout=READY_WITHIN)
            page.wait_for_selector("body[data-ready=true]", state="attached")
            first.stop()
            expect(page.locator("#banner")).to_contain_text("lost its connection to the daemon")
            second = Daemon.start("--simulator", "--http-port", str(first.port), env=env)
            expect(page.locator("#signin-problem")).to_contain_text("refused or has expired", timeout=20_000)
            sign_in(console, CONTROL)
            expect(page.locator("#banner")).to_be_hidden(timeout=READY_WITHIN)
            expect(page.locator("#session-link")).to_have_text("connected")
            console.assert_clean(expected=(*REFUSALS, "WebSocket connection to", "ERR_CONNECTION_REFUSED"))
    finally:
        for daemon in (first, second):
            if daemon is not None:
                daemon.kill()
