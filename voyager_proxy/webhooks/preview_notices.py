"""
image.ready from the link's NewJPGReady previews, in the image store's notice
shape (id, url, thumbUrl, width, height, bytes, time, target, filter,
exposure, hfd, starIndex). The URL is the latest preview's route: until an
image store keeps each image, it shows the newest one only.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..voyager import VoyagerEvent, VoyagerLink
from .sources import EventSources

PREVIEW_URL = "/api/camera/preview"


def preview_notice(event: VoyagerEvent) -> dict[str, Any]:
    """The image notice of one NewJPGReady: links and facts, never the JPEG."""
    parsed = event.parsed or {}
    data = event.fields.get("Base64Data")
    digest = hashlib.sha256(data.encode("ascii", "replace") if isinstance(data, str) else b"").hexdigest()
    return {
        "id": digest[:16],
        "url": PREVIEW_URL,
        "thumbUrl": None,
        "width": parsed.get("width"),
        "height": parsed.get("height"),
        "bytes": parsed.get("imageSize"),
        "time": parsed.get("time") or event.received_at,
        "target": parsed.get("target") or None,
        "filter": parsed.get("filter"),
        "exposure": parsed.get("exposure"),
        "hfd": parsed.get("hfd"),
        "starIndex": parsed.get("starIndex"),
    }


def watch_previews(link: VoyagerLink, sources: EventSources) -> None:
    """Send image.ready for every preview the link receives."""

    def heard(event: VoyagerEvent) -> None:
        if event.name == "NewJPGReady":
            sources.image_ready(preview_notice(event))

    link.events.subscribe(heard)
