"""
WebSocket push benchmarks: ``twistd voyager-proxy`` fed by a fake Voyager
(``feeder.py``, faster than the real one) with dashboards in separate processes
(4 workers, asyncio and ``websockets``), all on loopback. Targets on a 2-core machine:

1. 1,000 dashboards, ControlData at 10 Hz for 20 s: >= 99.9 % delivered,
   latency (feeder writes the line -> dashboard reads the frame) p99 < 100 ms,
   proxy RSS peak < 150 MB;
2. 100 dashboards, a 2 MB NewJPGReady at 1 Hz for 15 s, sent inline (``?previews=inline``,
   the whole base64 JPEG in each frame): all delivered, proxy RSS peak < 300 MB
   (``bench_images.py`` sets the default ``url`` mode beside it);
3. 200 dashboards at 10 Hz, then the same with 10 more that never read
   (small receive buffer, handshake then silence): the readers' p99 moves <= 10 %.
   Three 2 MB previews go out inline before the readers connect, so the silent ones'
   sockets are already full (the kernel alone would absorb about 4 MB each,
   minutes of ControlData) and the proxy holds them back during the stream;
4. proxy RSS idle (Voyager session ready, no dashboard) and with 1,000 dashboards.

Each run has its own proxy and feeder. Delivered = frames of the streamed topic
read by the dashboards / (events the feeder sent x dashboards connected); the
dashboards connect before the stream starts. RSS is the twistd process's
VmRSS; its peak is VmHWM.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_push.py``).
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import re
import resource
import socket
import subprocess
import sys
import time
from array import array
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests.support from the repository
from tests.support.daemon import Daemon  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FEEDER = str(Path(__file__).resolve().parent / "feeder.py")
PROBLEM = re.compile(r"#(?:warn|error|critical)\]|Traceback|Unhandled")
EVENT = re.compile(rb'"event":"(\w+)"')
SENT_AT = re.compile(rb'"Timestamp":([0-9.]+)')
HEAD_BYTES = 512  # where a frame's event name and Voyager Timestamp are found
MEASURED = {b"controlData", b"newJPG"}
PROXY_ENV = {"VOYAGER_PROXY_WEBSOCKET_MAX_CLIENTS": "2000", "VOYAGER_PROXY_VOYAGER_HOST": "127.0.0.1"}
WORKERS = 4
RAMP_CONCURRENCY = 20  # handshakes in flight per worker
SETTLE_SECONDS = 3.0  # after the last event, for the fan-out to finish
STALLED_RCVBUF = 4096
PREFILL_RATE = 2.0


@dataclass(frozen=True)
class Scenario:
    name: str
    event: str  # the Voyager event streamed
    rate: float
    seconds: float
    readers: int
    stalled: int = 0
    prefill: int = 0  # previews sent before the readers connect


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    sent: int
    connected: int
    latencies: list[float]  # ms, sorted: one per frame read
    closed: int  # reader connections that failed to open or were lost
    rss_idle: float
    rss_connected: float
    rss_peak: float
    cpu: float  # proxy CPU while streaming, fraction of one core
    dashboards_cpu: float  # the dashboard processes' CPU, all together, fraction of one core
    metrics: dict[str, float]  # /metrics: clients closed by the proxy, frames coalesced
    problems: list[str]  # warnings and errors in the proxy log

    @property
    def delivered(self) -> float:
        expected = self.sent * self.connected
        return len(self.latencies) / expected if expected else 0.0

    def percentile(self, fraction: float) -> float:
        values = self.latencies
        return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Feeder:
    """``feeder.py`` in its own process, driven over stdin/stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, FEEDER], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.port = int(self._answer("port"))

    def _answer(self, word: str) -> str:
        assert self.process.stdout is not None
        name, _, value = self.process.stdout.readline().partition(" ")
        if name != word:
            raise SystemExit(f"the feeder said {name!r}, expected {word!r}")
        return value

    def stream(self, event: str, rate: float, count: int) -> int:
        """Stream C{count} events; return how many reached the proxy."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"stream {event} {rate} {count}\n")
        self.process.stdin.flush()
        return int(self._answer("sent"))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


class Proxy:
    """``twistd voyager-proxy`` (L{Daemon}) connected to the feeder, its log scanned for problems."""

    def __init__(self, voyager_port: int, env: dict[str, str] | None = None, twistd_args: tuple[str, ...] = ()) -> None:
        self.daemon = Daemon.start(
            env={**PROXY_ENV, **(env or {}), "VOYAGER_PROXY_VOYAGER_PORT": str(voyager_port)},
            twistd_args=twistd_args,
            ready=False,
        )
        self.process = self.daemon.process
        self.port = self.daemon.port

    @property
    def problems(self) -> list[str]:
        """Warnings and errors in the log so far."""
        return [line.rstrip() for line in list(self.daemon.log) if PROBLEM.search(line)]

    def get(self, path: str) -> tuple[int, str]:
        return self.daemon.get(path)

    def wait_ready(self) -> None:
        self.daemon.wait_ready()

    def metrics(self, *names: str) -> dict[str, float]:
        """Each named metric from /metrics, summed over its labels."""
        text = self.get("/metrics")[1]
        return {
            name: sum(float(value) for value in re.findall(rf"^{name}(?:_total)?(?:{{[^}}]*}})? (\S+)$", text, re.M))
            for name in names
        }

    def memory(self, field: str) -> float:
        """C{VmRSS} or C{VmHWM} of the daemon, MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
        assert match is not None
        return int(match.group(1)) / 1024

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.daemon.stop()


