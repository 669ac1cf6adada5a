"""
REST API benchmarks against ``twistd voyager-proxy --simulator``:

- ``GET /api/dashboard/state`` with ``wrk -t2 -c50 -d10s`` (target >= 4,000 requests/s);
- command round trip through REST to the simulator, p50/p99;
- 50 concurrent aborts, each answered with its own result.

Run with ``make bench`` (wrk comes from Debian's ``wrk`` package).
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests.support from the repository
from tests.support.daemon import Daemon  # noqa: E402

UNLIMITED = {
    "VOYAGER_PROXY_API_READ_RATE": "1000000",
    "VOYAGER_PROXY_API_READ_BURST": "1000000",
    "VOYAGER_PROXY_API_COMMAND_RATE": "1000000",
    "VOYAGER_PROXY_API_COMMAND_BURST": "1000000",
}


def request(
    port: int, method: str, path: str, connection: http.client.HTTPConnection | None = None
) -> tuple[int, dict]:
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if method in ("POST", "PUT"):  # a body-carrying request must say JSON, even an empty one
        connection.request(method, path, b"{}", {"Content-Type": "application/json"})
    else:
        connection.request(method, path)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def wrk_state(port: int, seconds: int = 10, *options: str) -> str:
    """wrk's report of C{GET /api/dashboard/state}, two threads and 50 connections for C{seconds}."""
    return subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{seconds}s", *options, f"http://127.0.0.1:{port}/api/dashboard/state"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def requests_per_second(report: str) -> float:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    assert rate is not None, report
    return float(rate.group(1))


def bench_state(port: int) -> None:
    if shutil.which("wrk") is None:
        print("GET /api/dashboard/state: skipped, wrk is not installed (apt-get install wrk)")
        return
    output = wrk_state(port, 10, "--latency")
    p99 = re.search(r"99%\s+([\d.]+\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    print(
        f"GET /api/dashboard/state, wrk -t2 -c50 -d10s: {requests_per_second(output):,.0f} requests/s,"
        f" p99 {p99.group(1) if p99 else '?'}, non-2xx {errors.group(1) if errors else 0} (target >= 4,000/s)"
    )


def bench_round_trip(port: int, count: int = 1000) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = request(port, "POST", "/api/commands/RemoteGetStatus", connection)
        timings.append((time.perf_counter() - start) * 1000)
        assert status == 200
    timings.sort()
    print(
        f"command round trip through REST to the simulator ({count} sequential):"
        f" p50 {timings[count // 2]:.2f} ms, p99 {timings[int(count * 0.99)]:.2f} ms"
    )


def bench_concurrent_aborts(port: int, clients: int = 50) -> None:
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _: request(port, "POST", "/api/control/abort"), range(clients)))
    # Abort ends with its acknowledgement, matched by JSON-RPC id: each caller must get its own.
    own = sum(1 for status, body in answers if status == 200 and body["state"] == "ok")
    distinct = len({body["result"]["id"] for status, body in answers if status == 200})
    print(f"{clients} concurrent aborts: {own} answered from their acknowledgement, {distinct} distinct ids")


def main() -> None:
    daemon = Daemon.start("--simulator", env=UNLIMITED)
    try:
        bench_state(daemon.port)
        bench_round_trip(daemon.port)
        bench_concurrent_aborts(daemon.port)
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
