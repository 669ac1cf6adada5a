"""
Preview benchmarks: ``twistd voyager-proxy`` fed by ``feeder.py`` (the
simulator's 3000 x 2000 star field, a 2 MB JPEG, different bytes each time)
with 100 dashboards in 4 worker processes, all on loopback. The same run is
made twice, side by side: dashboards in the default ``url`` mode (an
``imageReady`` notice per preview) and in ``inline`` mode (the ``newJPG`` frame
with the base64 JPEG). Targets on a 2-core machine:

1. ``url`` mode: WebSocket bytes per preview per dashboard < 1 KB;
   notice latency (feeder writes the line -> dashboard reads the frame) p99 < 20 ms;
2. ``GET /api/images/{id}.jpg?w=640``: p99 < 50 ms after the first (which downscales);
3. the original to 100 clients fetching it at once: every one complete (figures: p50, p99, all done);
4. proxy RSS peak < images.max_bytes (128 MiB) + 100 MB.

The HTTP figures are taken after each stream, on the latest image, by the
driver (asyncio, one connection per request). RSS peak is the twistd process's
VmHWM over the whole run, fetches included.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_images.py``).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from array import array
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: bench_push beside it
from bench_push import (  # noqa: E402
    EVENT,
    HEAD_BYTES,
    RAMP_CONCURRENCY,
    SENT_AT,
    SETTLE_SECONDS,
    open_dashboard,
    open_readers,
    raise_fd_limit,
    start,
)

DASHBOARDS = 100
PREVIEWS = 15  # at 1 Hz
FETCHES = 100
MAX_BYTES_MB = 128
NOTICE_TIME = re.compile(rb'"time":([0-9.]+)')


@dataclass(frozen=True)
class Outcome:
    mode: str
    sent: int
    connected: int
    frames: int
    frame_bytes: int
    latencies: list[float]  # ms, sorted
    first_thumb: float  # ms
    thumbs: list[float]  # ms, sorted: ?w=640 after the first
    originals: list[float]  # ms, sorted: 100 fetches at once
    originals_done: float  # ms until the last finished
    originals_complete: int
    rss_idle: float
    rss_peak: float
    problems: list[str]

    @property
    def bytes_per_preview(self) -> float:
        return self.frame_bytes / (self.sent * self.connected) if self.sent and self.connected else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


# Dashboard processes.


async def read_previews(dashboard: ClientConnection, record: tuple[array[float], list[int]]) -> None:
    """Count the bytes of every preview frame and record its latency, until the connection closes."""
    latencies, totals = record
    try:
        while True:
            frame = await dashboard.recv(decode=False)
            received = time.time()
            head = frame[:HEAD_BYTES]
            event = EVENT.search(head)
            if event is None or event.group(1) not in (b"imageReady", b"newJPG"):
                continue
            sent = (NOTICE_TIME if event.group(1) == b"imageReady" else SENT_AT).search(head)
            totals[0] += 1
            totals[1] += len(frame)
            if sent:
                latencies.append((received - float(sent.group(1))) * 1000)
    except ConnectionClosed:
        pass


async def dashboards(url: str, count: int, control: Connection) -> None:
    gate = asyncio.Semaphore(RAMP_CONCURRENCY)
    opened = await asyncio.gather(*(open_dashboard(url, gate) for _ in range(count)))
    latencies: array[float] = array("d")
    totals = [0, 0]  # frames, bytes
    readers = [asyncio.create_task(read_previews(d, (latencies, totals))) for d in opened if d is not None]
    control.send(len(readers))
    await asyncio.get_running_loop().run_in_executor(None, control.recv)
    for reader in readers:
        reader.cancel()
    control.send((latencies, totals))


def reader_worker(url: str, count: int, control: Connection) -> None:
    raise_fd_limit()
    asyncio.run(dashboards(url, count, control))


# HTTP, from the driver.


async def fetch(port: int, path: str) -> tuple[int, bytes, float]:
    """(status, body, milliseconds) of one GET on a connection of its own."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())  # 1.0: never chunked
    response = await reader.read(-1)
    writer.close()
    elapsed = (time.perf_counter() - started) * 1000
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, elapsed


