"""The access log's line: Twisted's combined format, with the secrets a URL can carry masked."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import unquote_plus

from twisted.web.http import combinedLogFormatter
from twisted.web.iweb import IRequest

SECRET_PARAMETERS = frozenset({"api_key", "token"})
SECRET = b"<SECRET>"


def masked_uri(uri: bytes) -> bytes:
    """
    C{uri} fit for a log: the value of every query parameter whose name, once
    percent-decoded, is C{api_key} or C{token} replaced by C{<SECRET>}, and any
    fragment too.
    """
    target, hashed, _ = uri.partition(b"#")
    path, queried, query = target.partition(b"?")
    pairs = []
    for pair in query.split(b"&") if queried else ():
        name, equals, _ = pair.partition(b"=")
        if equals and unquote_plus(name.decode("latin-1")).strip() in SECRET_PARAMETERS:
            pair = name + b"=" + SECRET
        pairs.append(pair)
    return path + (b"?" + b"&".join(pairs) if queried else b"") + (b"#" + SECRET if hashed else b"")


class _Logged:
    """A request as the access log sees it: its URI and Referer masked (L{masked_uri})."""

    def __init__(self, request: IRequest) -> None:
        self._request = request
        self.uri = masked_uri(request.uri)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    def getHeader(self, name: bytes) -> bytes | None:
        value = cast(bytes | None, self._request.getHeader(name))
        return masked_uri(value) if value and name.lower() == b"referer" else value


def access_log_line(timestamp: str, request: IRequest) -> str:
    """The combined log format, secrets in the query string and Referer masked."""
    return cast(str, combinedLogFormatter(timestamp, _Logged(request)))
