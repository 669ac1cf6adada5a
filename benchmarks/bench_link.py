"""
Voyager link benchmarks: ControlData throughput, one 2 MB NewJPGReady line,
and command round trip to the simulator over loopback TCP.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_link.py``).
Targets on a 2-core machine: >= 20,000 ControlData lines/s, <= 25 ms for the
2 MB line, round trip p50 < 1 ms.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import time
from typing import Any

from twisted.internet.task import deferLater, react
from twisted.internet.testing import MemoryReactorClock, StringTransport

from voyager_proxy.config import VoyagerSettings
from voyager_proxy.simulator import SimulatorSettings, VoyagerSimulator
from voyager_proxy.voyager.link import VoyagerLink

CHUNK = 65536
VERSION = (
    b'{"Event":"Version","Timestamp":1795484593.57388,"Host":"OBS1","Inst":1,'
    b'"VOYVersion":"Release 2.3.14","VOYSubver":"","MsgVersion":1}\r\n'
)
CONTROL_DATA = {
    "Event": "ControlData", "Timestamp": 1795484595.1, "Host": "OBS1", "Inst": 1,
    "TI": "2026-11-24 02:43:15", "TIUTC": "2026-11-24 01:43:15", "VOYSTAT": 1, "SETUPCONN": True,
    "CCDCONN": True, "CCDTEMP": -9.8, "CCDSETP": -10, "CCDPOW": 43, "CCDCOOL": True, "CCDSTAT": 5,
    "MNTCONN": True, "MNTPARK": False, "MNTTRACK": True, "MNTSLEW": False,
    "MNTRA": "02:49:50", "MNTDEC": "47\u00b0 20' 07\"", "MNTRAJ2000": "02:48:30",
    "MNTDECJ2000": "47\u00b0 14' 01\"", "MNTAZ": "120\u00b0 10' 00\"", "MNTALT": "55\u00b0 01' 00\"",
    "MNTPIER": "pierEast", "MNTTFLIP": "-01:10:00", "MNTSFLIP": 0, "AFCONN": True, "AFTEMP": 8.4,
    "AFPOS": 12000, "GUIDECONN": True, "GUIDESTAT": 2, "DITHSTAT": 0, "GUIDEX": 0.31, "GUIDEY": -0.22,
    "PLACONN": True, "PSCONN": True, "SEQNAME": "M42", "RUNSEQ": "m42.s2q", "SEQSTART": "22:00:00",
    "SEQREMAIN": "01:20:00", "SEQEND": "23:59:00", "SEQTOT": 7200, "SEQPARZ": 2400, "RUNDS": "",
    "DRAGNAME": "", "ROTCONN": False, "ROTPA": -123456789, "ROTSKYPA": -123456789, "ROTISROT": False,
}


def ready_link() -> tuple[VoyagerLink, Any, MemoryReactorClock]:
    """A link in READY state over an in-memory transport."""
    clock = MemoryReactorClock()
    holder: dict[str, Any] = {}

    class Connector:
        def connect(self) -> None:
            pass

        def stopConnecting(self) -> None:
            pass

    def connect(factory: Any) -> Connector:
        holder["factory"] = factory
        return Connector()

    link = VoyagerLink(clock, VoyagerSettings(), connect)
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
    assert seen[0] == count and link.state.snapshot()["controlData"] is not None
    return count / elapsed


def bench_jpeg_line(size: int = 2 * 1024 * 1024, repeats: int = 20) -> list[float]:
    link, protocol, _ = ready_link()
    payload = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    line = json.dumps({
        "Event": "NewJPGReady", "Timestamp": 1.0, "Host": "OBS1", "Inst": 1, "File": "C:\\a.fit",
        "SequenceTarget": "", "TimeInfo": 1.0, "Expo": 3, "Bin": 1, "Filter": "L", "HFD": 2.7,
        "StarIndex": 6.1, "PixelDimX": 1200, "PixelDimY": 800, "Base64Data": payload,
    }).encode() + b"\r\n"
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for offset in range(0, len(line), CHUNK):
            protocol.dataReceived(line[offset : offset + CHUNK])
        timings.append((time.perf_counter() - start) * 1000)
        assert link.state.preview is not None
    return timings


def main() -> None:
    rate = bench_control_data()
    print(f"ControlData lines parsed and dispatched: {rate:,.0f} lines/s (target >= 20,000)")
    timings = bench_jpeg_line()
    print(
        f"2 MB NewJPGReady line: median {statistics.median(timings):.1f} ms,"
        f" max {max(timings):.1f} ms (target <= 25 ms)"
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
