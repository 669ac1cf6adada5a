"""
The floor of ``bench_images.py``'s notice latency on this machine: the same
feeder (2.7 MB ``NewJPGReady`` lines at 1 Hz) and the same 100 dashboards in
four processes, with a server in between that does only what any server must
to announce a preview by its id: read the line, decode its base64 (pybase64,
from the bytes as read), take the SHA-256 of the JPEG, and make one ``send()``
of one prepared ~300-byte ``imageReady`` frame per dashboard. No JSON parse of
the line, no store, no framework (a ``selectors`` loop, ``fanout_floor.py``'s).

It prints the notice latency (the feeder writes the line -> a dashboard reads
the frame) as ``bench_images.py`` does, and how long the server took from the
line's last byte to its last send.

    .venv/bin/python benchmarks/preview_floor.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import selectors
import socket
import threading
import time
from contextlib import ExitStack

import pybase64
from bench_images import DASHBOARDS, PREVIEWS, percentile, reader_worker
from bench_push import SETTLE_SECONDS, Feeder, open_readers
from fanout_floor import FloorServer, free_port, text_frame

IMAGE = re.compile(rb'"Base64Data"\s*:\s*"')
TIME = re.compile(rb'"TimeInfo"\s*:\s*([0-9.]+)')


class PreviewFloor(FloorServer):
    """Reads Voyager's lines from C{upstream}; each preview line becomes one notice to every dashboard."""

    greeting = text_frame(b'{"event":"initialState","data":{}}')  # what the dashboards wait for, as from the daemon

    def __init__(self, port: int, upstream: socket.socket) -> None:
        super().__init__(port, period=None)
        upstream.setblocking(False)
        self.upstream = upstream
        self.selector.register(upstream, selectors.EVENT_READ, "upstream")
        self.pieces: list[bytes] = []
        self.work_ms: list[float] = []

    def _ready(self, key: selectors.SelectorKey) -> None:
        if key.data != "upstream":
            super()._ready(key)
            return
        try:
            data = self.upstream.recv(65536)
        except BlockingIOError:
            return
        while (end := data.find(b"\n")) >= 0:
            self.pieces.append(data[:end])
            line = b"".join(self.pieces)
            self.pieces, data = [], data[end + 1 :]
            self._line(line)
        if data:
            self.pieces.append(data)

    def _line(self, line: bytes) -> None:
        started = time.perf_counter()
        member = IMAGE.search(line)
        moment = TIME.search(line)
        if member is None or moment is None:
            return
        start = member.end()
        jpeg = pybase64.b64decode(memoryview(line)[start : line.index(b'"', start)], validate=True)
        identifier = hashlib.sha256(jpeg).hexdigest()[:16]
        notice = {
            "event": "imageReady",
            "seq": 1,
            "data": {
                "id": identifier,
                "url": f"/api/images/{identifier}.jpg",
                "thumbUrl": f"/api/images/{identifier}.jpg?w=320",
                "bytes": len(jpeg),
                "time": float(moment.group(1)),
            },
        }
        self._broadcast(text_frame(json.dumps(notice, separators=(",", ":")).encode()))
        self.work_ms.append((time.perf_counter() - started) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for round_ in range(1, args.rounds + 1):
        with ExitStack() as stack:
            feeder = Feeder()
            stack.callback(feeder.close)
            server = PreviewFloor(free_port(), socket.create_connection(("127.0.0.1", feeder.port)))
            thread = threading.Thread(target=server.serve, daemon=True)
            thread.start()
            stack.callback(thread.join, 10)
            stack.callback(server.stopped.set)
            port = server.listener.getsockname()[1]
            readers, connected = open_readers(stack, port, DASHBOARDS, "url", reader_worker)
            sent = feeder.stream("NewJPGReady", 1, PREVIEWS)
            time.sleep(SETTLE_SECONDS)
            for control in readers:
                control.send("stop")
            reports = [control.recv() for control in readers]
            latencies = sorted(latency for latencies, _ in reports for latency in latencies)
            work = sorted(server.work_ms)
            print(
                f"round {round_}: {sent} previews x {connected} dashboards, {len(latencies)} notices read;"
                f" notice p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms;"
                f" the server's work per preview (decode, hash, sends) p50 {percentile(work, 0.5):.1f} ms"
            )


if __name__ == "__main__":
    main()
