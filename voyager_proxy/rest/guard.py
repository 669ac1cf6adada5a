"""
The request guard both Klein apps share: key lookup, role, method list, CORS,
rate limits and the JSON body; and the error handlers answering our envelope.
"""

from __future__ import annotations

from typing import Any, cast

from klein import Klein
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import HTTPException

from .. import client_json
from ..auth import ApiKey, KeyRing
from ..config import ApiSettings
from ..keys import TOO_MANY_FAILURES, KeyLookup, KeyRefused, look_up, may_send, presented_key, query_values
from ..origins import Hosts, origin_allowed
from ..ratelimit import FailedAuthentications, RateLimiter
from ..tokens import TokenIssuer, bearer
from ..voyager import VoyagerError
from . import validation as check
from .envelope import ApiError, from_failure, invalid, write_json
from .routes import Role, Route

JSON_MEDIA = "application/json"
CORS_ALLOWED_HEADERS = "Authorization, Content-Type, X-API-Key, Idempotency-Key, If-None-Match"
SAFE_METHODS = frozenset({b"GET", b"HEAD", b"OPTIONS"})  # what a page may cause without changing anything
BODY_METHODS = frozenset({b"POST", b"PUT"})
SINGLE_HEADERS = (b"Host", b"Origin")  # a second value must not slip past the screen, which reads the first


def _refused(status: int, message: str, wait: float) -> ApiError:
    if status == 429:
        return ApiError(status, "rate_limited", message, headers={"Retry-After": RateLimiter.retry_after(wait)})
    return ApiError(status, "unauthorized" if status == 401 else "forbidden", message)


def header_text(request: IRequest, name: str) -> str | None:
    """The first value of header C{name} as text; 400 when it is not UTF-8 (never a traceback)."""
    values: list[bytes] | None = request.requestHeaders.getRawHeaders(name.encode("ascii"))
    if not values:
        return None
    try:
        return values[0].decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_header", f"the {name} header is not UTF-8") from None


def content_length(request: IRequest) -> int | None:
    """The announced body size; None when no Content-Length is given."""
    length = header_text(request, "Content-Length")
    return int(length) if length is not None and length.isascii() and length.isdigit() else None