async def measure_http(port: int) -> tuple[float, list[float], list[float], float, int]:
    """First ?w=640, the next ones, then the original fetched by FETCHES clients at once."""
    status, body, _ = await fetch(port, "/api/images?limit=1")
    assert status == 200, body
    latest = json.loads(body)["images"][0]
    status, thumb, first = await fetch(port, latest["url"] + "?w=640")
    assert status == 200 and thumb[:2] == b"\xff\xd8", status
    thumbs = sorted([(await fetch(port, latest["url"] + "?w=640"))[2] for _ in range(FETCHES)])
    started = time.perf_counter()
    answers = await asyncio.gather(*(fetch(port, latest["url"]) for _ in range(FETCHES)))
    done = (time.perf_counter() - started) * 1000
    complete = sum(1 for status, body, _ in answers if status == 200 and len(body) == latest["bytes"])
    return first, thumbs, sorted(ms for _, _, ms in answers), done, complete


def run(mode: str) -> Outcome:
    with ExitStack() as stack:
        feeder, proxy, rss_idle = start(stack)
        readers, connected = open_readers(stack, proxy.port, DASHBOARDS, mode, reader_worker)
        sent = feeder.stream("NewJPGReady", 1, PREVIEWS)
        time.sleep(SETTLE_SECONDS)
        for control in readers:
            control.send("stop")
        reports = [control.recv() for control in readers]
        first, thumbs, originals, done, complete = asyncio.run(measure_http(proxy.port))
        return Outcome(
            mode=mode,
            sent=sent,
            connected=connected,
            frames=sum(totals[0] for _, totals in reports),
            frame_bytes=sum(totals[1] for _, totals in reports),
            latencies=sorted(latency for latencies, _ in reports for latency in latencies),
            first_thumb=first,
            thumbs=thumbs,
            originals=originals,
            originals_done=done,
            originals_complete=complete,
            rss_idle=rss_idle,
            rss_peak=proxy.memory("VmHWM"),
            problems=proxy.problems,
        )


HEADER = (
    "| Mode | Previews x dashboards | Frames read | WS bytes per preview per dashboard"
    " | Notice p50 / p99 ms | ?w=640 first / p50 / p99 ms | Original x 100 at once p50 / p99 / all ms"
    " | Proxy RSS MB idle / peak |"
)


def row(outcome: Outcome) -> str:
    cells = [
        outcome.mode,
        f"{outcome.sent} x {outcome.connected}",
        f"{outcome.frames:,}",
        f"{outcome.bytes_per_preview:,.0f}",
        f"{percentile(outcome.latencies, 0.5):.1f} / {percentile(outcome.latencies, 0.99):.1f}",
        f"{outcome.first_thumb:.0f} / {percentile(outcome.thumbs, 0.5):.1f} / {percentile(outcome.thumbs, 0.99):.1f}",
        f"{percentile(outcome.originals, 0.5):.0f} / {percentile(outcome.originals, 0.99):.0f}"
        f" / {outcome.originals_done:.0f}",
        f"{outcome.rss_idle:.0f} / {outcome.rss_peak:.0f}",
    ]
    return "| " + " | ".join(cells) + " |"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def summary(url: Outcome) -> list[str]:
    p99 = percentile(url.latencies, 0.99)
    thumbs = percentile(url.thumbs, 0.99)
    cap = MAX_BYTES_MB + 100
    return [
        f"url mode: {url.bytes_per_preview:,.0f} B per preview per dashboard (< 1 KB)"
        f" {verdict(url.bytes_per_preview < 1024)}, notice p99 {p99:.1f} ms (< 20 ms) {verdict(p99 < 20)}",
        f"?w=640 after the first: p99 {thumbs:.1f} ms (< 50 ms) {verdict(thumbs < 50)}",
        f"original to {FETCHES} at once: {url.originals_complete} complete"
        f" {verdict(url.originals_complete == FETCHES)}, all done in {url.originals_done:.0f} ms",
        f"proxy RSS peak {url.rss_peak:.0f} MB (< {cap} MB) {verdict(url.rss_peak < cap)}",
    ]


def main() -> None:
    raise_fd_limit()
    started = time.monotonic()
    outcomes = [run(mode) for mode in ("url", "inline")]
    print(HEADER)
    print("|---" * HEADER.count(" | ") + "|---|")
    for outcome in outcomes:
        print(row(outcome))
    print()
    for line in summary(outcomes[0]):
        print(line)
    for outcome in outcomes:
        for problem in outcome.problems:
            print(f"proxy log, {outcome.mode} mode: {problem}")
    print(f"({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
