"""
The shared side-by-side harness against ``twistd voyager-proxy``: the same fake
Voyager (``fake_voyager.py``) and the same client (``fanout_ws.mjs``, N raw
WebSocket clients in one Node.js process) that measured the earlier Node.js
proxy, so the figures compare with its table.

Each run has a fresh fake Voyager and proxy; the clients read for ``--seconds``.
p50 / p99 / max are the client's: its clock minus the Voyager ``Timestamp`` in
each ``controlData`` frame. Delivered = frames the clients read / frames the
proxy owed them after they connected (``voyager_proxy_websocket_messages_total`` of
``controlData`` until the client prints its line): frames still in flight when the clients
stop count as lost, up to one frame per client. Coalesced + closed are the
frames and clients the proxy itself dropped. RSS is the daemon's VmRSS, the
highest sample while the clients read. The load average is read before each run.

As an extra, ``--observers`` Python clients (default 10) open beside the
harness's and note when each controlData frame arrived, so that the p99 of
each second since the clients started is printed after the table: the
connect ramp apart from the steady state. They are not in the harness's
figures; their frames are taken out of what the proxy owed.

By default: two rounds of 500 and 1,000 clients at 10 Hz (alternating), then
5,000 clients at Voyager's real cadence (one ControlData every 2 s), then the
size of one controlData frame per ``?fields=`` mode. ``--profile`` instead runs
one 1,000-client round under cProfile (twistd ``--profile``) and prints the
top entries by own time.

Needs Node.js; ``npm install ws`` is run in ``--node-dir`` (outside the
repository) when the package is missing. Only 127.0.0.1 is used.

    .venv/bin/python benchmarks/bench_fanout_harness.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_push import Proxy, raise_fd_limit  # noqa: E402

HARNESS = Path(os.environ.get("VOYAGER_PROXY_HARNESS", "/work/shared/bench"))
CLIENT = "fanout_ws.mjs"
OWED = 'voyager_proxy_websocket_messages_total{topic="controlData"} '

DROPPED = ("voyager_proxy_websocket_coalesced", "voyager_proxy_websocket_closed")
FIELDS = ("parsed", "raw", "both")


@dataclass(frozen=True)
class Run:
    clients: int
    hz: float
    fields: str | None  # None: the default frame, /ws without ?fields=
    load: str  # /proc/loadavg before the run: 1, 5 and 15 minutes
    connected: int
    got: int
    owed: int
    p50: str
    p99: str
    max: str
    rss_idle: float
    rss: float
    cpu: float  # proxy CPU while the clients read, fraction of one core
    dropped: int  # frames coalesced for paused clients, and clients closed by the proxy
    per_second: tuple[float | None, ...] = ()  # the observers' p99 (ms) of each second since the clients started

    @property
    def delivered(self) -> float:
        return self.got / self.owed if self.owed else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_client(node_dir: Path) -> Path:
    """The harness's client beside an installed C{ws} package (ESM resolves from the script's folder)."""
    node_dir.mkdir(parents=True, exist_ok=True)
    if not (node_dir / "node_modules" / "ws").is_dir():
        subprocess.run(["npm", "install", "--silent", "ws"], cwd=node_dir, check=True)
    script = node_dir / CLIENT
    shutil.copyfile(HARNESS / CLIENT, script)
    return script


class FakeVoyager:
    """The harness's fake Voyager on a free loopback port."""

    def __init__(self, hz: float) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(HARNESS / "fake_voyager.py"), "--port", str(self.port), "--hz", str(hz)]
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the fake Voyager did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def owed(proxy: Proxy) -> float:
    """controlData messages the proxy owed its clients so far."""
    lines = proxy.get("/metrics")[1].splitlines()
    return next((float(line[len(OWED) :]) for line in lines if line.startswith(OWED)), 0.0)


