"""The state cache: latest of everything, one snapshot, a generation for ETags."""

from __future__ import annotations

import base64
from collections import deque

from voyager_proxy.voyager.bus import EventBus
from voyager_proxy.voyager.events import VoyagerEvent, parse_event
from voyager_proxy.voyager.state import StateCache
from voyager_proxy.voyager.status import ConnectionStatus, LinkState

COMMON = {"Timestamp": 1.0, "Host": "OBS1", "Inst": 1}


def cache(max_signals: int = 20) -> tuple[StateCache, EventBus[VoyagerEvent], EventBus[ConnectionStatus]]:
    events: EventBus[VoyagerEvent] = EventBus()
    statuses: EventBus[ConnectionStatus] = EventBus()
    state = StateCache(events, statuses, ConnectionStatus(LinkState.STOPPED, since=0.0), max_signals)
    return state, events, statuses


def publish(events: EventBus[VoyagerEvent], received_at: float = 5.0, **fields: object) -> None:
    events.publish(parse_event({**COMMON, **fields}, received_at))


def test_snapshot_keeps_the_latest_of_each_kind() -> None:
    """ControlData, shot progress, last image, version and connection are the latest seen."""
    state, events, statuses = cache()
    publish(events, Event="Version", VOYVersion="Release 2.3.14")
    publish(events, Event="ControlData", CCDTEMP=-5.0)
    publish(events, Event="ControlData", CCDTEMP=-6.0)
    publish(events, Event="ShotRunning", Expo=10, Elapsed=5, ElapsedPerc=50, Status=1)
    publish(events, Event="NewFITReady", File="C:\\F\\a.fit", Type=0)
    statuses.publish(ConnectionStatus(LinkState.READY, since=3.0))
    snapshot = state.snapshot()
    assert snapshot["version"]["version"] == "Release 2.3.14"
    assert snapshot["controlData"]["fields"]["CCDTEMP"] == -6.0
    assert snapshot["controlData"]["parsed"]["camera"]["temperature"] == -6.0
    assert snapshot["shot"]["progress"] == 50.0 and snapshot["lastImage"]["fileName"] == "a.fit"
    assert snapshot["connection"]["state"] == "ready"
    assert state.counters()["eventsByType"]["ControlData"] == 2


def test_signals_are_bounded() -> None:
    """Only the last signals are kept."""
    state, events, _ = cache(max_signals=3)
    for code in (18, 502, 501, 5, 502):
        publish(events, Event="Signal", Code=code)
    assert [s["code"] for s in state.snapshot()["signals"]] == [501, 5, 502]


def test_snapshot_is_reused_until_something_changes() -> None:
    """The same snapshot object is served until a change bumps the generation."""
    state, events, _ = cache()
    first = state.snapshot()
    assert state.snapshot() is first
    publish(events, Event="ControlData", CCDTEMP=-5.0)
    second = state.snapshot()
    assert second is not first and second["generation"] == first["generation"] + 1


def _strings(value: object, seen: set[int] | None = None) -> list[str]:
    """Every string reachable from C{value} through dicts, lists, tuples, deques and attributes."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for pair in value.items() for part in pair for s in _strings(part, seen)]
    if isinstance(value, (list, tuple, deque, set, frozenset)):
        return [s for item in value for s in _strings(item, seen)]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return _strings(vars(value), seen)
    return []


def test_a_preview_s_metadata_is_kept_never_its_base64() -> None:
    """After a multi-MB NewJPGReady the snapshot has its metadata, and nothing the cache holds is its base64."""
    state, events, _ = cache()
    data = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(2_000_000)).decode()
    publish(events, Event="NewJPGReady", File="C:\\a.fit", PixelDimX=160, Base64Data=data)
    snapshot = state.snapshot()
    assert snapshot["preview"]["width"] == 160 and snapshot["preview"]["imageSize"] == 2_000_004
    assert snapshot["preview"]["receivedAt"] == 5.0
    assert max(map(len, _strings(state)), default=0) < 1000


def test_rejected_lines_are_counted() -> None:
    """Malformed and over-long lines show in the counters."""
    state, _, _ = cache()
    state.line_rejected("malformed")
    state.line_rejected("malformed")
    assert state.counters()["rejectedLines"] == {"malformed": 2}


def test_polling_leaves_the_generation_alone_and_control_data_bumps_it() -> None:
    """A Polling event (or a rejected line) only counts; a ControlData change bumps the generation."""
    state, events, _ = cache()
    first = state.snapshot()
    publish(events, Event="Polling")
    state.line_rejected("too_long")
    assert state.generation == first["generation"] and state.snapshot() is first
    assert state.counters()["eventsByType"] == {"Polling": 1}
    publish(events, Event="ControlData", CCDTEMP=-5.0)
    assert state.generation == first["generation"] + 1
    assert "counters" not in state.snapshot()