# Dashboard processes.


async def open_dashboard(url: str, gate: asyncio.Semaphore) -> ClientConnection | None:
    """A connection that has read its initialState, or None."""
    async with gate:
        try:
            dashboard = await connect(url, max_size=None, compression=None, proxy=None, open_timeout=60)
            first = await dashboard.recv(decode=False)
        except (OSError, TimeoutError, WebSocketException):
            return None
    event = EVENT.search(first[:HEAD_BYTES])
    return dashboard if event and event.group(1) == b"initialState" else None


async def read_frames(dashboard: ClientConnection, latencies: array[float], closed: list[int]) -> None:
    """Record the latency of every measured frame until the connection closes."""
    try:
        while True:
            frame = await dashboard.recv(decode=False)
            received = time.time()
            head = frame[:HEAD_BYTES]
            event, sent = EVENT.search(head), SENT_AT.search(head)
            if event and sent and event.group(1) in MEASURED:
                latencies.append((received - float(sent.group(1))) * 1000)
    except ConnectionClosed:
        closed[0] += 1


async def dashboards(url: str, count: int, control: Connection) -> None:
    """Open C{count} dashboards, say how many opened, read until told to stop, then report."""
    gate = asyncio.Semaphore(RAMP_CONCURRENCY)
    opened = await asyncio.gather(*(open_dashboard(url, gate) for _ in range(count)))
    latencies: array[float] = array("d")
    closed = [0]
    readers = [asyncio.create_task(read_frames(d, latencies, closed)) for d in opened if d is not None]
    control.send(len(readers))
    cpu = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, control.recv)
    for reader in readers:
        reader.cancel()
    control.send((latencies, closed[0], time.process_time() - cpu))


def reader_worker(url: str, count: int, control: Connection) -> None:
    """Process: C{count} dashboards (see L{dashboards})."""
    raise_fd_limit()
    asyncio.run(dashboards(url, count, control))


def stalled_dashboard(port: int, query: str = "?previews=inline") -> socket.socket:
    """A WebSocket connection to C{/ws}C{query} that completes its handshake and never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALLED_RCVBUF)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    if not response.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"stalled dashboard refused: {response!r}")
    return sock


def stalled_worker(port: int, count: int, control: Connection) -> None:
    """Process: C{count} stalled dashboards, held until told to stop."""
    raise_fd_limit()
    held = [stalled_dashboard(port) for _ in range(count)]
    control.send(len(held))
    control.recv()


# The driver.


def spawn(stack: ExitStack, target: Callable[..., None], *args: Any) -> Connection:
    """Start C{target} in its own process; return the driver's end of its control pipe."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=target, args=(*args, theirs), daemon=True)
    process.start()
    theirs.close()
    stack.callback(process.join, 10)
    return mine


def shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def open_stalled(stack: ExitStack, port: int, count: int) -> list[Connection]:
    """C{count} stalled dashboards, connected; the pipe that stops them."""
    if not count:
        return []
    control = spawn(stack, stalled_worker, port, count)
    if control.recv() != count:
        raise SystemExit("a stalled dashboard did not connect")
    return [control]


def open_readers(
    stack: ExitStack,
    port: int,
    count: int,
    previews: str = "inline",
    worker: Callable[[str, int, Connection], None] = reader_worker,
) -> tuple[list[Connection], int]:
    """
    C{count} dashboards over C{worker} processes; their pipes, and how many
    connected. Inline previews by default: the previews scenario measures newJPG frames.
    """
    url = f"ws://127.0.0.1:{port}/ws?previews={previews}"
    controls = [spawn(stack, worker, url, share) for share in shares(count, WORKERS)]
    return controls, sum(control.recv() for control in controls)


def start(stack: ExitStack) -> tuple[Feeder, Proxy, float]:
    """A fresh feeder and a proxy connected to it, settled (closed with C{stack}); and the proxy's idle RSS."""
    feeder = Feeder()
    stack.callback(feeder.close)
    proxy = Proxy(feeder.port)
    stack.callback(proxy.close)
    proxy.wait_ready()
    time.sleep(1.0)
    return feeder, proxy, proxy.memory("VmRSS")


