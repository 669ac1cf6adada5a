"""The console on a daemon without keys: live views, commands, a shot, every form, phone width."""

from __future__ import annotations

import json
import time

from playwright.sync_api import Dialog, Locator, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, READY_WITHIN, Watched, screenshot
from tests.support.daemon import ROOT, Daemon

WAIT = "#/components/parameters/Wait"


def ready(console: Watched) -> None:
    expect(console.page.locator("#session-state")).to_have_text("ready", timeout=READY_WITHIN)


def opened_form(page: Page, operation: str) -> Locator:
    """The console's form for C{operation} (e.g. C{POST /api/camera/shot}), opened."""
    form = page.locator(f'details[data-operation="{operation}"]')
    form.locator("summary").click()
    return form


def test_root_opens_the_console_ready_and_live(console: Watched) -> None:
    """/ leads to /console/, the session reads ready within 10 s, and telemetry changes at least twice in 6 s."""
    page = console.page
    response = page.goto(console.origin + "/")
    assert response is not None and page.url == console.origin + "/console/"
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'self'; img-src 'self' blob: data:;")
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-cache"
    started = time.monotonic()
    ready(console)
    assert time.monotonic() - started < READY_WITHIN / 1000
    telemetry = page.locator('[data-field="telemetry-time"]')
    seen = {telemetry.inner_text()}
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and len(seen) < 3:
        page.wait_for_timeout(200)
        seen.add(telemetry.inner_text())
    assert len(seen) >= 3, seen
    assert "unknown" not in seen
    expect(page.locator("#banner")).to_be_hidden()
    console.assert_clean()


def test_placeholders_read_off_or_unknown(console: Watched) -> None:
    """Placeholder numbers (the simulated focuser has no temperature) never show; dark by default, red on request."""
    console.open()
    ready(console)
    page = console.page
    expect(page.locator('[data-field="focuser-temperature"]')).to_have_text("unknown")
    assert "123456789" not in page.locator("#observatory").inner_text()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.get_by_role("button", name="Red").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "red"
    expect(page.get_by_role("button", name="Red")).to_have_attribute("aria-pressed", "true")
    console.assert_clean()


def test_park_asks_to_confirm_and_the_ledger_entry_reaches_ok(console: Watched) -> None:
    """Park asks first (dismissed: nothing is sent); confirmed, its ledger entry is followed to ok."""
    console.open()
    ready(console)
    page = console.page
    asked: list[str] = []
    answers = iter([False, True])

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    park = opened_form(page, "POST /api/telescope/park")
    park.get_by_role("button", name="Park…").click()
    page.wait_for_timeout(300)
    expect(page.locator("#ledger")).to_have_text("Nothing sent yet.")
    park.get_by_role("button", name="Park…").click()
    ledger = page.locator("#ledger")
    expect(ledger).to_have_attribute("data-state", "ok")
    entry = json.loads(ledger.inner_text())
    assert entry["method"] == "RemoteMountFastCommand" and entry["params"] == {"CommandType": 3}
    assert len(asked) == 2 and all("Park" in message for message in asked)
    expect(page.locator('[data-field="mount-parked"]')).to_have_text("yes")
    console.assert_clean()


def test_a_one_second_shot_shows_progress_then_the_preview(console: Watched) -> None:
    """A 1 s shot from its form: the progress bar moves, then the preview loads (naturalWidth > 0) with its HFD."""
    console.open()
    ready(console)
    page = console.page
    shot = opened_form(page, "POST /api/camera/shot")
    shot.locator('input[name="exposure"]').fill("1")
    shot.get_by_role("button", name="Send").click()
    expect(page.locator("#shot-progress")).to_have_attribute("data-seen", "true")
    page.wait_for_function(
        "() => { const i = document.getElementById('preview'); return i.complete && i.naturalWidth > 0; }"
    )
    expect(page.locator('[data-field="shot-hfd"]')).not_to_have_text("unknown")
    page.locator("#preview-link").click()
    expect(page.locator("#full-size")).to_be_visible()
    page.keyboard.press("Escape")
    console.assert_clean()


def test_every_command_operation_of_the_document_has_a_form(console: Watched, daemon: Daemon) -> None:
    """The forms are those of /api/openapi.json's command operations (the POSTs taking ?wait=), one each."""
    _, text = daemon.get("/api/openapi.json")
    document = json.loads(text)
    expected = {
        f"POST {path}"
        for path, item in document["paths"].items()
        if any(parameter.get("$ref") == WAIT for parameter in item.get("post", {}).get("parameters", []))
    }
    console.open()
    ready(console)
    page = console.page
    page.wait_for_selector("details[data-operation]", state="attached")
    forms = page.eval_on_selector_all("details[data-operation]", "all => all.map(d => d.dataset.operation)")
    assert len(forms) == len(set(forms)) and set(forms) == expected
    exposure = page.locator('details[data-operation="POST /api/camera/shot"] input[name="exposure"]')
    assert exposure.get_attribute("max") == "3600" and exposure.get_attribute("step") == "any"
    binning = page.locator('details[data-operation="POST /api/camera/shot"] input[name="binning"]')
    assert binning.input_value() == "1" and binning.get_attribute("min") == "1"
    console.assert_clean()


