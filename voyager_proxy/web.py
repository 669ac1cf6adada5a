"""The HTTP root served on the API port."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime
from twisted.web.resource import IResource

from .auth import KeyRing
from .config import ApiSettings
from .rest import RestApi
from .voyager import VoyagerLink


def build_root(link: VoyagerLink, clock: IReactorTime, settings: ApiSettings, keys: KeyRing) -> IResource:
    """The resource tree: /health, /api (the WebSocket mounts here too)."""
    return RestApi(link, clock, settings, keys).app.resource()
