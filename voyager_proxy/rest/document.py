"""
The OpenAPI 3.1 document, built from the route table at start-up (pure).

Paths, parameters, request bodies and which errors each route may answer
come from L{voyager_proxy.rest.routes}; only the shared components (the
error envelope, the ledger entry, answers, common responses and parameters)
are written by hand, in C{components.json}. The checked-in C{openapi.json}
is this document built with the default settings, for Laravel developers:
C{python -m voyager_proxy.rest.document > voyager_proxy/rest/openapi.json}.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import sys
from collections.abc import Iterable
from typing import Any

from .. import __version__
from ..webhooks.catalogue import EVENT_TYPES, EventType
from .routes import COMMAND_QUERY, ROUTES, Role, Route

SECURITY: list[dict[str, list[str]]] = [{"apiKeyHeader": []}, {"apiKeyQuery": []}, {"bearerToken": []}]
KEY_ONLY: list[dict[str, list[str]]] = [{"apiKeyHeader": []}]


def _response(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


EVERY_ROUTE = {"408": _response("RequestTimeout"), "421": _response("MisdirectedRequest")}  # the request's own checks
GUARDED = {
    "400": _response("BadRequest"),
    "401": _response("Unauthorized"),
    "403": _response("Forbidden"),
    "429": _response("RateLimited"),
}
WITH_BODY = {"411": _response("LengthRequired"), "413": _response("TooLarge"), "415": _response("UnsupportedMedia")}
VOYAGER = {"502": _response("VoyagerError"), "503": _response("NotReady"), "504": _response("Timeout")}
ROBOTARGET = {
    "502": _response("RoboTargetFailed"),
    "503": _response("RoboTargetUnavailable"),
    "504": _response("Timeout"),
}


def components() -> dict[str, Any]:
    """The hand-written part: C{info} and the shared components."""
    text = importlib.resources.files(__package__).joinpath("components.json").read_text(encoding="utf-8")
    shared: dict[str, Any] = json.loads(text)
    return shared


def responses(route: Route) -> dict[str, Any]:
    """What C{route} may answer: its own answers, then the errors its role, body and methods imply."""
    answered = dict(route.answers)
    answered.update(EVERY_ROUTE)
    if route.role is not Role.OPEN:
        answered.update(GUARDED)
    if route.role is Role.CONTROL or route.method in ("POST", "PUT"):
        answered.update(WITH_BODY)  # every POST and PUT must say JSON, with a body or without
    if route.is_robotarget:
        answered.update(ROBOTARGET)
    elif route.is_command or route.sends:
        answered.update(VOYAGER)
    if "IdempotencyKey" in route.shared:
        answered["422"] = _response("IdempotencyKeyReused")
    answered.update(route.errors)
    return answered


def _description(route: Route) -> str:
    parts = [route.description] if route.description else []
    if route.is_command and route.sends:
        (method,) = route.sends
        parts.append(
            f"Sends Voyager's `{method}` and answers its final result"
            " (or 202 after the acknowledgement with `wait=false`)."
        )
    return " ".join(parts)


def operation(route: Route, path_names: list[str], schemas: dict[str, Any]) -> dict[str, Any]:
    """One Operation Object; titled body schemas are put in C{schemas} and referred to."""
    built: dict[str, Any] = {"summary": route.summary}
    description = _description(route)
    if description:
        built["description"] = description
    built["security"] = [] if route.role is Role.OPEN else copy.deepcopy(KEY_ONLY if route.key_only else SECURITY)
    built["x-role"] = route.role.value
    if route.asks_to_confirm:
        built["x-destructive"] = True
    if route.sends:
        built["x-voyager-sends"] = list(route.sends)
    if route.reads:
        built["x-voyager-reads"] = list(route.reads)
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            **({"description": f"The {own}"} if own != name else {}),
        }
        for name, own in zip(path_names, route.path_parameters, strict=True)
    ]
    parameters += [query.parameter() for query in route.query]
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in route.shared]
    if parameters:
        built["parameters"] = parameters
    built["responses"] = copy.deepcopy(responses(route))
    if route.body is not None:
        schema = route.body.schema()
        if route.body.title:
            schemas[route.body.title] = schema
            schema = {"$ref": f"#/components/schemas/{route.body.title}"}
        built["requestBody"] = {"required": route.body.required, "content": {"application/json": {"schema": schema}}}
    return built


WEBHOOK_ANSWERS = {
    "2XX": {"description": "Delivered: not sent again"},
    "410": {"description": "Gone: the endpoint is disabled until POST /api/webhooks/enable"},
    "default": {
        "description": "Not delivered: tried again per webhooks.retry_schedule (Retry-After honoured);"
        " redirects are not followed"
    },
}


def webhook(event: EventType) -> dict[str, Any]:
    """The Path Item of one event type POSTed to webhooks.url."""
    body = {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"const": event.name},
            "timestamp": {"type": "string", "format": "date-time", "description": "When it happened (UTC)"},
            "data": event.data,
        },
    }
    example = {"type": event.name, "timestamp": "2026-12-01T12:00:00.000Z", "data": event.example}
    notes = []
    if event.droppable:
        notes.append("Dropped first, oldest first, when webhooks.max_pending is reached.")
    if event.protected:
        notes.append("Dropped only when every waiting message is a connection or command event.")
    return {
        "post": {
            "summary": event.summary,
            "description": " ".join(
                ["Signed as the Standard Webhooks specification describes; delivered at least once.", *notes]
            ),
            "parameters": [
                {"$ref": f"#/components/parameters/{name}"}
                for name in ("WebhookId", "WebhookTimestamp", "WebhookSignature")
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body, "example": example}}},
            "responses": copy.deepcopy(WEBHOOK_ANSWERS),
        }
    }


def build_document(routes: Iterable[Route], settings: Any) -> dict[str, Any]:
    """The OpenAPI 3.1 document of C{routes}, with the bounds C{settings} give."""
    shared = components()
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {**shared["info"], "version": __version__},
        "paths": {},
        "webhooks": {event.name: webhook(event) for event in EVENT_TYPES},
        "components": shared["components"],
    }
    for query in COMMAND_QUERY:
        document["components"]["parameters"][query.name.capitalize()] = query.resolve(settings).parameter()
    schemas = document["components"]["schemas"]
    templates: dict[str, tuple[str, list[str]]] = {}  # shape -> (OpenAPI path, its parameter names)
    for route in routes:
        resolved = route.resolve(settings)
        shape = re.sub(r"<(?:\w+:)?\w+>", "{}", route.path)
        # One path per shape: GET /api/commands/{uid} and POST /api/commands/<method> share it.
        path, names = templates.setdefault(
            shape, (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.path), route.path_parameters)
        )
        document["paths"].setdefault(path, {})[route.method.lower()] = operation(resolved, names, schemas)
    return document


def encode(document: dict[str, Any]) -> bytes:
    """The document as the checked-in file holds it."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


if __name__ == "__main__":
    from ..config import ApiSettings

    sys.stdout.buffer.write(encode(build_document(ROUTES, ApiSettings())))
