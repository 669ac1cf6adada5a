"""
How the image routes judge a dashboard's C{?token=}: as the WebSocket
handshake judges it (L{origin_refused}, then L{identify_browser_token}), a refused
token counted against its address as a bad key is (L{FailedAuthentications}).
"""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest

from ..auth import ApiKey
from ..keys import TOO_MANY_FAILURES
from ..push.auth import Refused, identify_browser_token
from ..push.handshake import Gate, origin_refused
from ..ratelimit import FailedAuthentications, RateLimiter
from ..rest.envelope import ApiError
from ..rest.guard import header_text


class DashboardTokens:
    """The key a request's token acts as, or the L{ApiError} /ws would have answered (429 past the failure limit)."""

    def __init__(self, gate: Gate, clock: IReactorTime, failures: FailedAuthentications) -> None:
        self._gate = gate
        self._clock = clock
        self._failures = failures

    def key_of(self, token: str, request: IRequest) -> ApiKey:
        refused = origin_refused(self._gate, header_text(request, "Origin"), header_text(request, "Host"))
        if refused is None:
            gate = self._gate
            found = identify_browser_token(
                token, gate.jwt_secret, gate.issued, self._clock.seconds(), gate.max_token_lifetime
            )
            if not isinstance(found, Refused):
                return found.key
            client = request.getClientAddress()
            wait = self._failures.failed(getattr(client, "host", str(client)), "image request", "with a refused token")
            if wait:
                raise ApiError(
                    429, "rate_limited", TOO_MANY_FAILURES, headers={"Retry-After": RateLimiter.retry_after(wait)}
                )
            refused = found
        raise ApiError(refused.status, "unauthorized" if refused.status == 401 else "forbidden", refused.reason)
