"""The opening of a dashboard connection: options, the shared initialState frame, and the pure handshake."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import attrs
import jwt
import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.unit.test_push_fields import Dashboard, publish
from tests.unit.test_push_flow import make_factory
from voyager_proxy import push
from voyager_proxy.auth import LOCAL, KeyRing, parse_keys
from voyager_proxy.push.auth import Refused
from voyager_proxy.push.handshake import Gate, Grant, authorise
from voyager_proxy.voyager import VoyagerLink


def test_each_connection_copies_the_factorys_options(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Autobahn's options reach every connection from the factory, and a later change leaves open ones alone."""
    factory = make_factory(clock, link, max_message_bytes=1000)
    first = Dashboard(factory).protocol
    factory.setProtocolOptions(maxMessagePayloadSize=5)
    second = Dashboard(factory).protocol
    # Autobahn copies the factory's options onto each protocol at connection time; its types declare none of them.
    assert first.maxMessagePayloadSize == 16000 and second.maxMessagePayloadSize == 5  # type: ignore[attr-defined]
    assert first.autoPingInterval == 0 and first.openHandshakeTimeout == factory.openHandshakeTimeout  # type: ignore[attr-defined]


def test_initial_state_is_prepared_once_per_state(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Dashboards opening between two events share one prepared initialState; the next event makes a new one."""
    factory = make_factory(clock, link)
    first, second = factory.initial_state_frame(), factory.initial_state_frame()
    assert first is second
    publish(link)
    third = factory.initial_state_frame()
    assert third is not first
    assert Dashboard(factory).payloads() == [third.payload]
    factory.publish_to_room("r", "note", {})
    assert factory.initial_state_frame() is not third  # a room message moves seq on


SECRET = "jwt-secret-shared-with-laravel-0123456789"
KEYS = KeyRing(parse_keys(["reader:read:reader-key-0123456789", "admin:control:control-key-0123456789"]))
GATE = Gate(KEYS, SECRET, ("https://dash.example",))
NOW = 1_800_000_000.0  # the daemon's clock when these handshakes come


def token(**claims: Any) -> str:
    return jwt.encode(
        {"sub": "42", "scope": "read", "iat": NOW - 5, "exp": NOW + 600, **claims}, SECRET, algorithm="HS256"
    )


def test_key_in_header_or_query_is_granted_with_its_role() -> None:
    """A known key (header or ?api_key=) is granted as itself, any room, default fields, no resume."""
    by_header = authorise(GATE, None, {}, {"x-api-key": "control-key-0123456789"}, NOW)
    by_query = authorise(
        GATE, "https://dash.example", {"api_key": ["reader-key-0123456789"], "fields": ["raw"]}, {}, NOW
    )
    assert isinstance(by_header, Grant) and by_header.key.name == "admin" and by_header.may_join is None
    assert by_header.fields == "parsed" and by_header.resume_from is None
    assert isinstance(by_query, Grant) and by_query.key.name == "reader" and by_query.fields == "raw"


def test_token_is_granted_its_rooms_and_scope() -> None:
    """A valid token becomes token:<sub> with its scope, limited to its rooms; a resume point is read."""
    grant = authorise(GATE, None, {"token": [token(rooms=["a", 7])], "since": ["12"], "epoch": ["e1"]}, {}, NOW)
    assert isinstance(grant, Grant)
    assert (grant.key.name, grant.key.role, grant.may_join, grant.resume_from) == (
        "token:42",
        "read",
        frozenset({"a", "7"}),
        ("e1", 12),
    )


@pytest.mark.parametrize(
    "origin, params, headers, refused",
    [
        (
            "https://evil.example",
            {"api_key": ["control-key-0123456789"]},
            {},
            Refused(403, "the origin https://evil.example is not allowed"),
        ),
        (
            None,
            {"fields": ["all"]},
            {"x-api-key": "control-key-0123456789"},
            Refused(400, "fields must be one of parsed, raw, both (?fields=all)"),
        ),
        (None, {}, {}, Refused(401, "an API key is required (X-API-Key header or api_key)", credentials=True)),
        (None, {}, {"x-api-key": "nope"}, Refused(403, "the API key is not valid", credentials=True)),
        (None, {"token": [token(exp=1)]}, {}, Refused(401, "the token has expired", credentials=True)),
        (
            None,
            {"token": [token(scope="root")]},
            {},
            Refused(403, "the token needs scope read or control and a list of rooms", credentials=True),
        ),
    ],
)
def test_refusals_carry_status_and_reason(
    origin: str | None, params: dict[str, list[str]], headers: dict[str, str], refused: Refused
) -> None:
    """Bad origin, bad fields, missing or unknown key, expired or ill-scoped token: each its status and reason."""
    assert authorise(GATE, origin, params, headers, NOW) == refused


def test_forged_token_and_tokens_without_a_secret_are_refused() -> None:
    """A token signed with another secret gets 401; with no jwt_secret configured every token gets 403."""
    forged = jwt.encode(
        {"sub": "x", "scope": "read", "iat": NOW, "exp": NOW + 60}, "another-secret-of-at-least-32-bytes!"
    )
    refused = authorise(GATE, None, {"token": [forged]}, {}, NOW)
    assert isinstance(refused, Refused) and refused.status == 401
    assert authorise(Gate(KEYS, None, ("*",)), None, {"token": [token()]}, {}, NOW) == Refused(
        403, "tokens are not accepted (websocket.jwt_secret is not set)", credentials=True
    )


def test_without_keys_anyone_is_local() -> None:
    """With no keys configured a request without credentials (and without Origin: a program) is the local key."""
    assert authorise(Gate(KeyRing(()), None, ("*",)), None, {}, {}, NOW) == Grant(LOCAL)


def test_without_keys_a_web_page_needs_a_listed_origin_or_the_daemons_own() -> None:
    """
    With no keys, C{*} does not let any page in: only an origin listed exactly,
    or the daemon's own (a page it served), may act as the local key.
    """
    gate = Gate(KeyRing(()), None, ("*", "https://dash.example"))
    host = {"host": "127.0.0.1:3000"}
    refused = authorise(gate, "https://evil.example", {}, host, NOW)
    assert isinstance(refused, Refused) and refused.status == 403
    assert authorise(gate, "https://dash.example", {}, host, NOW) == Grant(LOCAL)
    assert authorise(gate, "http://127.0.0.1:3000", {}, host, NOW) == Grant(LOCAL)
    assert isinstance(authorise(gate, "http://127.0.0.1:3000", {}, {"host": "evil.example:3000"}, NOW), Refused)


def test_with_keys_a_star_lets_any_origin_reach_the_key_check() -> None:
    """With keys configured, C{*} still lets any origin through to the key or token check."""
    gate = Gate(KeyRing(parse_keys(["a:read:read-key-0123456789"])), None, ("*",))
    granted = authorise(gate, "https://any.example", {"api_key": ["read-key-0123456789"]}, {}, NOW)
    assert isinstance(granted, Grant) and granted.key.name == "a"


@pytest.mark.parametrize("since", ["\u00b2", "\u0662", "1" * 5000, "-1", "1e3"])
def test_a_since_that_is_not_a_seq_is_a_400_before_the_key(since: str) -> None:
    """C{?since=} must be a seq of ASCII digits (not C{²}, nor 5,000 digits): 400, before any key is judged."""
    gate = Gate(KeyRing(parse_keys(["a:read:read-key-0123456789"])), None, ("*",))
    refused = authorise(gate, None, {"since": [since], "epoch": ["e"]}, {}, NOW)
    assert isinstance(refused, Refused) and refused.status == 400 and "since" in refused.reason


def test_connection_refuses_bad_origin_and_unknown_key_before_the_upgrade(
    clock: MemoryReactorClock, link: VoyagerLink
) -> None:
    """Over the wire the refusals are HTTP 403 before any upgrade; a good key opens the connection."""
    factory = make_factory(clock, link, allowed_origins=("https://dash.example",))
    factory.gate = attrs.evolve(factory.gate, keys=KEYS)
    assert Dashboard(factory, "?api_key=nope").response.startswith(b"HTTP/1.1 403")
    evil = Dashboard(factory, "?api_key=control-key-0123456789", origin="https://evil.example")
    assert evil.response.startswith(b"HTTP/1.1 403") and b"origin" in evil.response
    assert Dashboard(factory, "?api_key=control-key-0123456789", origin="https://dash.example").response.startswith(
        b"HTTP/1.1 101"
    )


def test_failed_handshakes_are_limited_per_address(clock: MemoryReactorClock, link: VoyagerLink) -> None:
    """Past the failed-authentication burst an address gets 429 with Retry-After; a good key still opens; time heals."""
    factory = make_factory(clock, link, keys=KEYS, failed_auth_rate=0.25, failed_auth_burst=2)
    responses = [Dashboard(factory, "?api_key=nope").response for _ in range(3)]
    assert [r[:12] for r in responses] == [b"HTTP/1.1 403"] * 2 + [b"HTTP/1.1 429"]
    assert b"Retry-After: 4" in responses[2] and b"too many failed authentications" in responses[2]
    assert Dashboard(factory, "?api_key=control-key-0123456789").response.startswith(b"HTTP/1.1 101")
    clock.advance(4)
    assert Dashboard(factory, "?api_key=nope").response.startswith(b"HTTP/1.1 403")
    origin_refused = make_factory(clock, link, keys=KEYS, failed_auth_burst=1, allowed_origins=("https://a.example",))
    for _ in range(3):  # a refused origin is not a failed authentication
        refused = Dashboard(origin_refused, "?api_key=control-key-0123456789", origin="https://b.example")
        assert refused.response.startswith(b"HTTP/1.1 403")


PURE = ("auth", "handshake", "actions", "messages", "outbox")


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_reactor_or_autobahn(module: str) -> None:
    """The push's pure modules import nothing from twisted.internet or autobahn."""
    source = (Path(push.__file__).parent / f"{module}.py").read_text()
    imported = [
        name
        for node in ast.walk(ast.parse(source))
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert not [name for name in imported if name.startswith(("twisted.internet", "autobahn"))]