def proxy_env(clients: int) -> dict[str, str]:
    """
    Room for all the clients: as WebSocket clients, and as HTTP connections
    while their opening handshakes wait (paced, see push.pacing), which
    C{http.max_connections} (1,536 by default) counts; past it, the rest
    would be closed as they connect.
    """
    room = str(max(1000, clients + 100))
    return {"VOYAGER_PROXY_WEBSOCKET_MAX_CLIENTS": room, "VOYAGER_PROXY_HTTP_MAX_CONNECTIONS": room}


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class Observers:
    """
    A few clients of our own, in a thread, noting (second since start,
    latency in ms) of each controlData frame, latency as the harness's client
    reckons it.
    """

    def __init__(self, url: str, count: int, seconds: float) -> None:
        self.samples: list[tuple[int, float]] = []
        self._url, self._count, self._seconds = url, count, seconds
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=30)

    async def _run(self) -> None:
        await asyncio.gather(*(self._observe() for _ in range(self._count)), return_exceptions=True)

    async def _observe(self) -> None:
        deadline = self.started + self._seconds
        async with connect(self._url, max_size=None, proxy=None, open_timeout=self._seconds) as client:
            while (left := deadline - time.monotonic()) > 0:
                try:
                    frame = await asyncio.wait_for(client.recv(decode=False), left)
                except asyncio.TimeoutError:
                    return
                if frame.startswith(b'{"event":"controlData"'):
                    now = time.time()
                    timestamp = json.loads(frame)["data"].get("Timestamp")
                    if timestamp:
                        self.samples.append((int(time.monotonic() - self.started), (now - timestamp) * 1000))

    def per_second(self) -> tuple[float | None, ...]:
        """The p99 of each second, None for a second without frames."""
        by_second: dict[int, list[float]] = {}
        for second, latency in self.samples:
            by_second.setdefault(second, []).append(latency)
        last = max(by_second, default=-1)
        return tuple(p99(by_second[s]) if s in by_second else None for s in range(last + 1))


