"""Small real JPEGs for the image tests, each different by its seed."""

from __future__ import annotations

import base64
import io
import random
from typing import Any

from PIL import Image


def jpeg(width: int = 64, height: int = 40, seed: int = 0) -> bytes:
    """A noisy grey JPEG of C{width} x C{height}; different seeds give different bytes."""
    rng = random.Random(seed)
    image = Image.frombytes("L", (width, height), bytes(rng.randrange(256) for _ in range(width * height)))
    output = io.BytesIO()
    image.save(output, "JPEG", quality=90)
    return output.getvalue()


def preview_event(data: bytes, **fields: Any) -> dict[str, Any]:
    """A NewJPGReady line carrying C{data}, as Voyager sends it (fields override the defaults)."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return {
        "Event": "NewJPGReady",
        "Timestamp": 1795484600.5,
        "Host": "OBS1",
        "Inst": 1,
        "File": "C:\\Voyager\\FIT\\M42_LIGHT_001.fit",
        "SequenceTarget": "M42",
        "TimeInfo": 1795484600.4,
        "Expo": 30,
        "Bin": 1,
        "Filter": "L",
        "HFD": 2.7,
        "StarIndex": 6.1,
        "PixelDimX": width,
        "PixelDimY": height,
        "Base64Data": base64.b64encode(data).decode("ascii"),
        **fields,
    }
