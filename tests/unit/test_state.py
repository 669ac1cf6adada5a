"""The state cache: latest of everything, one snapshot, a generation for ETags."""

from __future__ import annotations

import base64

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


def test_preview_decoded_once_and_kept_out_of_the_snapshot() -> None:
    """The JPEG is available as bytes; the snapshot has its metadata only."""
    state, events, _ = cache()
    jpeg = b"\xff\xd8\xff\xe0" + b"pixels"
    publish(events, Event="NewJPGReady", File="C:\\a.fit", PixelDimX=160, Base64Data=base64.b64encode(jpeg).decode())
    assert state.preview is not None and state.preview.jpeg == jpeg
    snapshot = state.snapshot()
    assert snapshot["preview"]["width"] == 160 and "Base64Data" not in str(snapshot)


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
