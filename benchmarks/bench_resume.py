"""
Resuming dashboards that never read: ``twistd voyager-proxy`` fed by
``feeder.py`` (see ``bench_push.py``), a full replay buffer, then 300 raw
sockets (4 KB receive buffer) that open ``/ws?since=&epoch=`` far back and
never read past the handshake's answer, then ControlData streamed on until their sockets are
full (the kernel first takes some 4 MB each). Targets: the proxy's RSS grows
by less than 40 MB, and every one of them is closed as slow within
``websocket.slow_client_timeout`` (30 s) plus 10 s of the stream's end.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_resume.py``).
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_push import Feeder, Proxy, raise_fd_limit, stalled_dashboard  # noqa: E402

RESUMERS = 300
REPLAYED = 500  # messages each resumer missed (websocket.replay_size keeps 2000)
LIVE = 8000  # ControlData streamed once they are open (400 Hz, 20 s): more than the kernel takes
DEADLINE = 30.0 + 10.0


def clients(proxy: Proxy) -> float:
    return proxy.metrics("voyager_proxy_websocket_clients")["voyager_proxy_websocket_clients"]


def main() -> None:
    raise_fd_limit()
    feeder = Feeder()
    proxy = Proxy(feeder.port)
    sockets: list[socket.socket] = []
    try:
        proxy.wait_ready()
        with connect(f"ws://127.0.0.1:{proxy.port}/ws", open_timeout=10) as watcher:
            start = json.loads(watcher.recv(timeout=10))["data"]
        feeder.stream("ControlData", 400.0, REPLAYED)
        time.sleep(2)
        query = f"?since={start['seq']}&epoch={start['epoch']}"
        rss_before = proxy.memory("VmRSS")
        opened = time.monotonic()
        sockets = [stalled_dashboard(proxy.port, query) for _ in range(RESUMERS)]
        while clients(proxy) < RESUMERS and time.monotonic() - opened < 60:
            time.sleep(0.5)
        connected, took_to_open = clients(proxy), time.monotonic() - opened
        rss_held = proxy.memory("VmRSS")
        # The kernel takes a few MB per socket before the proxy sees it full: keep streaming until it is.
        feeder.stream("ControlData", 400.0, LIVE)
        rss_streamed = proxy.memory("VmRSS")
        began = time.monotonic()
        while time.monotonic() - began < DEADLINE:
            closed = proxy.metrics("voyager_proxy_websocket_closed")["voyager_proxy_websocket_closed"]
            if closed >= RESUMERS:
                break
            time.sleep(1)
        took = time.monotonic() - began
        closed = proxy.metrics("voyager_proxy_websocket_closed")["voyager_proxy_websocket_closed"]
        for line in proxy.problems[:5]:
            print("  log:", line)
        print(
            f"{RESUMERS} resuming dashboards that never read, {REPLAYED} messages to replay each:\n"
            f"  {connected:.0f} connected (and replayed to) within {took_to_open:.0f} s\n"
            f"  RSS {rss_before:.0f} MB before, {rss_held:.0f} MB once they were open"
            f" (+{rss_held - rss_before:.0f} MB, target < 40), {rss_streamed:.0f} MB after {LIVE} more messages,"
            f" peak {proxy.memory('VmHWM'):.0f} MB\n"
            f"  closed as slow: {closed:.0f} of {RESUMERS}, {took:.0f} s after the stream ended"
            f" (target: all within {DEADLINE:.0f} s)"
        )
        ok = rss_held - rss_before < 40 and rss_streamed - rss_before < 40 and closed >= RESUMERS
    finally:
        for sock in sockets:
            sock.close()
        proxy.daemon.stop()
        feeder.close()
    if not ok:
        raise SystemExit("bench_resume: a target was missed")


if __name__ == "__main__":
    main()
