"""What a dashboard's opening request is granted, or why it is refused (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from ..auth import LOCAL, ApiKey, KeyRing
from ..origins import ANY, origin_allowed
from ..tokens import TokenIssuer
from .auth import Identity, Refused, identify_browser_token, identify_key
from .messages import DEFAULT_FIELDS, FIELDS_MODES
from .previews import DEFAULT_PREVIEWS, PREVIEW_MODES, PREVIEWS_PROBLEM

FIELDS_PROBLEM = "fields must be one of " + ", ".join(FIELDS_MODES)

Params = Mapping[str, Sequence[str]]
MAX_SEQ_DIGITS = 18  # a seq of a daemon's run fits in 63 bits


@attrs.frozen
class Gate:
    """The rules every opening request is checked against."""

    keys: KeyRing
    jwt_secret: str | None
    allowed_origins: Sequence[str]
    max_token_lifetime: float = 86400.0
    issued: TokenIssuer | None = None  # the daemon's own tokens (POST /api/tokens)


@attrs.frozen
class Grant:
    """An accepted connection: who it is, its fields and preview modes, where it resumes (epoch, seq) if it asked."""

    key: ApiKey = LOCAL
    may_join: frozenset[str] | None = None  # None: any room
    fields: str = DEFAULT_FIELDS
    resume_from: tuple[str, int] | None = None
    previews: str = DEFAULT_PREVIEWS


def _first(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def resume_point(params: Params) -> tuple[str, int] | None | Refused:
    """C{?since=&epoch=} as (epoch, since), when both are there; 400 for a C{since} that is not a seq."""
    since, epoch = _first(params, "since"), _first(params, "epoch")
    if since is None:
        return None
    if not (since.isascii() and since.isdigit() and len(since) <= MAX_SEQ_DIGITS):
        return Refused(400, f"since must be a sequence number of at most {MAX_SEQ_DIGITS} digits")
    return None if epoch is None else (epoch, int(since))


def origin_refused(gate: Gate, origin: str | None, host: str | None) -> Refused | None:
    """
    Why a browser page at C{origin} may not connect. With no key configured
    anyone may act as L{LOCAL}, so only the origins listed (C{*} aside) and the
    daemon's own may; with keys, the list decides (C{*} for any).
    """
    if not origin:
        return None
    if gate.keys.enabled and ANY in gate.allowed_origins:
        return None
    if origin_allowed(origin, gate.allowed_origins, host):
        return None
    return Refused(403, f"the origin {origin} is not allowed")


def authorise(
    gate: Gate, origin: str | None, params: Params, headers: Mapping[str, str], now: float
) -> Grant | Refused:
    """
    Check the origin, the fields and preview modes and the resume point,
    then the token or the key, in that order.

    Browsers always send Origin; programs may leave it out and authenticate by
    key. A token wins over a key; with no keys configured, anyone is L{LOCAL}.
    """
    refused = origin_refused(gate, origin, headers.get("host"))
    if refused is not None:
        return refused
    fields = _first(params, "fields") or DEFAULT_FIELDS
    if fields not in FIELDS_MODES:
        return Refused(400, f"{FIELDS_PROBLEM} (?fields={fields})")
    previews = _first(params, "previews") or DEFAULT_PREVIEWS
    if previews not in PREVIEW_MODES:
        return Refused(400, f"previews: {PREVIEWS_PROBLEM} (?previews={previews})")
    resume_from = resume_point(params)
    if isinstance(resume_from, Refused):
        return resume_from
    token = _first(params, "token")
    identity: Identity | Refused
    if token is not None:
        identity = identify_browser_token(token, gate.jwt_secret, gate.issued, now, gate.max_token_lifetime)
    else:
        identity = identify_key(headers.get("x-api-key") or _first(params, "api_key"), gate.keys)
    if isinstance(identity, Refused):
        return attrs.evolve(identity, credentials=True)
    return Grant(identity.key, identity.may_join, fields, resume_from, previews)
