"""
The console's files, read once from the package (pure).

Every file but C{index.html} is served under C{/console/<version>/}, where
the version is a hash of all the files' names and contents: a browser may
keep them for good, and any change gives every one of them a new address.
C{index.html} names that folder through C{{{bundle}}} and is never cached.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Mapping

import attrs

PLACEHOLDER = b"{{bundle}}"
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json; charset=utf-8",
}


@attrs.frozen
class Asset:
    """One file and its media type."""

    body: bytes = attrs.field(repr=False)
    media: str


def media_of(name: str) -> str:
    """The media type of a console file, from its extension."""
    return MEDIA[name[name.rfind(".") :]]


@attrs.frozen
class Bundle:
    """C{index.html}, with the versioned folder written in, and every other file by name."""

    version: str
    index: bytes = attrs.field(repr=False)
    files: Mapping[str, Asset] = attrs.field(repr=False)

    @property
    def folder(self) -> str:
        """Where the versioned files are served: C{/console/<version>}."""
        return f"/console/{self.version}"

    @classmethod
    def from_files(cls, contents: Mapping[str, bytes]) -> Bundle:
        """The bundle of C{contents} (file name to bytes), C{index.html} among them."""
        digest = hashlib.sha256()
        for name in sorted(contents):
            digest.update(name.encode() + b"\0" + hashlib.sha256(contents[name]).digest())
        version = digest.hexdigest()[:16]
        index = contents["index.html"].replace(PLACEHOLDER, f"/console/{version}".encode())
        files = {name: Asset(body, media_of(name)) for name, body in contents.items() if name != "index.html"}
        return cls(version, index, files)

    @classmethod
    def shipped(cls) -> Bundle:
        """The files shipped in this package's C{static} folder."""
        folder = importlib.resources.files(__package__).joinpath("static")
        return cls.from_files({entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()})