class Guard:
    """
    Admits a request to a route of the table: CORS headers, then the key
    (none for L{Role.OPEN}), its role, a rate-limit token (from the command
    bucket when the route sends Voyager something), then the method list:
    a narrowed key must list every method the route sends or reads (L{Route.narrowing}).
    """

    def __init__(
        self,
        clock: IReactorTime,
        settings: ApiSettings,
        keys: KeyRing,
        hosts: Hosts,
        failures: FailedAuthentications,
        tokens: TokenIssuer,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._tokens = tokens
        self._hosts = hosts
        self._keys = keys
        self._lookup = KeyLookup(keys, failures)
        self._read_limits = RateLimiter(clock, settings.read_rate, settings.read_burst)
        self._command_limits = RateLimiter(clock, settings.command_rate, settings.command_burst)

    def screen(self, request: IRequest) -> None:
        """
        What every request must pass, whatever its path (the WebSocket's
        included), before anything else: one C{Host} and at most one
        C{Origin} (400), its C{Host} is one of ours (421:
        DNS rebinding), a state-changing request from a browser comes from an
        allowed origin (403), and a body is announced as JSON (415, even an
        empty one) within C{api.max_body_bytes} (413, before it is read).
        """
        for name in SINGLE_HEADERS:
            if len(request.requestHeaders.getRawHeaders(name) or ()) > 1:
                raise ApiError(400, "bad_header", f"send one {name.decode()} header, not several")
        host = header_text(request, "Host")
        if not self._hosts.allow(host):
            raise ApiError(421, "misdirected_request", f"this proxy does not answer for {host!r} (http.allowed_hosts)")
        method = request.method
        origin = header_text(request, "Origin")
        if method not in SAFE_METHODS and origin and not origin_allowed(origin, self._settings.cors_origins, host):
            raise ApiError(403, "origin_not_allowed", f"the origin {origin} is not allowed (api.cors_origins)")
        if method in BODY_METHODS:
            media = (header_text(request, "Content-Type") or "").split(";")[0].strip().lower()
            if media != JSON_MEDIA:
                raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        length = content_length(request)
        if length is None and request.requestHeaders.hasHeader(b"Transfer-Encoding"):
            raise ApiError(411, "length_required", "give the body's Content-Length")
        if length is not None and length > self._settings.max_body_bytes:
            raise ApiError(413, "body_too_large", f"the body is over {self._settings.max_body_bytes} bytes")

    def refuses_unread(self, request: IRequest, route: Route | None) -> bool:
        """
        Whether C{request} is refused from its headers alone (L{screen}, or no
        valid key for C{route}): its body need not be read. Nothing is logged;
        the refusal is answered, and logged, when the request is served.
        """
        try:
            self.screen(request)
            presented = self._presented(request)
        except ApiError:
            return True
        if route is None or route.role is Role.OPEN or query_values(request.args, "token"):
            return False  # a dashboard token is judged by the route itself (the image routes)
        token = bearer(header_text(request, "Authorization"))
        if token is not None and self._keys.enabled:
            return route.key_only or isinstance(self._tokens.read(token, self._clock.seconds()), KeyRefused)
        return not isinstance(look_up(self._keys, presented), ApiKey)

    def admit(self, request: IRequest, route: Route, key: ApiKey | None = None) -> ApiKey | None:
        """
        The caller's key (None on an open route); an L{ApiError} when it may
        not call C{route}. C{key}: the caller is known already (a dashboard
        token), only its role, rate and methods are checked.
        """
        self.cors(request)
        if request.method == b"HEAD" and (route.sends or route.reads or route.is_command):
            request.setHeader("Allow", route.method)
            raise ApiError(405, "method_not_allowed", f"use {route.method}: HEAD sends Voyager nothing")
        if route.role is Role.OPEN:
            return None
        if key is None:
            key = self.identify(request, tokens=not route.key_only)
        if route.role is Role.CONTROL and not key.can_control:
            raise ApiError(403, "forbidden", f"the key {key.name!r} has the read role; this needs control")
        limiter = self._command_limits if route.sends or route.is_command else self._read_limits
        wait = limiter.take(key.name)
        if wait:
            raise ApiError(
                429,
                "rate_limited",
                "too many requests; slow down",
                headers={"Retry-After": RateLimiter.retry_after(wait)},
            )
        self.check_methods(key, route.narrowing)
        return key

    @staticmethod
    def check_methods(key: ApiKey, methods: tuple[str, ...]) -> None:
        """403 unless a narrowed C{key} lists each of C{methods}."""
        for method in methods:
            if not may_send(key, method):
                raise ApiError(403, "forbidden", f"the key {key.name!r} may not call {method}")

    @staticmethod
    def _presented(request: IRequest) -> str | None:
        return presented_key(header_text(request, "X-API-Key"), query_values(request.args, "api_key"))

    def identify(self, request: IRequest, tokens: bool = True) -> ApiKey:
        """
        The caller: from its token (C{Authorization: Bearer}, issued by
        POST /api/tokens) when keys are configured and C{tokens} allows one,
        else from its key.
        """
        client = request.getClientAddress()
        address = getattr(client, "host", str(client))
        token = bearer(header_text(request, "Authorization"))
        if token is not None and self._lookup.keys.enabled:
            if not tokens:
                raise _refused(401, "this route takes an API key (X-API-Key), not a token", 0.0)
            found = self._tokens.read(token, self._clock.seconds())
            if isinstance(found, KeyRefused):
                wait = self._lookup.failures.failed(address, self._lookup.what, "with a token refused")
                raise _refused(429, TOO_MANY_FAILURES, wait) if wait else _refused(found.status, found.message, 0.0)
            return found
        return self._lookup.find(self._presented(request), address, _refused)

    def cors(self, request: IRequest) -> None:
        origin = header_text(request, "Origin")
        if origin and origin in self._settings.cors_origins:
            request.setHeader("Access-Control-Allow-Origin", origin)
            request.setHeader("Vary", "Origin")

    def preflight(self, request: IRequest) -> bytes:
        """The CORS preflight answer, for any path."""
        self.cors(request)
        request.setResponseCode(204)
        request.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
        request.setHeader("Access-Control-Allow-Headers", CORS_ALLOWED_HEADERS)
        request.setHeader("Access-Control-Max-Age", "600")
        return b""

    def body(self, request: IRequest) -> dict[str, Any]:
        """The JSON object sent, C{{}} for an empty body; 413 and 400 otherwise (L{screen} checked the type)."""
        content = request.content
        content.seek(0, 2)
        size = content.tell()
        if size > self._settings.max_body_bytes:
            raise ApiError(413, "body_too_large", f"the body is over {self._settings.max_body_bytes} bytes")
        if size == 0:
            return {}
        content.seek(0)
        try:
            body = client_json.loads(content.read())
        except client_json.JsonRefused as refused:
            if refused.field is not None:
                raise invalid(refused.field, refused.message.partition(": ")[2]) from None
            raise ApiError(400, "invalid_json", f"the body is {refused.message}") from None
        if body == []:
            return {}  # PHP encodes an empty array, Laravel's default body, as []
        return check.json_object(body)


# Errors: always our envelope, never an HTML page or a traceback. Klein calls
# each handler as a method of the app's owner, hence C{self}.

_log = Logger(namespace="voyager_proxy.rest")


def answer_error(request: IRequest, error: ApiError) -> bytes:
    """C{error} in our envelope, with its headers."""
    for name, value in error.headers.items():
        request.setHeader(name, value)
    return write_json(request, error.body(), error.status)


def _api_error(self: Any, request: IRequest, failure: Failure) -> bytes:
    return answer_error(request, cast(ApiError, failure.value))


def _voyager_error(self: Any, request: IRequest, failure: Failure) -> bytes:
    return _api_error(self, request, Failure(from_failure(failure.value)))


def _http_error(self: Any, request: IRequest, failure: Failure) -> bytes:
    error = cast(HTTPException, failure.value)
    status = error.code or 500
    allowed = sorted(m for m in getattr(error, "valid_methods", None) or [] if m != "OPTIONS")
    if status == 405 and not allowed:
        status = 404  # only the CORS preflight route matched: the path does not exist
    if status == 404:
        body = ApiError(404, "not_found", "no such route").body()
    elif status == 405:
        request.setHeader("Allow", ", ".join(allowed))
        body = ApiError(405, "method_not_allowed", f"use {', '.join(allowed)}").body()
    else:
        body = ApiError(status, "http_error", error.description or "HTTP error").body()
    return write_json(request, body, status)


def _internal_error(self: Any, request: IRequest, failure: Failure) -> bytes:
    _log.failure("unexpected error answering {uri}", failure, uri=request.uri)
    return write_json(request, from_failure(failure.value).body(), 500)


def answer_in_envelope(app: Klein) -> None:
    """Register on C{app} the handlers turning every failure into our JSON envelope."""
    app.handle_errors(ApiError)(_api_error)
    app.handle_errors(VoyagerError)(_voyager_error)
    app.handle_errors(HTTPException)(_http_error)
    app.handle_errors(Exception)(_internal_error)
