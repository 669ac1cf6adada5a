"""Previews on the WebSocket: the imageReady notice, inline and binary modes, latest-wins and replay."""

from __future__ import annotations

import json

from twisted.internet.testing import MemoryReactorClock

from tests.support.jpegs import jpeg, preview_event
from tests.support.ws_client import read_binary_frame
from tests.unit.test_push_fields import Dashboard
from tests.unit.test_push_flow import frames, make_factory
from voyager_proxy.images.store import image_id
from voyager_proxy.push.messages import EventMessage
from voyager_proxy.push.previews import binary_frame
from voyager_proxy.voyager import VoyagerLink
from voyager_proxy.voyager.events import parse_event


def say_preview(link: VoyagerLink, seed: int) -> tuple[bytes, dict[str, object]]:
    """Voyager sends a NewJPGReady; return its JPEG and the line's fields."""
    data = jpeg(64, 40, seed)
    fields = preview_event(data)
    link.events.publish(parse_event(fields, 5.0))
    return data, fields


def sent_frames(dashboard: Dashboard) -> list[tuple[int, bytes]]:
    """(opcode, payload) of every frame the dashboard was sent since last asked."""
    data = dashboard._rest + dashboard.transport.value()
    dashboard._rest = b""
    dashboard.transport.clear()
    return frames(data)


def test_binary_frame_header_round_trips() -> None:
    """A 4-byte big-endian header length, the JSON header, the JPEG: read back as they were written."""
    header = {"id": "0123456789abcdef", "seq": 7, "mime": "image/jpeg", "width": 640, "height": 427}
    frame = binary_frame(header, b"\xff\xd8jpeg")
    assert int.from_bytes(frame[:4], "big") == len(json.dumps(header, separators=(",", ":")))
    assert read_binary_frame(frame) == (header, b"\xff\xd8jpeg")


def test_each_mode_gets_its_frame_under_one_seq(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """url: a small imageReady notice; inline: today's newJPG frame byte for byte; binary: the JPEG bytes."""
    factory = make_factory(clock, link)
    url, inline, binary = Dashboard(factory), Dashboard(factory, "?previews=inline"), Dashboard(factory)
    binary.send({"action": "previews", "mode": "binary"})
    for dashboard in (url, inline, binary):
        sent_frames(dashboard)
    data, fields = say_preview(link, 1)
    [(opcode, notice_payload)] = sent_frames(url)
    notice = json.loads(notice_payload)
    identifier = image_id(data)
    assert opcode == 1 and notice["event"] == "imageReady" and len(notice_payload) < 1024
    assert notice["data"]["id"] == identifier and notice["data"]["url"] == f"/api/images/{identifier}.jpg"
    assert notice["data"]["hfd"] == 2.7 and notice["data"]["width"] == 64
    seq = notice["seq"]
    [(opcode, inline_payload)] = sent_frames(inline)
    assert opcode == 1 and inline_payload == EventMessage(
        "newJPG", fields, parse_event(fields, 5.0).parsed, seq
    ).payload("parsed")
    [(opcode, binary_payload)] = sent_frames(binary)
    header, body = read_binary_frame(binary_payload)
    assert opcode == 2 and body == data
    assert header == {"id": identifier, "seq": seq, "mime": "image/jpeg", "width": 64, "height": 40}


def test_paused_client_keeps_only_the_latest_notice(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """While the socket is full, three previews leave one notice owed: the latest."""
    factory = make_factory(clock, link)
    dashboard = Dashboard(factory)
    sent_frames(dashboard)
    dashboard.protocol.pauseProducing()
    last = b""
    for seed in range(3):
        last, _ = say_preview(link, seed)
    assert sent_frames(dashboard) == []
    dashboard.protocol.resumeProducing()
    [(_, payload)] = sent_frames(dashboard)
    assert json.loads(payload)["data"]["id"] == image_id(last)
    dashboard.protocol._cancel_deadline()


def test_notices_are_replayed_on_resume_and_in_initial_state(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """A dashboard resuming from before a preview gets its notice; a new one finds it in initialState.image."""
    factory = make_factory(clock, link)
    since = factory.seq
    data, _ = say_preview(link, 4)
    resumed = Dashboard(factory, f"?since={since}&epoch={factory.epoch}")
    names = [json.loads(payload)["event"] for _, payload in sent_frames(resumed)]
    assert names == ["resumed", "imageReady"]
    fresh = Dashboard(factory)
    [(_, payload)] = sent_frames(fresh)
    assert json.loads(payload)["data"]["image"]["id"] == image_id(data)


def test_previews_action_and_handshake_check_the_mode(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """The previews action answers the mode; a width off images.widths is an error; ?previews= is checked too."""
    factory = make_factory(clock, link)
    dashboard = Dashboard(factory)
    sent_frames(dashboard)
    dashboard.send({"action": "previews", "mode": "binary", "width": 640})
    dashboard.send({"action": "previews", "mode": "binary", "width": 500})
    answers = [json.loads(payload) for _, payload in sent_frames(dashboard)]
    assert answers[0] == {"event": "previews", "data": {"mode": "binary", "width": 640}}
    assert answers[1]["event"] == "error" and "320, 640" in answers[1]["data"]["message"]
    assert dashboard.protocol.preview_width == 640
    assert Dashboard(factory, "?previews=base64").response.startswith(b"HTTP/1.1 400")