def run(scenario: Scenario) -> Outcome:
    """One run: a fresh feeder and proxy, the dashboards, then the stream."""
    with ExitStack() as stack:
        feeder, proxy, rss_idle = start(stack)
        stalled = open_stalled(stack, proxy.port, scenario.stalled)
        if scenario.prefill:
            feeder.stream("NewJPGReady", PREFILL_RATE, scenario.prefill)
        readers, connected = open_readers(stack, proxy.port, scenario.readers)
        rss_connected = proxy.memory("VmRSS")
        proxy_cpu, started = proxy.cpu_seconds(), time.monotonic()
        sent = feeder.stream(scenario.event, scenario.rate, round(scenario.rate * scenario.seconds))
        proxy_cpu = (proxy.cpu_seconds() - proxy_cpu) / (time.monotonic() - started)
        time.sleep(SETTLE_SECONDS)
        for control in readers + stalled:
            control.send("stop")
        reports = [control.recv() for control in readers]
        window = time.monotonic() - started
        return Outcome(
            scenario=scenario,
            sent=sent,
            connected=connected,
            latencies=sorted(latency for latencies, _, _ in reports for latency in latencies),
            closed=sum(closed for _, closed, _ in reports) + scenario.readers - connected,
            rss_idle=rss_idle,
            rss_connected=rss_connected,
            rss_peak=proxy.memory("VmHWM"),
            cpu=proxy_cpu,
            dashboards_cpu=sum(seconds for _, _, seconds in reports) / window,
            metrics=proxy.metrics("voyager_proxy_websocket_closed", "voyager_proxy_websocket_coalesced"),
            problems=proxy.problems,
        )


HEADER = (
    "| Scenario | Dashboards | Sent x connected | Delivered | p50 ms | p99 ms | max ms"
    " | Proxy RSS MB idle / connected / peak | Proxy CPU | Dashboards CPU"
    " | Lost (client side) | Closed by proxy | Coalesced |"
)


def row(outcome: Outcome) -> str:
    s = outcome.scenario
    clients = f"{s.readers:,}" + (f" + {s.stalled} stalled" if s.stalled else "")
    cells = [
        s.name,
        clients,
        f"{outcome.sent} x {outcome.connected:,}",
        f"{outcome.delivered:.3%}",
        f"{outcome.percentile(0.5):.1f}",
        f"{outcome.percentile(0.99):.1f}",
        f"{outcome.percentile(1):.1f}",
        f"{outcome.rss_idle:.0f} / {outcome.rss_connected:.0f} / {outcome.rss_peak:.0f}",
        f"{outcome.cpu:.0%}",
        f"{outcome.dashboards_cpu:.0%}",
        str(outcome.closed),
        *(f"{value:.0f}" for value in outcome.metrics.values()),
    ]
    return "| " + " | ".join(cells) + " |"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def summary(fan_out: Outcome, previews: Outcome, alone: Outcome, beside_stalled: Outcome) -> list[str]:
    """One line per target."""
    p99 = fan_out.percentile(0.99)
    change = beside_stalled.percentile(0.99) / alone.percentile(0.99) - 1
    return [
        f"1,000 dashboards: delivered {fan_out.delivered:.3%} (>= 99.9 %) {verdict(fan_out.delivered >= 0.999)},"
        f" p99 {p99:.1f} ms (< 100 ms) {verdict(p99 < 100)},"
        f" RSS peak {fan_out.rss_peak:.0f} MB (< 150 MB) {verdict(fan_out.rss_peak < 150)}",
        f"2 MB previews: delivered {previews.delivered:.3%} (all) {verdict(previews.delivered == 1)},"
        f" RSS peak {previews.rss_peak:.0f} MB (< 300 MB) {verdict(previews.rss_peak < 300)}",
        f"10 stalled dashboards: readers' p99 {alone.percentile(0.99):.1f} ->"
        f" {beside_stalled.percentile(0.99):.1f} ms, {change:+.0%} (<= +10 %) {verdict(change <= 0.10)}",
        f"proxy RSS: idle {fan_out.rss_idle:.0f} MB, with 1,000 dashboards {fan_out.rss_connected:.0f} MB",
    ]


def main() -> None:
    raise_fd_limit()
    scenarios = [
        Scenario("ControlData 10 Hz", "ControlData", 10, 20, 1000),
        Scenario("NewJPGReady 2 MB 1 Hz", "NewJPGReady", 1, 15, 100),
        Scenario("ControlData 10 Hz", "ControlData", 10, 20, 200, prefill=3),
        Scenario("ControlData 10 Hz", "ControlData", 10, 20, 200, stalled=10, prefill=3),
    ]
    started = time.monotonic()
    outcomes = [run(scenario) for scenario in scenarios]
    print(HEADER)
    print("|---" * HEADER.count(" | ") + "|---|")
    for outcome in outcomes:
        print(row(outcome))
    print()
    for line in summary(*outcomes):
        print(line)
    for outcome in outcomes:
        for problem in outcome.problems:
            print(f"proxy log, {outcome.scenario.name}, {outcome.scenario.readers:,} dashboards: {problem}")
    print(f"({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
