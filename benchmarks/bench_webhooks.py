"""
Webhook benchmarks against ``twistd voyager-proxy --simulator``:

- 1,000 events (POST /api/webhooks/test, 8 callers) through to a local
  receiver that verifies each signature: throughput, and event-to-delivery
  latency p50/p99 (from the message's createdAt to its arrival);
- ``GET /api/dashboard/state`` with ``wrk -t2 -c50``, without webhooks and
  while a dead receiver has 1,000 messages retried every second (one that
  refuses connections, one that accepts and never answers), the daemons side
  by side and visited in turn: the medians must stay within 10 % of each
  other; and what the retries cost each daemon, idle.

Run with ``make bench`` (wrk comes from Debian's ``wrk`` package).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests.support from the repository
from tests.support.daemon import Daemon  # noqa: E402
from tests.support.php_receiver import free_port  # noqa: E402
from voyager_proxy.webhooks.signing import new_secret, secret_key, verify  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rest import UNLIMITED, requests_per_second, wrk_state  # noqa: E402

EVENTS = 1000


class Arrivals:
    """What the receiver got: arrival time by webhook-id, and signatures that failed."""

    def __init__(self, secret: str) -> None:
        self.keys = (secret_key(secret),)
        self.times: dict[str, float] = {}
        self.bad = 0
        self.lock = threading.Lock()


def receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrived = time.time()
            message_id = self.headers["webhook-id"]
            good = verify(
                arrivals.keys,
                message_id,
                int(self.headers["webhook-timestamp"]),
                body,
                self.headers["webhook-signature"],
            )
            with arrivals.lock:
                arrivals.times.setdefault(message_id, arrived)
                arrivals.bad += not good
            self.send_response(204 if good else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post(port: int, path: str) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def created_at(port: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/api/webhooks/deliveries?limit={EVENTS}")
    listed = json.loads(connection.getresponse().read())["deliveries"]
    return {delivery["id"]: delivery["createdAt"] for delivery in listed}


def webhook_env(url: str, secret: str, database: str, **more: str) -> dict[str, str]:
    """The daemon's environment: no rate limits, webhook.test events only, to C{url}."""
    return {
        **UNLIMITED,
        "VOYAGER_PROXY_WEBHOOKS_URL": url,
        "VOYAGER_PROXY_WEBHOOKS_SECRET": secret,
        "VOYAGER_PROXY_WEBHOOKS_DATABASE": database,
        "VOYAGER_PROXY_WEBHOOKS_EVENTS": "webhook.test",
        **more,
    }


def bench_delivery(workdir: str) -> None:
    secret = new_secret()
    arrivals = Arrivals(secret)
    server = receiver(arrivals)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    daemon = Daemon.start("--simulator", env=webhook_env(url, secret, f"{workdir}/delivery.sqlite3"))
    try:
        start = time.time()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: post(daemon.port, "/api/webhooks/test"), range(EVENTS)))
        deadline = time.monotonic() + 120
        while len(arrivals.times) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        created = created_at(daemon.port)
    finally:
        daemon.stop()
        server.shutdown()
    latencies = sorted((arrivals.times[i] - created[i]) * 1000 for i in arrivals.times if i in created)
    elapsed = max(arrivals.times.values()) - start
    print(
        f"{len(arrivals.times):,} of {EVENTS:,} events delivered, {arrivals.bad} bad signatures:"
        f" {len(arrivals.times) / elapsed:,.0f} events/s end to end;"
        f" event-to-delivery p50 {latencies[len(latencies) // 2]:.1f} ms,"
        f" p99 {latencies[int(len(latencies) * 0.99)]:.1f} ms"
    )


def cpu_seconds(daemon: Daemon) -> float:
    """User and system CPU the daemon's process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{daemon.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def attempts(daemon: Daemon) -> float:
    found = re.search(
        r'voyager_proxy_webhook_attempt_seconds_count\{outcome="retry"\} ([\d.e+]+)', daemon.get("/metrics")[1]
    )
    return float(found.group(1)) if found else 0.0


def dead_receiver_daemon(workdir: str, url: str, name: str) -> Daemon:
    """A daemon whose 1,000 messages are retried every second to C{url}, where nothing answers."""
    every_second = ",".join(["1s"] * 1000)
    env = webhook_env(
        url, new_secret(), f"{workdir}/{name}.sqlite3", VOYAGER_PROXY_WEBHOOKS_RETRY_SCHEDULE=every_second
    )
    daemon = Daemon.start("--simulator", env=env)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: post(daemon.port, "/api/webhooks/test"), range(EVENTS)))
    return daemon


def bench_state_with_dead_receiver(workdir: str, rounds: int = 6) -> None:
    """
    The three daemons run side by side and wrk visits them in turn, 5 s
    each, for C{rounds} rounds, the first of the turn changing each round:
    the medians compare under the same background load (the machine is
    shared).
    """
    if shutil.which("wrk") is None:
        print("GET /api/dashboard/state with webhooks: skipped, wrk is not installed (apt-get install wrk)")
        return
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers: timeouts
    silent.bind(("127.0.0.1", 0))
    silent.listen(1024)
    receivers = {
        "refused": f"http://127.0.0.1:{free_port()}/hook",
        "silent": f"http://127.0.0.1:{silent.getsockname()[1]}/hook",
    }
    daemons = {"without webhooks": Daemon.start("--simulator", env=UNLIMITED)}
    try:
        for name, url in receivers.items():
            daemons[name] = dead_receiver_daemon(workdir, url, name)
        time.sleep(2)  # every message on its one-second retries
        used = {name: cpu_seconds(daemon) for name, daemon in daemons.items()}
        time.sleep(10)  # no load but the retries: what they cost the daemon
        idle_cpu = {name: (cpu_seconds(daemon) - used[name]) / 10 for name, daemon in daemons.items()}
        before = {name: attempts(daemon) for name, daemon in daemons.items()}
        began = time.monotonic()
        rates: dict[str, list[float]] = {name: [] for name in daemons}
        order = list(daemons)
        for round_number in range(rounds):
            shift = round_number % len(order)  # each daemon takes each place in the turn
            for name in order[shift:] + order[:shift]:
                rates[name].append(requests_per_second(wrk_state(daemons[name].port, 5)))
        spent = time.monotonic() - began
        per_second = {name: (attempts(daemon) - before[name]) / spent for name, daemon in daemons.items()}
        pending = {
            name: json.loads(daemon.get("/health")[1])["webhooks"].get("pending", 0) for name, daemon in daemons.items()
        }
    finally:
        for daemon in daemons.values():
            daemon.stop()
        silent.close()
    median = {name: statistics.median(values) for name, values in rates.items()}
    base = median["without webhooks"]
    print(f"GET /api/dashboard/state, wrk -t2 -c50 -d5s, {rounds} rounds, medians:")
    for name in daemons:
        extra = (
            ""
            if name == "without webhooks"
            else f" with {pending[name]:,} messages retried every second to a {name} receiver"
            f" ({per_second[name]:,.1f} attempts/s): {median[name] / base - 1:+.1%} (target within 10 %)"
        )
        spread = ", ".join(f"{rate:,.0f}" for rate in rates[name])
        print(f"  {name}: {median[name]:,.0f} requests/s{extra}; runs {spread}")
        print(f"    idle, the daemon used {idle_cpu[name]:.1%} of a core")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as workdir:
        bench_delivery(workdir)
        bench_state_with_dead_receiver(workdir)


if __name__ == "__main__":
    main()
