"""The image store: content ids, eviction by count and by bytes, the directory kept across restarts."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from PIL import Image

from tests.support.jpegs import jpeg, preview_event
from voyager_proxy.images.library import ImageLibrary
from voyager_proxy.images.resize import downscale
from voyager_proxy.images.store import ImageInfo, ImageStore, image_id, image_url
from voyager_proxy.voyager.bus import EventBus
from voyager_proxy.voyager.events import VoyagerEvent, parse_event


def info_of(data: bytes, received_at: float = 1.0, file: str | None = None) -> ImageInfo:
    return ImageInfo(id=image_id(data), bytes=len(data), received_at=received_at, file=file)


def test_ids_are_the_first_16_hex_digits_of_the_sha256() -> None:
    """The same bytes give the same id (in any process); different bytes a different one."""
    data = jpeg(seed=1)
    assert image_id(data) == hashlib.sha256(data).hexdigest()[:16]
    assert image_id(bytes(data)) == image_id(data) and image_id(jpeg(seed=2)) != image_id(data)
    assert image_url("0123456789abcdef", 640) == "/api/images/0123456789abcdef.jpg?w=640"


def test_count_cap_evicts_the_least_recently_used() -> None:
    """With keep=2, a third image evicts the one used least recently, which then reads as expired."""
    store = ImageStore(keep=2, max_bytes=10_000_000)
    first, second, third = (jpeg(seed=n) for n in range(3))
    for data in (first, second):
        store.add(info_of(data), data)
    assert store.get(image_id(first)) is not None  # first is now the most recently used
    store.add(info_of(third), third)
    assert len(store) == 2 and store.get(image_id(second)) is None and store.expired(image_id(second))
    assert not store.expired(image_id(first)) and not store.expired("0123456789abcdef")
    assert [image.info.id for image in store.newest(5)] == [image_id(third), image_id(first)]
    assert store.latest() is not None and store.latest() is store.get(image_id(third))


def test_byte_cap_counts_originals_and_copies() -> None:
    """Images and their cached copies stay within max_bytes: a copy evicts older images; one alone too big is refused."""
    sizes = [jpeg(120, 80, seed=n) for n in range(3)]
    cap = sum(len(data) for data in sizes[:2]) + 10
    store = ImageStore(keep=10, max_bytes=cap)
    for data in sizes[:2]:
        store.add(info_of(data), data)
    assert len(store) == 2 and store.total_bytes <= cap
    copy = b"x" * 20
    assert store.keep_variant(image_id(sizes[1]), 60, copy)
    assert store.get(image_id(sizes[0])) is None and store.expired(image_id(sizes[0]))
    assert store.total_bytes == len(sizes[1]) + len(copy) <= cap
    assert not store.keep_variant(image_id(sizes[1]), 30, b"y" * cap)  # would be over the cap with its image
    huge = jpeg(400, 300, seed=9)
    small_store = ImageStore(keep=10, max_bytes=len(huge) - 1)
    assert small_store.add(info_of(huge), huge) is None and len(small_store) == 0


def test_same_bytes_again_are_one_image_with_the_newer_metadata() -> None:
    """Storing identical bytes twice keeps one entry (and its copies) under the same id."""
    data = jpeg(seed=4)
    store = ImageStore(keep=5, max_bytes=1_000_000)
    store.add(info_of(data, received_at=1.0), data)
    store.keep_variant(image_id(data), 32, b"copy")
    again = store.add(info_of(data, received_at=2.0), data)
    assert again is not None and len(store) == 1 and again.info.received_at == 2.0 and again.variants == {32: b"copy"}
    assert store.total_bytes == len(data) + 4


def test_directory_survives_a_restart_within_the_caps(tmp_path: Path) -> None:
    """A new store on the same directory serves the newest images kept; evicted ones and half-written ones leave no file."""
    images = [jpeg(seed=n) for n in range(4)]
    store = ImageStore(keep=3, max_bytes=1_000_000, directory=tmp_path)
    for n, data in enumerate(images):
        store.add(info_of(data, received_at=float(n), file=f"C:\\{n}.fit"), data)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{image_id(data)}.{suffix}" for data in images[1:] for suffix in ("jpg", "json")
    )
    store.name_fits("C:\\3.fit")
    (tmp_path / "0000000000000000.json").write_text("not json")
    (tmp_path / f"{image_id(images[0])}.jpg.partial").write_bytes(images[0][:100])  # a write cut short by a crash
    again = ImageStore(keep=2, max_bytes=1_000_000, directory=tmp_path)
    assert not list(tmp_path.glob("*.partial"))
    assert [image.info.id for image in again.newest(5)] == [image_id(images[3]), image_id(images[2])]
    latest = again.latest()
    assert latest is not None and latest.jpeg == images[3] and latest.info.fits == "C:\\3.fit"
    assert not (tmp_path / f"{image_id(images[1])}.jpg").exists()


def test_library_keeps_each_preview_with_its_metadata_and_tells_listeners() -> None:
    """NewFITReady then NewJPGReady: the notice has the id, URLs and the shot's fields; the FITS path is recorded."""
    events: EventBus[VoyagerEvent] = EventBus()
    library = ImageLibrary(events, ImageStore(keep=5, max_bytes=1_000_000), widths=(640, 320))
    notices: list[dict[str, object]] = []
    library.on_stored(notices.append)
    data = jpeg(80, 50, seed=5)
    fits = {"Event": "NewFITReady", "Timestamp": 1, "Host": "OBS1", "Inst": 1, "Type": 0}
    events.publish(parse_event({**fits, "File": "C:\\Voyager\\FIT\\M42_LIGHT_001.fit"}, 10.0))
    events.publish(parse_event(preview_event(data), 11.0))
    events.publish(parse_event(preview_event(data, Base64Data="not base64!"), 12.0))
    [notice] = notices
    identifier = image_id(data)
    assert notice == {
        "id": identifier,
        "url": f"/api/images/{identifier}.jpg",
        "thumbUrl": f"/api/images/{identifier}.jpg?w=320",
        "width": 80,
        "height": 50,
        "bytes": len(data),
        "time": 1795484600.4,
        "target": "M42",
        "filter": "L",
        "exposure": 30,
        "hfd": 2.7,
        "starIndex": 6.1,
    }
    image = library.store.get(identifier)
    assert image is not None and image.jpeg == data and image.info.fits == "C:\\Voyager\\FIT\\M42_LIGHT_001.fit"
    assert library.metadata(image)["binning"] == 1 and len(library.store) == 1


