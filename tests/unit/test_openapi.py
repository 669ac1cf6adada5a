"""The OpenAPI document is built from the route table: every route, nothing else, the limits the code enforces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from voyager_proxy.config import ApiSettings
from voyager_proxy.rest.api import klein_rules
from voyager_proxy.rest.document import build_document, encode
from voyager_proxy.rest.errors import ApiError
from voyager_proxy.rest.fields import Composite, Field, Integer, Number, QueryInteger
from voyager_proxy.rest.routes import ROUTES

CHECKED_IN = Path(__file__).parents[2] / "voyager_proxy" / "rest" / "openapi.json"
NOT_REST = {("GET", "/ws")}  # the WebSocket upgrade
METHODS = ("get", "post", "put", "delete", "patch")


def document(settings: ApiSettings | None = None) -> dict[str, Any]:
    return build_document(ROUTES, settings or ApiSettings())


def shape(path: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>|\{\w+\}", "{}", path)


def documented(built: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), shape(path)) for path, item in built["paths"].items() for method in item if method in METHODS
    }


def test_document_is_valid_openapi() -> None:
    """The built document validates as OpenAPI 3.1."""
    built = document()
    assert built["openapi"].startswith("3.1")
    validate(built)


def test_document_has_every_route_of_the_table_and_nothing_else() -> None:
    """Each route of the table is one operation of the document, and the document has no other."""
    assert documented(document()) == {(route.method, shape(route.path)) for route in ROUTES}


def test_table_and_klein_apps_serve_the_same_routes() -> None:
    """The Klein apps serve exactly the routes of the table (the WebSocket aside)."""
    assert klein_rules() - NOT_REST == {(route.method, route.path) for route in ROUTES}


def test_checked_in_copy_is_the_built_document() -> None:
    """rest/openapi.json is the document built with the default settings (regenerate it with python -m)."""
    assert CHECKED_IN.read_bytes() == encode(document())


def test_limits_read_from_settings_are_documented() -> None:
    """The limit parameters document api.recent_events and api.ledger_size, whatever they are set to."""
    built = document(ApiSettings(recent_events=77, ledger_size=123))
    limits = {
        path: next(p for p in built["paths"][path]["get"]["parameters"] if p["name"] == "limit")["schema"]["maximum"]
        for path in ("/api/events/recent", "/api/commands")
    }
    assert limits == {"/api/events/recent": 77, "/api/commands": 123}


def test_every_route_names_what_it_sends() -> None:
    """Every command route and RoboTarget call names its Voyager methods in the document."""
    built = document()
    for route in ROUTES:
        operation = built["paths"][re.sub(r"<(\w+)>", r"{\1}", route.path).replace("{method}", "{uid}")][
            route.method.lower()
        ]
        assert operation.get("x-voyager-sends", []) == list(route.sends), route.name
        assert operation.get("x-voyager-reads", []) == list(route.reads), route.name


def every_field() -> Iterator[tuple[str, Field]]:
    """Each body field of the table, its bounds read from the default settings, named by route."""
    from voyager_proxy.rest import robotarget_bodies

    settings = ApiSettings()
    for route in ROUTES:
        for field in route.resolve(settings).fields():
            yield route.name, field
    for field in robotarget_bodies.CONSTRAINTS.values():
        yield "constraint", field
    for field in robotarget_bodies.INTERVAL.fields:
        yield "interval", field


def accepted(field: Field, value: Any) -> bool:
    try:
        field.read({field.name: value})
    except ApiError as error:
        assert error.status == 400 and error.details["field"] == field.name
        return False
    return True


INTEGERS = [(route, field) for route, field in every_field() if isinstance(field, Integer)]
NUMBERS = [(route, field) for route, field in every_field() if isinstance(field, Number)]


@pytest.mark.parametrize(("route", "field"), INTEGERS, ids=[f"{r}.{f.name}" for r, f in INTEGERS])
def test_documented_integer_bounds_are_the_enforced_ones(route: str, field: Integer) -> None:
    """Each Integer field accepts exactly [minimum, maximum] of its schema: the bounds and no further."""
    schema = field.schema()
    low, high = schema["minimum"], schema["maximum"]
    assert accepted(field, low) and accepted(field, high)
    assert not accepted(field, low - 1) and not accepted(field, high + 1)
    assert not accepted(field, 1.5) and not accepted(field, True)
    if "default" in schema:
        assert field.read({}) == schema["default"]


@pytest.mark.parametrize(("route", "field"), NUMBERS, ids=[f"{r}.{f.name}" for r, f in NUMBERS])
def test_documented_number_bounds_are_the_enforced_ones(route: str, field: Number) -> None:
    """Each Number field accepts its schema's range, and refuses just outside it (an exclusive minimum too)."""
    schema = field.schema()
    high = schema["maximum"]
    assert accepted(field, high) and not accepted(field, high + 0.001)
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"]
        assert not accepted(field, low) and accepted(field, low + 0.001)
    else:
        low = schema["minimum"]
        assert accepted(field, low) and not accepted(field, low - 0.001)


