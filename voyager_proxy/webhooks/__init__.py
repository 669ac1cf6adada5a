"""Webhooks to Laravel, as the Standard Webhooks specification describes: signed, durable, retried.

The names load on first use, so the pure modules (C{signing}, C{schedule},
C{catalogue}, C{store}) import alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:
    from .service import Webhooks
    from .setup import build_webhooks, database_path
    from .sources import EventSources

_EXPORTS = {
    "Webhooks": "service",
    "build_webhooks": "setup",
    "database_path": "setup",
    "EventSources": "sources",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
