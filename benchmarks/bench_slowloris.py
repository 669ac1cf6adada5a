"""
``GET /health`` under attack: ``twistd voyager-proxy --simulator`` with the
shipped unit's descriptor limit (LimitNOFILE=4096), 1,000 dashboards connected
over WebSocket (two worker processes, asyncio and ``websockets``, reading
every frame) and 300 slowloris sockets (a header line every 5 s, never the end
of the headers; each reopened as soon as the daemon closes it, as the attack
does). Meanwhile a monitor opens a new connection for ``GET /health`` every
100 ms for 45 s, past one http.request_timeout (30 s), so the slowloris
sockets are cut and reopened during the measure. The monitor is a process of
its own; the dashboards and the attackers run at niceness 10 (they stand for
remote clients, and would otherwise take the daemon's CPU on a 2-core machine).

Target: every /health answered 200, p99 and max under 50 ms.

Run with ``.venv/bin/python benchmarks/bench_slowloris.py`` (about 75 s).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import socket
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests.support from the repository
from tests.support.daemon import Daemon  # noqa: E402

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "voyager-proxy.service"
DASHBOARDS = 1000
WORKERS = 2
SLOWLORIS = 300
PROBE_SECONDS = 45.0
PROBE_INTERVAL = 0.1
TARGET_MS = 50.0
# The load generators stand for remote clients: on a machine shared with the
# daemon they run at a lower priority, so that they take less of its CPU
# (remote clients would take none of it).
LOAD_NICENESS = 10


def unit_descriptor_limit() -> int:
    """The LimitNOFILE= of the shipped systemd unit."""
    for line in UNIT.read_text().splitlines():
        if line.startswith("LimitNOFILE="):
            return int(line.partition("=")[2])
    raise SystemExit(f"{UNIT} sets no LimitNOFILE")


# Dashboards, in worker processes.


async def dashboard(url: str, opened: list[int], gate: asyncio.Semaphore, stop: asyncio.Event) -> None:
    try:
        async with gate:
            client = await connect(url, open_timeout=60, max_size=None)
        opened[0] += 1
        async with client:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(client.recv(), timeout=1.0)
                except TimeoutError:
                    continue
    except (OSError, WebSocketException, TimeoutError):
        opened[1] += 1


async def dashboards(url: str, count: int, control: Connection) -> None:
    opened = [0, 0]
    stop = asyncio.Event()
    gate = asyncio.Semaphore(50)
    tasks = [asyncio.create_task(dashboard(url, opened, gate, stop)) for _ in range(count)]
    while opened[0] + opened[1] < count:
        await asyncio.sleep(0.1)
    control.send(tuple(opened))
    await asyncio.get_running_loop().run_in_executor(None, control.recv)  # until told to stop
    stop.set()
    await asyncio.gather(*tasks)
    control.send(tuple(opened))


def dashboard_worker(url: str, count: int, control: Connection) -> None:
    os.nice(LOAD_NICENESS)
    asyncio.run(dashboards(url, count, control))


# Slowloris and the monitor, in this process.


async def slowloris(port: int, stop: asyncio.Event, counts: dict[str, int]) -> None:
    """One attacking socket, reopened whenever the daemon closes it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["refused"] += 1
            await asyncio.sleep(0.5)
            continue
        counts["open"] += 1
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            while not stop.is_set():
                await writer.drain()
                try:
                    if not await asyncio.wait_for(reader.read(4096), timeout=5.0):
                        break  # closed by the daemon
                    while await reader.read(4096):
                        pass
                    break
                except TimeoutError:
                    writer.write(b"X-Slow: a\r\n")
        except OSError:
            pass
        counts["open"] -= 1
        counts["cut"] += 1
        writer.close()


def probe(port: int) -> float:
    """Milliseconds for one GET /health on a new connection; raises unless 200."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5.0) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    took = (time.perf_counter() - started) * 1000
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"/health answered {answer[:40]!r}")
    return took


def monitor(port: int, control: Connection) -> None:
    """A process of its own, so the attackers' event loop never delays the measure: GET /health every 100 ms."""
    control.recv()  # go
    latencies: list[tuple[float, float]] = []
    failures: list[str] = []
    started = time.monotonic()
    while time.monotonic() - started < PROBE_SECONDS:
        try:
            latencies.append((time.monotonic() - started, probe(port)))
        except (OSError, RuntimeError) as problem:
            failures.append(repr(problem))
        time.sleep(PROBE_INTERVAL)
    control.send((latencies, failures))


async def attack(port: int, sockets: int, control: Connection) -> dict[str, int]:
    """Keep C{sockets} slowloris sockets open while the monitor measures."""
    stop = asyncio.Event()
    counts = {"open": 0, "cut": 0, "refused": 0}
    attackers = [asyncio.create_task(slowloris(port, stop, counts)) for _ in range(sockets)]
    while counts["open"] < sockets:
        await asyncio.sleep(0.1)
    control.send("go")
    await asyncio.get_running_loop().run_in_executor(None, control.poll, PROBE_SECONDS + 30)
    stop.set()
    await asyncio.gather(*attackers)
    return counts


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    wanted = dict(arg.split("=") for arg in sys.argv[1:])  # dashboards=N slowloris=N, to measure each alone
    dashboards_wanted = int(wanted.get("dashboards", DASHBOARDS))
    sockets = int(wanted.get("slowloris", SLOWLORIS))
    limit = unit_descriptor_limit()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))  # twistd inherits the unit's limit
    daemon = Daemon.start("--simulator")
    try:
        url = f"ws://127.0.0.1:{daemon.port}/ws"
        pipes = []
        for _ in range(WORKERS if dashboards_wanted else 0):
            ours, theirs = multiprocessing.Pipe()
            worker = multiprocessing.Process(target=dashboard_worker, args=(url, dashboards_wanted // WORKERS, theirs))
            worker.start()
            pipes.append((ours, worker))
        opened = [ours.recv() for ours, _ in pipes]
        connected = sum(done for done, _ in opened)
        print(f"descriptor limit {limit}; dashboards connected: {connected} of {dashboards_wanted}")
        ours, theirs = multiprocessing.Pipe()
        watcher = multiprocessing.Process(target=monitor, args=(daemon.port, theirs))
        watcher.start()
        os.nice(LOAD_NICENESS)  # after the daemon and the monitor started: they keep their priority
        counts = asyncio.run(attack(daemon.port, sockets, ours))
        timed, failures = ours.recv()
        watcher.join(timeout=30)
        latencies = [took for _, took in timed]
        for at, took in timed:
            if took > TARGET_MS:
                print(f"  /health at {at:.1f} s took {took:.0f} ms")
        for ours, worker in pipes:
            ours.send("stop")
            still = ours.recv()
            worker.join(timeout=30)
            if still[1]:
                failures.append(f"{still[1]} dashboards dropped")
        print(
            f"slowloris sockets: {sockets} kept open, {counts['cut']} cut by the daemon"
            f" (request deadline), {counts['refused']} connections refused"
        )
        print(
            f"GET /health x{len(latencies)}: p50 {percentile(latencies, 0.5):.1f} ms,"
            f" p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
        )
        ok = not failures and connected == dashboards_wanted and max(latencies) < TARGET_MS
        print(("PASS" if ok else "FAIL") + f" (target: every /health 200 within {TARGET_MS:g} ms)")
        for failure in failures[:10]:
            print("  ", failure)
        if "Traceback" in daemon.text():
            print("the daemon logged a traceback")
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