def measure(
    script: Path,
    clients: int,
    hz: float,
    seconds: float,
    fields: str | None,
    twistd_args: tuple[str, ...] = (),
    observers: int = 0,
) -> Run:
    """One run: a fresh fake and proxy, then the Node.js clients for C{seconds}."""
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    fake = FakeVoyager(hz)
    proxy = Proxy(fake.port, env=proxy_env(clients), twistd_args=twistd_args)
    try:
        proxy.wait_ready()
        time.sleep(1.0)
        rss_idle = proxy.memory("VmRSS")
        query = f"?fields={fields}" if fields else ""
        owed_at_start = owed(proxy)
        cpu_at_start, started = proxy.cpu_seconds(), time.monotonic()
        url = f"ws://127.0.0.1:{proxy.port}/ws{query}"
        node = subprocess.Popen(
            ["node", script.name, url, str(clients), f"{seconds:g}"],
            cwd=script.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        watch = Observers(url, observers, seconds)
        watch.start()
        samples: list[float] = []
        sampling = threading.Event()

        def sample_rss() -> None:
            while not sampling.wait(0.5):
                samples.append(proxy.memory("VmRSS"))

        threading.Thread(target=sample_rss, daemon=True).start()
        assert node.stdout is not None
        out = node.stdout.readline()  # printed as the clients stop reading
        owed_total = owed(proxy) - owed_at_start
        sampling.set()
        cpu = (proxy.cpu_seconds() - cpu_at_start) / (time.monotonic() - started)
        node.wait(timeout=60)
        watch.join()
        owed_total -= len(watch.samples)  # the observers', as near as they tell (frames without a Timestamp aside)
        dropped = proxy.metrics(*DROPPED)
        report = json.loads(out)
        for problem in proxy.problems:
            print(f"proxy log, {clients:,} clients: {problem}", file=sys.stderr)
        return Run(
            clients,
            hz,
            fields,
            load,
            report["connected"],
            report["got"],
            int(owed_total),
            report["p50"],
            report["p99"],
            report["max"],
            rss_idle,
            max(samples, default=rss_idle),
            cpu,
            int(sum(dropped.values())),
            watch.per_second(),
        )
    finally:
        proxy.close()
        fake.close()


async def frame_sizes(port: int) -> dict[str, int]:
    """Bytes of one controlData frame in each C{?fields=} mode."""
    sizes: dict[str, int] = {}
    for mode in FIELDS:
        async with connect(f"ws://127.0.0.1:{port}/ws?fields={mode}", max_size=None, proxy=None) as client:
            while mode not in sizes:
                frame = await asyncio.wait_for(client.recv(decode=False), 10)
                if frame.startswith(b'{"event":"controlData"'):
                    sizes[mode] = len(frame)
    return sizes


def measure_sizes() -> dict[str, int]:
    fake = FakeVoyager(10)
    proxy = Proxy(fake.port)
    try:
        proxy.wait_ready()
        return asyncio.run(frame_sizes(proxy.port))
    finally:
        proxy.close()
        fake.close()


def profile(script: Path, clients: int, seconds: float, top: int) -> None:
    """One round under cProfile; the top entries by own time."""
    stats = Path(f"/tmp/voyager-proxy-fanout-{os.getpid()}.prof")
    run = measure(
        script, clients, 10, seconds, None, ("--profile", str(stats), "--profiler", "cprofile", "--savestats")
    )
    print(row(run))
    report = pstats.Stats(str(stats))
    report.sort_stats("tottime").print_stats(top)


HEADER = (
    "| Clients | Rate | Frame | Load 1/5/15 | Connected | Delivered | p50 ms | p99 ms | max ms"
    " | RSS MB idle / with clients | Proxy CPU | Coalesced + closed |"
)


def row(run: Run) -> str:
    rate = f"{run.hz:g} Hz" if run.hz >= 1 else f"1 every {1 / run.hz:g} s"
    cells = [
        f"{run.clients:,}",
        rate,
        run.fields or "default",
        run.load,
        f"{run.connected:,}",
        f"{run.delivered:.2%} ({run.got:,} / {run.owed:,})",
        run.p50,
        run.p99,
        run.max,
        f"{run.rss_idle:.0f} / {run.rss:.0f}",
        f"{run.cpu:.0%}",
        str(run.dropped),
    ]
    return "| " + " | ".join(cells) + " |"


def per_second_line(run: Run) -> str:
    cells = " ".join("-" if value is None else f"{value:.0f}" for value in run.per_second)
    steady = [value for value in run.per_second[3:] if value is not None]
    tail = f"; from second 3 on at most {max(steady):.0f}" if steady else ""
    return f"- {run.clients:,} clients, {run.hz:g} Hz, load {run.load}: {cells}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="500,1000", help="client counts of each round, comma separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--hz", type=float, default=10)
    parser.add_argument("--fields", choices=FIELDS, help="?fields= of the clients (default: none given)")
    parser.add_argument(
        "--cadence-clients", type=int, default=5000, help="clients at one ControlData every 2 s (0: skip)"
    )
    parser.add_argument(
        "--observers", type=int, default=10, help="extra clients timing each second (printed after the table; 0: none)"
    )
    parser.add_argument("--node-dir", type=Path, default=Path("/tmp/wsbench"))
    parser.add_argument("--profile", action="store_true", help="one profiled round of the largest client count")
    parser.add_argument("--top", type=int, default=20)
    options = parser.parse_args()
    raise_fd_limit()
    script = node_client(options.node_dir)
    counts = [int(count) for count in options.clients.split(",")]
    if options.profile:
        profile(script, max(counts), options.seconds, options.top)
        return
    started = time.monotonic()
    print(HEADER)
    print("|---" * HEADER.count(" | ") + "|---|")
    runs = []
    plan = [(count, options.hz) for _ in range(options.rounds) for count in counts]
    if options.cadence_clients:
        plan.append((options.cadence_clients, 0.5))
    for count, hz in plan:
        runs.append(measure(script, count, hz, options.seconds, options.fields, observers=options.observers))
        print(row(runs[-1]), flush=True)
    print()
    if options.observers:
        print(
            f"Observers' p99 ms of each second since the clients started ({options.observers} clients beside the"
            " harness's; the ramp is the first seconds):"
        )
        for run in runs:
            print(per_second_line(run))
        print()
    print("controlData frame, bytes: " + ", ".join(f"{mode} {size:,}" for mode, size in measure_sizes().items()))
    print(f"({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
