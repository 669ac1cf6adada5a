"""
The floor of the shared harness's fan-out figure on this machine: what its
client (``fanout_ws.mjs``, N raw WebSocket clients in one Node.js process)
measures when the server does nothing but the least any server must do.

The server here is no proxy: a selectors loop that answers each WebSocket
opening handshake, then every ``--period`` seconds builds one text frame (a
``controlData`` message of ``--frame-bytes``, the size of the daemon's default
frame, with a fresh ``Timestamp``) and makes one ``send()`` of it per client.
No Voyager, no parsing, no serialization per client, no framework. Whatever
latency the client reports is the machine's (the loopback sends and the
client reading them on the same cores), which no server can go below; it
prints the client's line and the time the sends took.

    .venv/bin/python benchmarks/fanout_floor.py --clients 5000 --period 2
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import selectors
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fanout_harness import free_port, node_client  # noqa: E402
from bench_push import raise_fd_limit  # noqa: E402

WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final WebSocket text frame (server to client)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + payload


def handshake_answer(request: bytes) -> bytes | None:
    """The 101 answer to an opening handshake, or None when it has no Sec-WebSocket-Key."""
    for line in request.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            accept = base64.b64encode(hashlib.sha1(value.strip() + WEBSOCKET_GUID).digest())
            return (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
    return None


def control_data(seq: int, frame_bytes: int) -> bytes:
    """A controlData message of about C{frame_bytes}, its Timestamp now."""
    data: dict[str, object] = {"Timestamp": time.time(), "padding": ""}
    message = {"event": "controlData", "seq": seq, "data": data}
    data["padding"] = "x" * max(0, frame_bytes - len(json.dumps(message, separators=(",", ":"))))
    return text_frame(json.dumps(message, separators=(",", ":")).encode())


class FloorServer:
    """Accepts WebSocket clients; every C{period} seconds, one send of one prepared frame to each."""

    greeting = b""  # a frame each client is sent once its handshake is answered

    def __init__(self, port: int, period: float | None, frame_bytes: int = 0) -> None:
        self.listener = socket.create_server(("127.0.0.1", port), backlog=8192)
        self.listener.setblocking(False)
        self.period, self.frame_bytes = period, frame_bytes
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.opening: dict[socket.socket, bytes] = {}
        self.clients: list[socket.socket] = []
        self.send_ms: list[float] = []
        self.stopped = threading.Event()

    def serve(self) -> None:
        """Until C{stopped}: accept, answer handshakes, and broadcast every C{period} seconds (if one is given)."""
        due, seq = time.monotonic() + (self.period or 0), 0
        while not self.stopped.is_set():
            timeout = max(0.0, due - time.monotonic()) if self.period else 0.1
            for key, _ in self.selector.select(timeout=timeout):
                if key.fileobj is self.listener:
                    self._accept()
                else:
                    self._ready(key)
            if self.period and time.monotonic() >= due:
                due, seq = due + self.period, seq + 1
                self._broadcast(control_data(seq, self.frame_bytes))
        for client in [*self.clients, *self.opening, self.listener]:
            client.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except BlockingIOError:
                return
            client.setblocking(False)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.opening[client] = b""
            self.selector.register(client, selectors.EVENT_READ)

    def _ready(self, key: selectors.SelectorKey) -> None:
        self._read(key.fileobj)  # type: ignore[arg-type]

    def _read(self, client: socket.socket) -> None:
        try:
            data = client.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(client)
            self.opening.pop(client, None)
            if client in self.clients:
                self.clients.remove(client)
            client.close()
            return
        if client not in self.opening:
            return  # a client's frames (none expected) are ignored
        request = self.opening[client] + data
        if b"\r\n\r\n" not in request:
            self.opening[client] = request
            return
        del self.opening[client]
        answer = handshake_answer(request)
        if answer is None:
            self.selector.unregister(client)
            client.close()
            return
        client.sendall(answer + self.greeting)
        self.clients.append(client)

    def _broadcast(self, frame: bytes) -> None:
        started = time.perf_counter()
        for client in self.clients:
            try:  # noqa: SIM105 (a context manager for each send would be work no server needs)
                client.send(frame)
            except OSError:
                pass  # a full buffer or a gone client: the client's count shows it
        if self.clients:
            self.send_ms.append((time.perf_counter() - started) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--period", type=float, default=2.0, help="seconds between frames (2 = Voyager's cadence)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--frame-bytes", type=int, default=693, help="the daemon's default controlData frame")
    parser.add_argument("--node-dir", type=Path, default=Path("/tmp/wsbench"))
    args = parser.parse_args()
    raise_fd_limit()
    script = node_client(args.node_dir)
    for round_ in range(1, args.rounds + 1):
        server = FloorServer(free_port(), args.period, args.frame_bytes)
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        port = server.listener.getsockname()[1]
        client = subprocess.run(
            ["node", script.name, f"ws://127.0.0.1:{port}/", str(args.clients), f"{args.seconds:g}"],
            cwd=script.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        server.stopped.set()
        thread.join(timeout=10)
        sends = sorted(server.send_ms)
        median = sends[len(sends) // 2] if sends else float("nan")
        print(
            f"round {round_}: {client.stdout.strip()}; one frame to every client took"
            f" {median:.0f} ms (median of {len(sends)})"
        )


if __name__ == "__main__":
    main()
