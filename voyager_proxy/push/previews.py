"""
How a dashboard receives previews (pure): the three modes, and the binary frame.

- C{url} (the default): a small C{imageReady} notice; the image is fetched by
  its URL, at the size wanted.
- C{inline}: the C{newJPG} frame with the whole base64 JPEG, as before images
  had URLs.
- C{binary}: one binary frame per image: a 4-byte big-endian length, that many
  bytes of JSON header C{{id, seq, mime, width, height}}, then the JPEG bytes.
"""

from __future__ import annotations

import struct
from typing import Any

from .. import client_json

PREVIEW_MODES = ("url", "inline", "binary")
DEFAULT_PREVIEWS = "url"
NOTICE_TOPIC = "imageReady"  # what url and binary frames are filed under (topics, latest-wins)
INLINE_TOPIC = "newJPG"
PREVIEWS_PROBLEM = "mode must be one of " + ", ".join(PREVIEW_MODES)
_LENGTH = struct.Struct(">I")


def binary_frame(header: dict[str, Any], jpeg: bytes) -> bytes:
    """One binary preview frame: the header's length, the header as JSON, the JPEG."""
    encoded = client_json.dumps(header)  # never NaN or Infinity
    return _LENGTH.pack(len(encoded)) + encoded + jpeg
