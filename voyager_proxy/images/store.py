"""
The previews kept (pure): each JPEG once, under the id its content gives it.

The id is the first 16 hex digits of the JPEG's SHA-256, so the same bytes
have the same id in every process and after a restart, and a URL naming an id
names those bytes forever (which is what lets browsers cache it for good).
At most C{keep} images within C{max_bytes} (their downscaled copies count
too), the least recently used out first. With a directory, each image is also
written there (C{<id>.jpg} beside C{<id>.json}, its metadata) and the newest
found there are loaded again at start. The writes and removals are jobs given
to a L{Disk}, in order: the daemon's runs them on a thread of their own (see
L{voyager_proxy.images.disk}), so a 2 MB write never holds the reactor.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import attrs
from twisted.logger import Logger

ID_LENGTH = 16
ID_PATTERN = re.compile(rf"[0-9a-f]{{{ID_LENGTH}}}")
IMAGES_PATH = "/api/images"
FORGOTTEN = 1000  # evicted ids remembered, so they answer image_expired rather than unknown


DiskJob = Callable[[], None]  # raises OSError when the disk refuses


class Disk(Protocol):
    """Runs the store's disk jobs one at a time, in the order given; an OSError is its to report."""

    def run(self, job: DiskJob) -> None: ...


class DiskProblems:
    """Failed writes to images.dir: the first is logged, every one counted (C{count} is told too)."""

    _log = Logger()

    def __init__(self, count: Callable[[], object] = lambda: None) -> None:
        self.failures = 0
        self._count = count

    def failed(self, problem: OSError) -> None:
        self.failures += 1
        self._count()
        if self.failures == 1:
            self._log.warn(
                "cannot write previews to images.dir ({problem}); they are still served from memory, "
                "and further failures are only counted (voyager_proxy_image_write_failures)",
                problem=problem,
            )


class InlineDisk:
    """Runs each job at once, in the caller's thread (loading at start, and pure tests)."""

    def __init__(self, problems: DiskProblems | None = None) -> None:
        self.problems = problems or DiskProblems()

    def run(self, job: DiskJob) -> None:
        try:
            job()
        except OSError as problem:
            self.problems.failed(problem)


def image_id(jpeg: bytes) -> str:
    """The content address of C{jpeg}: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(jpeg).hexdigest()[:ID_LENGTH]


def image_url(identifier: str, width: int | None = None) -> str:
    """Where the image is served, relative to the proxy's root."""
    url = f"{IMAGES_PATH}/{identifier}.jpg"
    return url if width is None else f"{url}?w={width}"