def test_keyboard_alone_sends_a_command(console: Watched) -> None:
    """Tab to a command's summary, open it with Enter, and send it with the keyboard."""
    console.open()
    ready(console)
    page = console.page
    summary = page.locator('details[data-operation="POST /api/telescope/unpark"] summary')
    summary.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the Idempotency-Key field
    page.keyboard.press("Tab")  # the Send button
    page.keyboard.press("Enter")
    expect(page.locator("#ledger")).to_have_attribute("data-state", "ok")
    console.assert_clean()


def test_phone_width_has_no_horizontal_scroll(console: Watched) -> None:
    """At 390 px nothing scrolls sideways; desktop and phone screenshots are saved under build/screenshots."""
    console.open()
    ready(console)
    page = console.page
    page.wait_for_timeout(2500)  # a little guiding on the chart
    screenshot(page, "console-desktop")
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.wait_for_timeout(200)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    opened_form(page, "POST /api/camera/shot")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "console-phone")
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    console.assert_clean()


def test_the_client_module_backs_off_from_one_to_thirty_seconds(console: Watched) -> None:
    """/console/client.js waits about 1 s before its first reconnection, doubling, never more than 30 s."""
    console.open()
    ready(console)
    delays = console.page.evaluate(
        """async () => {
          const { reconnectDelay } = await import("/console/client.js");
          return [0, 1, 2, 4, 5, 10, 1000].map((attempt) => reconnectDelay(attempt));
        }"""
    )
    assert 800 <= delays[0] <= 1000 and 1600 <= delays[1] <= 2000 and 3200 <= delays[2] <= 4000
    assert (
        12_800 <= delays[3] <= 16_000
        and 24_000 <= delays[4] <= 30_000
        and all(24_000 <= delay <= 30_000 for delay in delays[5:])
    )
    console.assert_clean()


def test_a_booking_from_the_example_is_created_activated_and_deleted(console: Watched) -> None:
    """The booking form holds examples/robotarget/booking.json; created, its target is activated, then the set deleted."""
    console.open()
    ready(console)
    page = console.page
    page.wait_for_selector("body[data-ready=true]", state="attached")
    plan = json.loads(page.locator("#rt-plan").input_value())
    assert plan == json.loads((ROOT / "examples/robotarget/booking.json").read_text())
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Create booking").click()
    expect(page.locator("#rt-answer")).to_contain_text("targetGuid")
    target = page.locator("#rt-sets tr[data-guid]", has_text="M42")
    expect(target.locator('[data-field="enabled"]')).to_have_text("no")
    target.get_by_role("button", name="Activate", exact=True).click()
    expect(page.locator("#rt-sets tr[data-guid]", has_text="M42").locator('[data-field="enabled"]')).to_have_text("yes")
    page.locator(".rt-set", has_text="Booking 456").get_by_role("button", name="Delete set…").click()
    expect(page.locator(".rt-set", has_text="Booking 456")).to_have_count(0)
    console.assert_clean()


def test_a_refused_command_shows_its_typed_error(console: Watched) -> None:
    """A goto to RA "abc" is answered 400 by the daemon; the form shows the error's code, message and field."""
    console.open()
    ready(console)
    page = console.page
    goto = opened_form(page, "POST /api/telescope/goto")
    goto.locator('input[name="ra"]').fill("abc")
    goto.locator('input[name="dec"]').fill("-5.4")
    goto.get_by_role("button", name="Send").click()
    answer = goto.locator(".answer")
    expect(answer).to_have_attribute("data-outcome", "validation_error")
    expect(answer).to_contain_text("(ra)")
    console.assert_clean(expected=("status of 400",))


def test_unticking_a_topic_sends_the_topics_action(console: Watched) -> None:
    """Unticking controlData excludes it on the daemon (the topics answer says so) and the log stops getting it."""
    console.open()
    ready(console)
    page = console.page
    page.locator('#events-topics input[value="controlData"]').uncheck()
    expect(page.locator('#events-log li[data-event="topics"]')).to_have_count(1)
    raw = page.locator('#events-log li[data-event="topics"] button')
    raw.click()
    assert json.loads(page.locator("#events-raw").inner_text())["data"]["exclude"] == ["controlData"]
    page.locator("#events-clear").click()
    page.wait_for_timeout(4500)  # two ControlData periods
    assert page.locator('#events-log li[data-event="controlData"]').count() == 0
    console.assert_clean()
