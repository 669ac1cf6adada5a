"""The checked-in OpenAPI document matches the routes, both ways."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from voyager_proxy.rest.api import OPENAPI_DOCUMENT, RestApi

NOT_REST = {"/api/<path:anything>", "/ws"}  # CORS preflight, the WebSocket


def document() -> dict:
    return json.loads(OPENAPI_DOCUMENT)


def routes() -> set[tuple[str, str]]:
    found = set()
    for rule in RestApi.app.url_map.iter_rules():
        if rule.rule in NOT_REST:
            continue
        path = re.sub(r"<(?:\w+:)?\w+>", "{}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def documented() -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"\{\w+\}", "{}", path))
        for path, item in document()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }


def test_document_is_valid_openapi() -> None:
    """The document validates as OpenAPI 3.1."""
    assert document()["openapi"].startswith("3.1")
    validate(document())


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    """Routes and document list the same (method, path) pairs."""
    assert routes() == documented()
