"""Pure parts of the REST API: keys, validation, rate limits, ledger."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.task import Clock

from tests.support.fake_voyager import FakeVoyager
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.failures import describe
from voyager_proxy.ledger import CommandDesk, CommandLedger
from voyager_proxy.metrics import Metrics
from voyager_proxy.ratelimit import RateLimiter
from voyager_proxy.refused import IdempotencyKeyReused, ShuttingDown
from voyager_proxy.rest import validation as check
from voyager_proxy.rest.envelope import ApiError
from voyager_proxy.voyager.commands import Completion
from voyager_proxy.voyager.pending import Command


def test_keys_parse_roles_and_methods() -> None:
    """Keys carry a name, a role and an optional method list."""
    laravel, renter = parse_keys(
        ["laravel:control:k0123456789abcdef", "renter:control:0123456789abcdefg:Abort|RemoteCameraShot"]
    )
    assert laravel.may_call("RemoteSetupConnect") and not renter.may_call("RemoteSetupConnect")
    assert renter.may_call("Abort")
    (reader,) = parse_keys(["dash:read:0123456789abcdef"])
    assert not reader.can_control and not reader.may_call("RemoteGetStatus")


@pytest.mark.parametrize("entry", ["nokey", "a:admin:0123456789abcdef", "a:read:short", "a:read:"])
def test_bad_key_entries_never_echo_the_key(entry: str) -> None:
    """A malformed entry is refused without repeating its secret."""
    with pytest.raises(ValueError) as caught:
        parse_keys([entry])
    assert "0123456789abcdef" not in str(caught.value) and "short" not in str(caught.value)


def test_duplicate_names_refused() -> None:
    """Two keys with one name are refused."""
    with pytest.raises(ValueError, match="used twice"):
        parse_keys(["a:read:0123456789abcdef", "a:control:fedcba9876543210"])


def test_key_ring_finds_by_secret() -> None:
    """The ring returns the matching key, or None; an empty ring is disabled."""
    ring = KeyRing(parse_keys(["a:read:0123456789abcdef", "b:control:fedcba9876543210"]))
    found = ring.find("fedcba9876543210")
    assert ring.enabled and found is not None and found.name == "b"
    assert ring.find("fedcba987654321") is None and ring.find("") is None
    assert not KeyRing([]).enabled


@pytest.mark.parametrize(
    ("text", "hours"),
    [("05:35:17.3", 5.58814), ("5 35 17.3", 5.58814), ("05h35m17.3s", 5.58814), (5.5, 5.5), ("0", 0.0)],
)
def test_right_ascension_forms(text: object, hours: float) -> None:
    """RA is accepted as decimal hours or sexagesimal text."""
    assert check.angle({"ra": text}, "ra", 0, 24, wraps=True) == pytest.approx(hours, abs=1e-4)


@pytest.mark.parametrize(
    ("text", "degrees"), [("-05° 23' 28\"", -5.39111), ("+47:20:07", 47.33528), (-90, -90.0), ("90", 90.0)]
)
def test_declination_forms(text: object, degrees: float) -> None:
    """Dec is accepted as decimal degrees or sexagesimal text, signs included."""
    assert check.angle({"dec": text}, "dec", -90, 90, wraps=False) == pytest.approx(degrees, abs=1e-4)


@pytest.mark.parametrize(
    ("field", "value", "low", "high", "wraps"),
    [
        ("ra", 24, 0, 24, True),
        ("ra", "12:61:00", 0, 24, True),
        ("dec", "91", -90, 90, False),
        ("dec", "north", -90, 90, False),
        ("dec", True, -90, 90, False),
        ("ra", None, 0, 24, True),
    ],
)
def test_bad_coordinates_name_the_field(field: str, value: object, low: float, high: float, wraps: bool) -> None:
    """Out-of-range or unreadable coordinates are a 400 naming the field."""
    with pytest.raises(ApiError) as caught:
        check.angle({field: value}, field, low, high, wraps=wraps)
    assert caught.value.status == 400 and caught.value.details["field"] == field


def test_numbers_integers_and_gain() -> None:
    """Ranges, types and Voyager's special gain values are checked."""
    assert check.number({"e": 2}, "e", 0, 10, above=True) == 2.0
    for bad in ({"e": 0}, {"e": float("inf")}, {"e": "1"}, {"e": False}, {}):
        with pytest.raises(ApiError):
            check.number(bad, "e", 0, 10, above=True)
    assert check.integer({}, "bin", 1, 4, 1) == 1
    with pytest.raises(ApiError):
        check.integer({"bin": 1.5}, "bin", 1, 4)
    assert check.gain_or_offset({"gain": -900000}, "gain") == -900000
    assert check.gain_or_offset({}, "gain") == -800000
    with pytest.raises(ApiError):
        check.gain_or_offset({"gain": -1}, "gain")


