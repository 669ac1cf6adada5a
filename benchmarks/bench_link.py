"""
Voyager link benchmarks: ControlData throughput, NewJPGReady lines of 2 MB,
8 MiB and 16 MiB, a line over the limit skipped, and command round trip to
the simulator over loopback TCP.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_link.py``).
Targets on a 2-core machine: >= 20,000 ControlData lines/s, <= 25 ms for the
2 MB line, long lines linear in their size (16 MiB within 10 times the 2 MB
figure, read or skipped), round trip p50 < 1 ms.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import time
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IConnector
from twisted.internet.task import deferLater, react
from twisted.internet.testing import MemoryReactorClock, StringTransport
from zope.interface import implementer

from voyager_proxy.config import VoyagerSettings
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.voyager.link import VoyagerLink

CHUNK = 65536
VERSION = (
    b'{"Event":"Version","Timestamp":1795484593.57388,"Host":"OBS1","Inst":1,'
    b'"VOYVersion":"Release 2.3.14","VOYSubver":"","MsgVersion":1}\r\n'
)
CONTROL_DATA = {
    "Event": "ControlData",
    "Timestamp": 1795484595.1,
    "Host": "OBS1",
    "Inst": 1,
    "TI": "2026-11-24 02:43:15",
    "TIUTC": "2026-11-24 01:43:15",
    "VOYSTAT": 1,
    "SETUPCONN": True,
    "CCDCONN": True,
    "CCDTEMP": -9.8,
    "CCDSETP": -10,
    "CCDPOW": 43,
    "CCDCOOL": True,
    "CCDSTAT": 5,
    "MNTCONN": True,
    "MNTPARK": False,
    "MNTTRACK": True,
    "MNTSLEW": False,
    "MNTRA": "02:49:50",
    "MNTDEC": "47\u00b0 20' 07\"",
    "MNTRAJ2000": "02:48:30",
    "MNTDECJ2000": "47\u00b0 14' 01\"",
    "MNTAZ": "120\u00b0 10' 00\"",
    "MNTALT": "55\u00b0 01' 00\"",
    "MNTPIER": "pierEast",
    "MNTTFLIP": "-01:10:00",
    "MNTSFLIP": 0,
    "AFCONN": True,
    "AFTEMP": 8.4,
    "AFPOS": 12000,
    "GUIDECONN": True,
    "GUIDESTAT": 2,
    "DITHSTAT": 0,
    "GUIDEX": 0.31,
    "GUIDEY": -0.22,
    "PLACONN": True,
    "PSCONN": True,
    "SEQNAME": "M42",
    "RUNSEQ": "m42.s2q",
    "SEQSTART": "22:00:00",
    "SEQREMAIN": "01:20:00",
    "SEQEND": "23:59:00",
    "SEQTOT": 7200,
    "SEQPARZ": 2400,
    "RUNDS": "",
    "DRAGNAME": "",
    "ROTCONN": False,
    "ROTPA": -123456789,
    "ROTSKYPA": -123456789,
    "ROTISROT": False,
}


def ready_link(**settings: Any) -> tuple[VoyagerLink, Any, MemoryReactorClock]:
    """A link in READY state over an in-memory transport."""
    clock = MemoryReactorClock()
    holder: dict[str, Any] = {}

    @implementer(IConnector)
    class Connector:
        def connect(self) -> None:
            pass

        def stopConnecting(self) -> None:
            pass

        def disconnect(self) -> None:
            pass

        def getDestination(self) -> IPv4Address:
            return IPv4Address("TCP", "127.0.0.1", 5950)

    def connect(factory: Any) -> Connector:
        holder["factory"] = factory
        return Connector()

    link = VoyagerLink(clock, VoyagerSettings(**settings), connect)
    link.startService()
    protocol = holder["factory"].buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    protocol.dataReceived(VERSION)
    request = json.loads(transport.value().split(b"\r\n")[0])
    protocol.dataReceived(json.dumps({"jsonrpc": "2.0", "result": 0, "id": request["id"]}).encode() + b"\r\n")
    assert link.status.ready
    return link, protocol, clock


def bench_control_data(count: int = 100_000) -> float:
    link, protocol, _ = ready_link()
    seen = [0]
    link.events.subscribe(lambda event: seen.__setitem__(0, seen[0] + 1))
    line = json.dumps(CONTROL_DATA, ensure_ascii=False).encode() + b"\r\n"
    stream = line * count
    start = time.perf_counter()
    for offset in range(0, len(stream), CHUNK):
        protocol.dataReceived(stream[offset : offset + CHUNK])
    elapsed = time.perf_counter() - start
    assert seen[0] == count and link.cache.snapshot()["controlData"] is not None
    return count / elapsed


def jpeg_line(size: int) -> bytes:
    """A NewJPGReady line whose base64 image is C{size} bytes."""
    payload = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    return (
        json.dumps(
            {
                "Event": "NewJPGReady",
                "Timestamp": 1.0,
                "Host": "OBS1",
                "Inst": 1,
                "File": "C:\\a.fit",
                "SequenceTarget": "",
                "TimeInfo": 1.0,
                "Expo": 3,
                "Bin": 1,
                "Filter": "L",
                "HFD": 2.7,
                "StarIndex": 6.1,
                "PixelDimX": 1200,
                "PixelDimY": 800,
                "Base64Data": payload,
            }
        ).encode()
        + b"\r\n"
    )


def feed(protocol: Any, line: bytes) -> float:
    """Milliseconds to hand C{line} to the link in 64 KiB reads."""
    start = time.perf_counter()
    for offset in range(0, len(line), CHUNK):
        protocol.dataReceived(line[offset : offset + CHUNK])
    return (time.perf_counter() - start) * 1000


def bench_jpeg_line(size: int = 2 * 1024 * 1024, repeats: int = 20) -> list[float]:
    """Reading one NewJPGReady line of C{size} bytes, through parsing and the cache."""
    link, protocol, _ = ready_link(max_line_bytes=max(16 * 1024 * 1024, 2 * size))
    seen: list[str] = []
    link.events.subscribe(lambda event: seen.append(event.name))
    line = jpeg_line(size)
    timings = []
    for repeat in range(repeats):
        timings.append(feed(protocol, line))
        assert seen.count("NewJPGReady") == repeat + 1 and link.cache.snapshot()["preview"] is not None
    return timings


def bench_skipped_line(size: int = 16 * 1024 * 1024, repeats: int = 5) -> list[float]:
    """Skipping one line just over the default 16 MiB limit; the next line is still read."""
    link, protocol, _ = ready_link()
    seen: list[str] = []
    link.events.subscribe(lambda event: seen.append(event.name))
    line = jpeg_line(size) + b'{"Event":"Polling","Timestamp":1,"Host":"OBS1","Inst":1}\r\n'
    timings = []
    for repeat in range(repeats):
        timings.append(feed(protocol, line))
        assert seen == ["Polling"] * (repeat + 1), seen[-3:]
    return timings


def main() -> None:
    rate = bench_control_data()
    print(f"ControlData lines parsed and dispatched: {rate:,.0f} lines/s (target >= 20,000)")
    timings = bench_jpeg_line()
    two_mb = statistics.median(timings)
    print(f"2 MB NewJPGReady line: median {two_mb:.1f} ms, max {max(timings):.1f} ms (target <= 25 ms)")
    for mib, repeats in ((8, 5), (16, 5)):
        timings = bench_jpeg_line(mib * 1024 * 1024, repeats)
        print(
            f"{mib} MiB NewJPGReady line: median {statistics.median(timings):.1f} ms,"
            f" max {max(timings):.1f} ms (target 16 MiB <= {10 * two_mb:.0f} ms, 10 x 2 MB)"
        )
    timings = bench_skipped_line()
    print(
        f"16 MiB line over the 16 MiB limit, skipped: median {statistics.median(timings):.1f} ms,"
        f" max {max(timings):.1f} ms (target <= {10 * two_mb:.0f} ms)"
    )
    react(bench_round_trip)


async def bench_round_trip(reactor: Any, count: int = 3000) -> None:
    """Sequential RemoteGetStatus commands: send to final RemoteActionResult."""
    simulator = VoyagerSimulator(reactor, SimulatorSettings())
    port = reactor.listenTCP(0, simulator, interface="127.0.0.1")
    link = VoyagerLink(
        reactor,
        VoyagerSettings(),
        lambda factory: reactor.connectTCP("127.0.0.1", port.getHost().port, factory),
    )
    link.startService()
    while not link.status.ready:
        await deferLater(reactor, 0.01)
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        await link.send("RemoteGetStatus")
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(
        f"command round trip to the simulator over loopback ({count} commands):"
        f" p50 {p50:.3f} ms, p99 {p99:.3f} ms (target p50 < 1 ms)"
    )
    await link.stopService()
    simulator.shutdown()
    await port.stopListening()


if __name__ == "__main__":
    main()
