"""Where webhook events come from: the link's status and events, RoboTarget, the previews."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twisted.internet.testing import MemoryReactorClock

from voyager_proxy.config import RoboTargetSettings, VoyagerSettings
from voyager_proxy.robotarget import RoboTarget, RoboTargetState, RoboTargetStatus
from voyager_proxy.voyager.events import parse_event
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.status import ConnectionStatus, LinkState
from voyager_proxy.webhooks.preview_notices import PREVIEW_URL, watch_previews
from voyager_proxy.webhooks.sources import EventSources


def wired() -> tuple[VoyagerLink, RoboTarget, EventSources, list[tuple[str, dict[str, Any]]]]:
    clock = MemoryReactorClock()
    link = VoyagerLink(clock, VoyagerSettings(), lambda factory: None)  # type: ignore[arg-type,return-value]
    robotarget = RoboTarget(link, clock, RoboTargetSettings())
    sent: list[tuple[str, dict[str, Any]]] = []

    def publish(event_type: str, data: Mapping[str, Any], occurred_at: float | None) -> None:
        sent.append((event_type, dict(data)))

    sources = EventSources(publish)
    sources.watch_link(link)
    sources.watch_robotarget(robotarget)
    return link, robotarget, sources, sent


def status(state: LinkState, **more: Any) -> ConnectionStatus:
    return ConnectionStatus(state, since=100.0, **more)


def test_connection_events_follow_the_session() -> None:
    """Ready sends restored; ready -> disconnected sends lost; auth_failed once until ready again."""
    link, _, _, sent = wired()
    for state in (
        LinkState.CONNECTING, LinkState.READY, LinkState.DISCONNECTED, LinkState.CONNECTING,
        LinkState.AUTH_FAILED, LinkState.CONNECTING, LinkState.AUTH_FAILED, LinkState.READY,
    ):  # fmt: skip
        link.status_changes.publish(status(state, last_error="bad login" if state is LinkState.AUTH_FAILED else None))
    assert [event_type for event_type, _ in sent] == [
        "connection.restored",
        "connection.lost",
        "connection.auth_failed",
        "connection.restored",
    ]
    assert sent[1][1]["connection"]["state"] == "disconnected"


def test_fit_and_robotarget_shots() -> None:
    """NewFITReady is fit.ready; a SHOT of the target the scheduler announced is also robotarget.shot.done."""
    link, robotarget, _, sent = wired()
    robotarget.status = RoboTargetStatus(RoboTargetState.READY, 50.0)
    robotarget.status_changes.publish(robotarget.status)
    running = {"Event": "RoboTargetRunningTargetEphemerisPNG", "TargetUID": "guid-1", "TargetName": "M42"}
    link.events.publish(parse_event({**running, "TargetTAG": "booking_1", "Base64Data": "iVBOR"}, 60.0))
    fit = {"Event": "NewFITReady", "File": "C:\\RT\\M42\\M42_L_0001.fit", "Type": 0, "VoyType": "SHOT"}
    link.events.publish(parse_event({**fit, "SeqTarget": "M42"}, 70.0))
    link.events.publish(parse_event({**fit, "SeqTarget": "M31"}, 80.0))
    types = [event_type for event_type, _ in sent]
    assert types == ["robotarget.status", "robotarget.status", "fit.ready", "robotarget.shot.done", "fit.ready"]
    assert sent[1][1]["runningTarget"] == {"guid": "guid-1", "name": "M42", "tag": "booking_1"}
    assert sent[3][1] == {
        "targetGuid": "guid-1",
        "targetName": "M42",
        "tag": "booking_1",
        "path": "C:\\RT\\M42\\M42_L_0001.fit",
        "fileName": "M42_L_0001.fit",
        "type": 0,
        "typeName": "LIGHT",
    }
    assert "Base64Data" not in str(sent)


def test_previews_become_image_notices_with_a_url_never_the_jpeg() -> None:
    """NewJPGReady turns into image.ready in the image store's notice shape, with the preview's URL."""
    link, _, sources, sent = wired()
    watch_previews(link, sources)
    jpeg = {"Event": "NewJPGReady", "File": "C:\\FIT\\a.fit", "SequenceTarget": "M42", "TimeInfo": 1700000000.5}
    shot = {"Expo": 30, "Filter": "L", "HFD": 2.7, "StarIndex": 6.1, "PixelDimX": 160, "PixelDimY": 100}
    link.events.publish(parse_event({**jpeg, **shot, "Base64Data": "/9j/" + "A" * 400}, 90.0))
    ((event_type, notice),) = sent
    assert event_type == "image.ready"
    assert set(notice) == {
        "id", "url", "thumbUrl", "width", "height", "bytes", "time", "target", "filter", "exposure", "hfd", "starIndex",
    }  # fmt: skip
    assert (notice["url"], notice["width"], notice["target"], notice["time"]) == (PREVIEW_URL, 160, "M42", 1700000000.5)
    assert "AAAA" not in str(notice)