def test_downscale_keeps_the_aspect_ratio_and_never_enlarges() -> None:
    """A 400x300 JPEG at 100 wide is 100x75; asked wider than it is, the bytes come back unchanged."""
    data = jpeg(400, 300, seed=6)
    with Image.open(io.BytesIO(downscale(data, 100))) as small:
        assert small.format == "JPEG" and small.size == (100, 75)
    assert downscale(data, 640) is data


def test_loading_follows_no_id_out_of_the_directory(tmp_path: Path) -> None:
    """
    A .json naming C{../victim} (or any id not its own file name's) is
    skipped and removed alone: the file outside images.dir is untouched, and
    a JSON naming real bytes under another name loads nothing.
    """
    directory = tmp_path / "images"
    directory.mkdir()
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"x")
    (directory / "x.json").write_text('{"id": "../victim", "bytes": 1, "receivedAt": 0}')
    data = jpeg(32, 20, 3)
    real = image_id(data)
    (directory / f"{real}.jpg").write_bytes(data)
    (directory / "0123456789abcdef.json").write_text(json.dumps({"id": real, "bytes": len(data), "receivedAt": 0}))
    store = ImageStore(5, 10**6, directory)
    assert victim.read_bytes() == b"x"
    assert store.latest() is None
    assert sorted(path.name for path in directory.iterdir()) == [f"{real}.jpg"]