def test_documented_query_limits_are_the_enforced_ones() -> None:
    """The query integers of the built routes accept exactly their documented range."""
    settings = ApiSettings(recent_events=77)
    checked = 0
    for route in ROUTES:
        for query in route.resolve(settings).query:
            if isinstance(query, QueryInteger):
                schema = query.schema()
                for value, good in (
                    (schema["minimum"], True),
                    (schema["maximum"], True),
                    (schema["minimum"] - 1, False),
                    (schema["maximum"] + 1, False),
                ):
                    try:
                        query.read({query.name.encode(): [str(value).encode()]})
                    except ApiError:
                        assert not good, (route.name, value)
                    else:
                        assert good, (route.name, value)
                checked += 1
    assert checked == 5  # recent events, commands, runs, webhook deliveries, images


def test_required_fields_are_documented_as_required() -> None:
    """A field the code refuses when absent is in its body's required list, and only those."""
    for route in ROUTES:
        body = route.body
        if body is None or body.reader is not None:
            continue
        schema = body.schema()
        for field in body.fields:
            if isinstance(field, Composite):
                continue
            missing = not accepted_absent(field)
            assert missing == (field.name in schema.get("required", [])), (route.name, field.name)


def accepted_absent(field: Field) -> bool:
    try:
        field.read({})
    except ApiError:
        return False
    return True


def test_pure_modules_load_no_twisted_reactor_klein_autobahn_or_jwt() -> None:
    """Importing fields, the route table and the document builder loads no reactor, Klein, Autobahn or PyJWT."""
    code = (
        "import sys, voyager_proxy.rest.fields, voyager_proxy.rest.routes, voyager_proxy.rest.document, "
        "voyager_proxy.keys, voyager_proxy.rest.validation\n"
        "print(sorted({m.split('.')[0] + '.' + m.split('.')[1] if m.startswith('twisted.') else m.split('.')[0]"
        " for m in sys.modules if m.startswith(('twisted.internet', 'klein', 'autobahn', 'jwt'))}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded.replace("'", '"')) == []


def test_the_console_finds_exactly_the_command_routes_by_their_wait_parameter() -> None:
    """The console makes a form for each POST taking Wait: those are the table's command routes, all of them."""
    built = document()
    with_wait = {
        (method.upper(), shape(path))
        for path, item in built["paths"].items()
        for method, operation in item.items()
        if {"$ref": "#/components/parameters/Wait"} in operation.get("parameters", [])
    }
    assert with_wait == {(route.method, shape(route.path)) for route in ROUTES if route.is_command}
    assert len(with_wait) == 19


def test_destructive_operations_are_marked_for_confirmation() -> None:
    """Abort, park, setup disconnect and every DELETE carry x-destructive; nothing else does."""
    marked = {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if operation.get("x-destructive")
    }
    deletes = {(route.method, shape(route.path)) for route in ROUTES if route.method == "DELETE"}
    assert {(m, shape(p)) for m, p in marked} == deletes | {
        ("POST", "/api/control/abort"),
        ("POST", "/api/telescope/park"),
        ("POST", "/api/setup/disconnect"),
    }


def test_the_token_exchange_takes_a_key_and_the_other_guarded_routes_a_token_too() -> None:
    """POST /api/tokens lists only the X-API-Key scheme; the other guarded routes list the bearer token as well."""
    paths = document()["paths"]
    assert paths["/api/tokens"]["post"]["security"] == [{"apiKeyHeader": []}]
    assert {"bearerToken": []} in paths["/api/commands"]["get"]["security"]
