"""Previews over real loopback: a simulator shot kept, served by URL and downscaled; the resizing pool's bounds."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
import pytest_twisted  # type: ignore[import-untyped]  # pytest-twisted ships no py.typed or stubs
import treq
from PIL import Image
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.task import deferLater
from twisted.logger import ILogObserver, LogEvent, LogLevel, formatEvent, globalLogPublisher
from twisted.web.iweb import IRequest
from twisted.web.server import Site
from twisted.web.test.requesthelper import DummyRequest

from tests.integration.conftest import RunningSimulator, make_link
from tests.support.jpegs import jpeg, preview_event
from tests.support.loopback import listen_locally, stop_listening
from tests.support.waiting import EventRecorder, ready
from tests.support.ws_client import connect, read_binary_frame
from voyager_proxy.auth import ApiKey, KeyRing, parse_keys
from voyager_proxy.config import ApiSettings
from voyager_proxy.images.api import ImageApi
from voyager_proxy.images.disk import ThreadedDisk
from voyager_proxy.images.library import ImageLibrary, describe
from voyager_proxy.images.resize import Downscaler, ResizePool, Saturated
from voyager_proxy.images.store import DiskProblems, ImageStore, image_id
from voyager_proxy.origins import Hosts
from voyager_proxy.ratelimit import FailedAuthentications
from voyager_proxy.rest.envelope import ApiError
from voyager_proxy.rest.guard import Guard
from voyager_proxy.rest.routes import route
from voyager_proxy.tokens import TokenIssuer
from voyager_proxy.voyager.bus import EventBus
from voyager_proxy.voyager.events import parse_event
from voyager_proxy.web import build_front

CONTROL = "images-control-key-0123456789"
HEADERS: dict[bytes | str, bytes | str] = {"X-API-Key": CONTROL}


@pytest_twisted.async_yield_fixture
async def proxy(simulator: RunningSimulator) -> AsyncIterator[tuple[str, EventRecorder]]:
    link = make_link(simulator)
    api = ApiSettings(keys=(f"laravel:control:{CONTROL}",))
    port, number = await listen_locally(Site(build_front(link, reactor, api, KeyRing(parse_keys(api.keys))).root))
    link.startService()
    await ready(link)
    events = EventRecorder(link)
    yield f"http://127.0.0.1:{number}", events
    events.stop()
    await link.stopService()
    await stop_listening(port)


@pytest_twisted.ensureDeferred
async def test_a_shot_is_kept_and_served_by_url_and_downscaled(proxy: tuple[str, EventRecorder]) -> None:
    """After a shot, /latest leads to exactly the decoded bytes (with Content-Length); ?w= keeps the aspect ratio."""
    base, events = proxy
    previewed = events.next("NewJPGReady")
    answer = await treq.post(f"{base}/api/camera/shot", json={"exposure": 0.2}, headers=HEADERS)
    assert answer.code == 200
    preview = await previewed
    sent = base64.b64decode(preview.fields["Base64Data"])
    latest = await treq.get(f"{base}/api/images/latest", headers=HEADERS, allow_redirects=False)
    assert latest.code == 307
    [location] = latest.headers.getRawHeaders("Location")
    assert location == f"/api/images/{image_id(sent)}.jpg"
    original = await treq.get(base + location, headers=HEADERS)
    assert original.code == 200 and await original.content() == sent
    assert original.length == len(sent)  # Twisted's client takes Content-Length out of the headers
    small = await treq.get(f"{base}{location}?w=640", headers=HEADERS)
    assert small.code == 200
    with Image.open(io.BytesIO(await small.content())) as image, Image.open(io.BytesIO(sent)) as full:
        assert image.format == "JPEG" and image.width == 640 and full.width > 640
        assert abs(image.height - full.height * 640 / full.width) <= 1


@pytest_twisted.ensureDeferred
async def test_a_preview_that_is_not_a_jpeg_is_kept_but_not_downscaled(
    simulator: RunningSimulator, proxy: tuple[str, EventRecorder]
) -> None:
    """Bytes Pillow cannot decode: the original is served, ?w= answers 422 undecodable_image (not a 500)."""
    base, events = proxy
    sim = simulator.simulator
    data = b"not a jpeg at all"
    previewed = events.next("NewJPGReady")
    sim.broadcast(sim.event("NewJPGReady", File="x.fit", Base64Data=base64.b64encode(data).decode()))
    await previewed
    path = f"{base}/api/images/{image_id(data)}.jpg"
    assert await (await treq.get(path, headers=HEADERS)).content() == data
    answer = await treq.get(f"{path}?w=320", headers=HEADERS)
    assert answer.code == 422 and (await answer.json())["error"]["code"] == "undecodable_image"


@pytest_twisted.ensureDeferred
async def test_each_preview_mode_over_a_real_websocket(proxy: tuple[str, EventRecorder]) -> None:
    """A shot: url clients get imageReady whose URL serves the decoded bytes; inline newJPG; binary the bytes."""
    base, events = proxy
    ws = base.replace("http://", "ws://") + "/ws"
    url = await connect(ws, {"X-API-Key": CONTROL})
    inline = await connect(ws + "?previews=inline", {"X-API-Key": CONTROL})
    binary = await connect(ws, {"X-API-Key": CONTROL})
    small = await connect(ws, {"X-API-Key": CONTROL})
    binary.send({"action": "previews", "mode": "binary"})
    small.send({"action": "previews", "mode": "binary", "width": 320})
    assert (await binary.next_event("previews"))["data"] == {"mode": "binary", "width": None}
    await small.next_event("previews")
    previewed = events.next("NewJPGReady")
    answer = await treq.post(f"{base}/api/camera/shot", json={"exposure": 0.2}, headers=HEADERS)
    assert answer.code == 200
    sent = base64.b64decode((await previewed).fields["Base64Data"])
    notice = await url.next_event("imageReady")
    fetched = await treq.get(base + notice["data"]["url"], headers=HEADERS)
    assert await fetched.content() == sent and notice["data"]["bytes"] == len(sent)
    assert (await inline.next_event("newJPG"))["data"]["Base64Data"] == base64.b64encode(sent).decode()
    header, body = read_binary_frame(await binary.next_binary())
    assert body == sent and header["id"] == notice["data"]["id"] and header["seq"] == notice["seq"]
    header, body = read_binary_frame(await small.next_binary())
    with Image.open(io.BytesIO(body)) as image:
        assert header["width"] == image.width == 320 and header["height"] == image.height
    for client in (url, inline, binary, small):
        client.sendClose()
        await client.closed


@pytest_twisted.ensureDeferred
async def test_saturated_resizing_answers_503_with_retry_after() -> None:
    """With the one resizing thread busy and no queue, ?w= is refused at once: 503 busy, Retry-After."""
    pool = ResizePool(cast(IReactorFromThreads, reactor), threads=1, queue=0)
    release = threading.Event()
    try:
        busy = pool.run(release.wait, 10)
        library = ImageLibrary(EventBus(), ImageStore(keep=5, max_bytes=10_000_000), widths=(320,))
        data = jpeg(640, 400, seed=1)
        image = library.store.add(describe(parse_event(preview_event(data), 1.0), data), data)
        assert image is not None
        api = ImageApi(
            library,
            Downscaler(library.store, pool),
            Guard(
                reactor,
                ApiSettings(),
                KeyRing(()),
                Hosts.of((), "127.0.0.1"),
                FailedAuthentications(reactor, 1, 10),
                TokenIssuer("s" * 32),
            ),
            refuse,
        )
        request = DummyRequest([b""])
        request.args = {b"w": [b"320"]}
        with pytest.raises(ApiError) as refused:
            api.jpeg(cast(IRequest, request), route("GET", "/api/images/<image>.jpg"), image.info.id)
        assert (refused.value.status, refused.value.code) == (503, "busy")
        assert refused.value.headers == {"Retry-After": "1"}
        release.set()
        assert await busy is True
    finally:
        release.set()
        pool.stop()


def refuse(token: str, request: IRequest) -> ApiKey:
    raise AssertionError("no token is presented here")


@pytest_twisted.ensureDeferred
async def test_resize_pool_refuses_work_beyond_its_threads_and_queue() -> None:
    """One thread and one queued job: a third job is refused at once; once they finish, work is taken again."""
    pool = ResizePool(cast(IReactorFromThreads, reactor), threads=1, queue=1)
    release = threading.Event()
    try:
        running = [pool.run(release.wait, 10), pool.run(release.wait, 10)]
        with pytest.raises(Saturated):
            pool.run(release.wait, 10)
        release.set()
        assert [await job for job in running] == [True, True]
        assert await pool.run(sum, (1, 2)) == 3
    finally:
        release.set()
        pool.stop()


def _flushed(disk: ThreadedDisk) -> Deferred[None]:
    """Fires on the reactor once every job given to C{disk} so far has run (its one thread keeps their order)."""
    done: Deferred[None] = Deferred()
    disk.run(lambda: cast(IReactorFromThreads, reactor).callFromThread(done.callback, None))
    return done


@pytest_twisted.ensureDeferred
async def test_previews_are_written_on_the_disk_thread_in_order(tmp_path: Path) -> None:
    """While the writer thread is busy, storing returns at once and serves from memory; the files follow, in order."""
    disk = ThreadedDisk(cast(IReactorFromThreads, reactor), DiskProblems())
    release = threading.Event()
    disk.run(lambda: (release.wait(10), None)[1])  # the writer thread is busy
    try:
        store = ImageStore(keep=2, max_bytes=10_000_000, directory=tmp_path, disk=disk)
        kept = []
        for seed in (1, 2, 3):
            data = jpeg(64, 40, seed)
            image = store.add(describe(parse_event(preview_event(data), float(seed)), data), data)
            assert image is not None and store.get(image.info.id) is image
            kept.append(image.info.id)
        assert list(tmp_path.iterdir()) == []  # nothing written by the reactor thread
        release.set()
        await _flushed(disk)
        # The first was written, then removed when the third evicted it: the jobs ran in the order given.
        assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
            f"{identifier}.{suffix}" for identifier in kept[1:] for suffix in ("jpg", "json")
        )
        assert [image.info.id for image in ImageStore(keep=2, max_bytes=10_000_000, directory=tmp_path).newest(2)] == [
            kept[2],
            kept[1],
        ]
    finally:
        release.set()
        disk.stop()


@pytest_twisted.ensureDeferred
async def test_a_failing_images_dir_is_logged_once_counted_and_previews_still_served(tmp_path: Path) -> None:
    """With images.dir gone, each failed write is counted and the first only is logged; the images stay in memory."""
    counted: list[None] = []
    problems = DiskProblems(lambda: counted.append(None))
    disk = ThreadedDisk(cast(IReactorFromThreads, reactor), problems)
    warnings: list[str] = []

    def observe(event: LogEvent) -> None:
        if event.get("log_level") == LogLevel.warn:
            warnings.append(formatEvent(event))

    globalLogPublisher.addObserver(cast(ILogObserver, observe))
    try:
        directory = tmp_path / "images"
        store = ImageStore(keep=5, max_bytes=10_000_000, directory=directory, disk=disk)
        directory.rmdir()  # the disk went away under the daemon
        previews = [jpeg(64, 40, seed) for seed in (4, 5, 6)]
        for data in previews:
            assert store.add(describe(parse_event(preview_event(data), 1.0), data), data) is not None
        await _flushed(disk)
        await deferLater(reactor, 0, lambda: None)  # the failures reported from the thread have been handled
        assert problems.failures == len(counted) == 2 * len(previews)  # each JPEG and each metadata file
        assert len([text for text in warnings if "images.dir" in text]) == 1
        assert [image.jpeg for image in reversed(store.newest(3))] == previews
    finally:
        globalLogPublisher.removeObserver(cast(ILogObserver, observe))
        disk.stop()
