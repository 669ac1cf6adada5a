"""Property-based test of the REST API, driven by its OpenAPI document (schemathesis)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.daemon import ROOT, Daemon
from tests.system.conftest import get_json, start_daemon

KEY = "schema-test-key-0123456789"
schema = schemathesis.openapi.from_path(ROOT / "voyager_proxy" / "rest" / "openapi.json")
# Every operation gets its documented examples and EXAMPLES generated inputs
# per run (new ones each run). Schemathesis's coverage phase (thousands of
# boundary and wrong-type inputs, a minute of generation) runs when
# SCHEMA_TEST_COVERAGE=1, as does a larger EXAMPLES from
# SCHEMA_TEST_EXAMPLES (not VOYAGER_PROXY_*: the daemon refuses a variable of
# its own prefix that it does not know, and it inherits this environment).
EXAMPLES = int(os.environ.get("SCHEMA_TEST_EXAMPLES", "5"))
schema.config.phases.coverage.enabled = os.environ.get("SCHEMA_TEST_COVERAGE") == "1"


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    running = start_daemon(
        {
            "VOYAGER_PROXY_API_KEYS": f"schema:control:{KEY}",
            "VOYAGER_PROXY_API_READ_BURST": "100000",
            "VOYAGER_PROXY_API_COMMAND_BURST": "100000",
            # The embedded simulator takes the same RoboTarget licence.
            "VOYAGER_PROXY_ROBOTARGET_SECRET": "schema-test-secret",
            "VOYAGER_PROXY_ROBOTARGET_MAC_KEY": "SCHEMA-MAC-KEY",
            "VOYAGER_PROXY_ROBOTARGET_MAC_WORDS": "one,two,three,four",
        }
    )
    deadline = time.monotonic() + 10
    while get_json(f"http://127.0.0.1:{running.port}/health")[1]["robotarget"]["state"] != "ready":
        assert time.monotonic() < deadline, "RoboTarget manager mode never became ready"
        time.sleep(0.02)
    yield running
    running.kill()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case: schemathesis.Case, daemon: Daemon) -> None:
    """
    Any input the document allows gets a documented status, content type and
    body, and never a crash (500). Commands are sent with wait=false so a
    generated one-hour exposure does not hold the test; 502 (Voyager busy or
    refusing) and 503/504 are documented answers, not crashes.
    """
    if case.method == "POST":
        case.query = {**(case.query or {}), "wait": "false"}
    response = case.call(base_url=f"http://127.0.0.1:{daemon.port}", headers={"X-API-Key": KEY}, timeout=30)
    assert response.status_code != 500, response.text
    case.validate_response(
        response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
    )
