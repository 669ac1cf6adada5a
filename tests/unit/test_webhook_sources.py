"""Where webhook events come from: the link's status and events, RoboTarget, the image store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twisted.internet.testing import MemoryReactorClock

from tests.support.jpegs import jpeg, preview_event
from voyager_proxy.config import RoboTargetSettings, VoyagerSettings
from voyager_proxy.images import ImageLibrary, ImageStore
from voyager_proxy.robotarget import RoboTarget, RoboTargetState, RoboTargetStatus
from voyager_proxy.voyager.events import parse_event
from voyager_proxy.voyager.link import VoyagerLink
from voyager_proxy.voyager.status import ConnectionStatus, LinkState
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


def test_images_kept_by_the_store_are_image_ready_with_links_never_the_jpeg() -> None:
    """A preview the image store keeps is image.ready carrying the store's notice: URLs, sizes, shot facts."""
    link, _, sources, sent = wired()
    library = ImageLibrary(link.events, ImageStore(keep=10, max_bytes=10_000_000), widths=(320,))
    library.on_stored(sources.image_ready)
    picture = jpeg(160, 100)
    link.events.publish(parse_event(preview_event(picture), 90.0))
    ((event_type, notice),) = sent
    assert event_type == "image.ready"
    assert set(notice) == {
        "id", "url", "thumbUrl", "width", "height", "bytes", "time", "target", "filter", "exposure", "hfd", "starIndex",
    }  # fmt: skip
    assert notice["url"] == f"/api/images/{notice['id']}.jpg" and notice["thumbUrl"].startswith(notice["url"])
    assert (notice["width"], notice["bytes"], notice["target"]) == (160, len(picture), "M42")
    assert len(str(notice)) < 600  # links and facts: the JPEG stays in the store
