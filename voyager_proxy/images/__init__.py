"""The previews: kept once under their content's id, served by URL, announced by a small notice.

The names load on first use, so C{store} and C{library} import without Twisted's reactor or Pillow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .api import ImageApi
    from .library import ImageLibrary, Preview
    from .resize import Downscaler, ResizePool, Saturated
    from .store import ImageInfo, ImageStore, StoredImage

_EXPORTS = {
    "ImageApi": "api",
    "ImageLibrary": "library",
    "Preview": "library",
    "Downscaler": "resize",
    "ResizePool": "resize",
    "Saturated": "resize",
    "ImageInfo": "store",
    "ImageStore": "store",
    "StoredImage": "store",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