@attrs.frozen
class ImageInfo:
    """What is known of one image; C{fits} is set once a C{NewFITReady} names its source file."""

    id: str
    bytes: int
    received_at: float
    time: float | None = None
    target: str | None = None
    filter: str | None = None
    exposure: float | None = None
    binning: int | None = None
    hfd: float | None = None
    star_index: float | None = None
    width: int | None = None
    height: int | None = None
    file: str | None = None  # the FIT the preview was made from, as NewJPGReady names it
    fits: str | None = None  # that path once NewFITReady announced it saved

    def as_dict(self, thumb_width: int | None = None) -> dict[str, Any]:
        """The JSON metadata, with the image's C{url} and C{thumbUrl}."""
        return {
            "id": self.id,
            "url": image_url(self.id),
            "thumbUrl": image_url(self.id, thumb_width),
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "time": self.time,
            "receivedAt": self.received_at,
            "target": self.target,
            "filter": self.filter,
            "exposure": self.exposure,
            "binning": self.binning,
            "hfd": self.hfd,
            "starIndex": self.star_index,
            "file": self.file,
            "fitsPath": self.fits,
        }

    def notice(self, thumb_width: int | None = None) -> dict[str, Any]:
        """The small announcement of a new image (WebSocket C{imageReady}, webhooks)."""
        full = self.as_dict(thumb_width)
        return {name: full[name] for name in NOTICE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageInfo:
        """The inverse of L{as_dict} (the metadata file)."""
        return cls(
            id=str(data["id"]),
            bytes=int(data["bytes"]),
            received_at=float(data["receivedAt"]),
            time=data.get("time"),
            target=data.get("target"),
            filter=data.get("filter"),
            exposure=data.get("exposure"),
            binning=data.get("binning"),
            hfd=data.get("hfd"),
            star_index=data.get("starIndex"),
            width=data.get("width"),
            height=data.get("height"),
            file=data.get("file"),
            fits=data.get("fitsPath"),
        )


NOTICE_FIELDS = (
    "id",
    "url",
    "thumbUrl",
    "width",
    "height",
    "bytes",
    "time",
    "target",
    "filter",
    "exposure",
    "hfd",
    "starIndex",
)


@attrs.define(eq=False)
class StoredImage:
    """One kept image: its metadata, its bytes, and the downscaled copies made so far (by width)."""

    info: ImageInfo
    jpeg: bytes = attrs.field(repr=False)
    order: int  # when it was stored: the newest has the highest
    variants: dict[int, bytes] = attrs.field(factory=dict, repr=False)

    @property
    def size(self) -> int:
        """The bytes it takes: the original and every copy."""
        return len(self.jpeg) + sum(len(copy) for copy in self.variants.values())

    @property
    def etag(self) -> str:
        return f'"{self.info.id}"'


class ImageStore:
    """Images by id, least recently used first; C{directory} keeps them across restarts."""

    _log = Logger()

    def __init__(self, keep: int, max_bytes: int, directory: Path | None = None, disk: Disk | None = None) -> None:
        self.keep = keep
        self.max_bytes = max_bytes
        self._directory = directory
        self._disk: Disk = InlineDisk()  # while loading; then the one given
        self._images: OrderedDict[str, StoredImage] = OrderedDict()  # least recently used first
        self._forgotten: deque[str] = deque(maxlen=FORGOTTEN)
        self._bytes = 0
        self._order = 0
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._load(directory)
        if disk is not None:
            self._disk = disk

    def __len__(self) -> int:
        return len(self._images)

    @property
    def total_bytes(self) -> int:
        """What the kept images and their copies take."""
        return self._bytes

    def add(self, info: ImageInfo, jpeg: bytes) -> StoredImage | None:
        """
        Keep C{jpeg} (C{info.id} must be its id), evicting what the caps
        require; None when it alone is over C{max_bytes}. The same bytes
        stored again keep their copies and take the newer metadata.
        """
        if len(jpeg) > self.max_bytes:
            self._log.warn("preview {id} not kept: {size} bytes is over images.max_bytes", id=info.id, size=len(jpeg))
            return None
        self._order += 1
        known = self._images.pop(info.id, None)
        if known is not None:
            self._bytes -= known.size
            image = StoredImage(
                attrs.evolve(info, fits=info.fits or known.info.fits), jpeg, self._order, known.variants
            )
        else:
            image = StoredImage(info, jpeg, self._order)
        self._images[info.id] = image
        self._bytes += image.size
        if info.id in self._forgotten:
            self._forgotten.remove(info.id)
        self._write(image)
        self._evict(keeping=info.id)
        return image

    def get(self, identifier: str) -> StoredImage | None:
        """The image, now the most recently used; None when not kept."""
        image = self._images.get(identifier)
        if image is not None:
            self._images.move_to_end(identifier)
        return image

    def expired(self, identifier: str) -> bool:
        """Whether C{identifier} was kept once and has been evicted since."""
        return identifier in self._forgotten

    def latest(self) -> StoredImage | None:
        """The image stored last."""
        return max(self._images.values(), key=lambda image: image.order, default=None)

    def newest(self, limit: int) -> list[StoredImage]:
        """Up to C{limit} images, the last stored first."""
        return sorted(self._images.values(), key=lambda image: image.order, reverse=True)[:limit]

    def keep_variant(self, identifier: str, width: int, jpeg: bytes) -> bool:
        """Cache a downscaled copy within the byte cap (other images may go); False when not cached."""
        image = self._images.get(identifier)
        if image is None or width in image.variants:
            return False
        if image.size + len(jpeg) > self.max_bytes:
            return False
        image.variants[width] = jpeg
        self._bytes += len(jpeg)
        self._evict(keeping=identifier)
        return True

    def name_fits(self, path: str) -> StoredImage | None:
        """Voyager saved the FIT at C{path}: record it on the newest image made from it."""
        for image in self.newest(len(self._images)):
            if image.info.file == path:
                image.info = attrs.evolve(image.info, fits=path)
                self._write_info(image)
                return image
        return None

    def _evict(self, keeping: str) -> None:
        while len(self._images) > self.keep or self._bytes > self.max_bytes:
            victim = next(identifier for identifier in self._images if identifier != keeping)
            image = self._images.pop(victim)
            self._bytes -= image.size
            self._forgotten.append(victim)
            self._unlink(victim)

    # The directory: written as images arrive, read once at start.

    def _paths(self, identifier: str) -> tuple[Path, Path]:
        assert self._directory is not None
        return self._directory / f"{identifier}.jpg", self._directory / f"{identifier}.json"

    def _write(self, image: StoredImage) -> None:
        if self._directory is None:
            return
        jpeg_path, _ = self._paths(image.info.id)
        jpeg = image.jpeg

        def write() -> None:
            if not jpeg_path.exists():
                _replace(jpeg_path, jpeg)

        self._disk.run(write)
        self._write_info(image)

    def _write_info(self, image: StoredImage) -> None:
        if self._directory is None:
            return
        _, info_path = self._paths(image.info.id)
        content = json.dumps({**image.info.as_dict(), "order": image.order}).encode("utf-8")
        self._disk.run(lambda: _replace(info_path, content))

    def _unlink(self, identifier: str) -> None:
        if self._directory is None:
            return
        paths = self._paths(identifier)

        def unlink() -> None:
            for path in paths:
                path.unlink(missing_ok=True)

        self._disk.run(unlink)

    def _load(self, directory: Path) -> None:
        """
        Load the images of C{directory}, oldest first, so the caps keep the
        newest. A C{.json} whose id is not its own file name's (16 lowercase
        hex digits, so no path leaves the directory) is skipped and removed
        alone; an image whose bytes are missing or hash to another id is dropped;
        a C{.partial} file (a write a crash cut short) is removed.
        """
        for leftover in directory.glob("*.partial"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        found: list[tuple[int, ImageInfo]] = []
        for info_path in directory.glob("*.json"):
            try:
                data = json.loads(info_path.read_bytes())
                info = ImageInfo.from_dict(data)
                if not (ID_PATTERN.fullmatch(info.id) and info_path.stem == info.id):
                    raise ValueError(f"its id {info.id!r} is not its file name's")
                found.append((int(data.get("order", 0)), info))
            except (OSError, ValueError, KeyError, TypeError) as problem:
                self._log.warn("skipping {path}: {problem}", path=str(info_path), problem=problem)
                with contextlib.suppress(OSError):
                    info_path.unlink(missing_ok=True)
        for _, info in sorted(found, key=lambda entry: entry[0]):
            jpeg_path, _ = self._paths(info.id)
            try:
                jpeg = jpeg_path.read_bytes()
            except OSError:
                jpeg = b""
            if image_id(jpeg) == info.id:
                self.add(info, jpeg)
            else:
                self._log.warn("dropping preview {id}: its JPEG is missing or not its bytes", id=info.id)
                self._unlink(info.id)


def _replace(path: Path, content: bytes) -> None:
    """Write C{content} to C{path} whole or not at all (a crash leaves the older file or none)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)