def test_rate_limiter_refills_on_the_clock() -> None:
    """A burst passes, the next waits; tokens come back at the sustained rate."""
    clock = Clock()
    limiter = RateLimiter(clock, rate=2.0, burst=3)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)
    assert limiter.take("b") == 0.0
    clock.advance(0.5)
    assert limiter.take("a") == 0.0
    assert RateLimiter.retry_after(0.2) == "1" and RateLimiter.retry_after(1.5) == "2"


def command(uid: str) -> Command:
    return Command("RemoteGetStatus", {"UID": uid}, 1, uid, Completion.RESULT, 60.0, 0.0)


def test_ledger_is_bounded_and_forgets_idempotency_keys_with_entries() -> None:
    """The oldest entries go first, with their idempotency keys."""
    ledger = CommandLedger(size=2)
    ledger.record(command("u1"), "laravel", "k1")
    ledger.record(command("u2"), "laravel", None)
    replayed = ledger.replay("laravel", "k1")
    assert replayed is not None and replayed.command.uid == "u1"
    assert ledger.replay("other", "k1") is None
    ledger.record(command("u3"), "laravel", None)
    assert ledger.get("u1") is None and ledger.replay("laravel", "k1") is None
    ledger.record(command("u4"), "laravel", "k4", (b"POST", b"/x", {"a": 1, "b": True}))
    replayed = ledger.replay("laravel", "k4", (b"POST", b"/x", {"b": True, "a": 1}))
    assert replayed is not None and replayed.command.uid == "u4"
    for other in ({"a": 1.0, "b": True}, {"a": 1, "b": 1}):
        with pytest.raises(IdempotencyKeyReused):
            ledger.replay("laravel", "k4", (b"POST", b"/x", other))
    assert [e.command.uid for e in ledger.latest(10)] == ["u4", "u3"]
    entry = ledger.get("u3")
    assert entry is not None and entry.as_dict()["params"] == {} and entry.as_dict()["state"] == "sent"


def test_recent_events_keep_no_images() -> None:
    """500 previews of 1 MB leave well under 5 MB behind in the recent-events ring."""
    import tracemalloc

    from voyager_proxy.auth import LOCAL
    from voyager_proxy.rest.recent import RecentEvents
    from voyager_proxy.voyager import EventBus, VoyagerEvent

    bus: EventBus[VoyagerEvent] = EventBus()
    recent = RecentEvents(bus, 500, lambda event: None)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(500):
        bus.publish(
            VoyagerEvent(
                "NewJPGReady",
                {"Event": "NewJPGReady", "File": f"{n}.fit", "Base64Data": str(n) * 1_000_000},
                None,
                float(n),
            )
        )
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept < 5_000_000, kept
    [latest] = recent.latest(1, "NewJPGReady", LOCAL)
    assert latest["data"]["File"] == "499.fit" and "Base64Data" not in latest["data"]


def test_a_stopping_desk_answers_every_waiting_caller_and_refuses_new_commands() -> None:
    """stop() fails each caller's wait with ShuttingDown (uid, acknowledged); the command itself runs on; new ones are refused."""
    voyager = FakeVoyager()
    voyager.ready()
    desk = CommandDesk(voyager.link, voyager.clock, Metrics(voyager.link), CommandLedger(10), 60.0)
    acked = desk.submit("RemoteCameraShot", {"Expo": 30}, "laravel")
    (request,) = [line for line in voyager.said_by_link() if line["method"] == "RemoteCameraShot"]
    voyager.say({"jsonrpc": "2.0", "result": 0, "id": request["id"]})
    sent = desk.submit("RemoteGetStatus", {}, "laravel")
    waits = [desk.answer(acked.command), desk.answer(sent.command, acknowledged=True)]
    failures: list[Any] = []
    for wait in waits:
        wait.addErrback(failures.append)
    assert desk.stop() == 2
    assert [(f.value.uid, f.value.acknowledged) for f in failures] == [
        (acked.command.uid, True),
        (sent.command.uid, False),
    ]
    assert describe(failures[0].value).as_error()["code"] == "shutting_down"
    assert not acked.command.is_final  # Voyager may still be running it: only the wait ended
    with pytest.raises(ShuttingDown) as refused:
        desk.submit("RemoteGetStatus", {}, "laravel")
    assert refused.value.uid is None
    voyager.stop()
