"""
A fake Voyager for ``bench_push.py``: just enough of the protocol to keep the
proxy's session ready, and event streams faster than Voyager's own.

It listens on a free loopback port and prints ``port <n>``. To each client it
sends the Version line, answers every request with ``result: 0``
(``AuthenticateUserBase`` with ``authbase``), and sends Polling every 5 s.
Commands on stdin, one a line:

``stream ControlData <rate Hz> <count>``
``stream NewJPGReady <rate Hz> <count>``
    send ``count`` events at ``rate`` to every client, then print
    ``sent <n>``, n being the events written while a client was connected.

Each event's ``Timestamp`` is ``time.time()`` when it was written, so a
dashboard computes delivery latency on the same clock. End of stdin stops it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from voyager_proxy.simulator import sky
from voyager_proxy.simulator.model import ObservatoryModel

HOST = "BENCH"
POLLING_SECONDS = 5.0
PREVIEW_SIZE = (3000, 2000)  # the simulator's star field: a JPEG of about 2 MB


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\r\n"


def event(name: str, **fields: Any) -> bytes:
    return line({"Event": name, "Timestamp": time.time(), "Host": HOST, "Inst": 1, **fields})


def version() -> bytes:
    return event("Version", VOYVersion="Release 2.3.14", VOYSubver="", MsgVersion=1)


def answer(request: dict[str, Any]) -> bytes | None:
    """The JSON-RPC answer to a request line; None for events (the proxy's Polling)."""
    if "method" not in request or "id" not in request:
        return None
    if request["method"] == "AuthenticateUserBase":
        return line({"jsonrpc": "2.0", "authbase": {"Username": "bench"}, "id": request["id"]})
    return line({"jsonrpc": "2.0", "result": 0, "id": request["id"]})


class ControlDataSource:
    """ControlData lines with the simulator's field set, its readings moving with time."""

    def __init__(self) -> None:
        self.model = ObservatoryModel(now=time.time())

    def __call__(self) -> bytes:
        self.model.advance(time.time() - self.model.now)
        return event("ControlData", **self.model.control_data())


class PreviewSource:
    """NewJPGReady lines carrying the simulator's 2 MB star field, its bytes different each time (a new id)."""

    def __init__(self) -> None:
        self.count = 0
        sky.render(*PREVIEW_SIZE, 0, 0, "")  # rendered once, before the stream

    def __call__(self) -> tuple[bytes, ...]:
        self.count += 1
        frame = sky.render(*PREVIEW_SIZE, 0, 0, f"bench {os.getpid()} {self.count}")
        data = base64.b64encode(frame.jpeg)
        now = time.time()  # from here the line is only spliced together: its times are those of its writing
        head = event(
            "NewJPGReady",
            File="C:\\Voyager\\FIT\\bench.fit",
            SequenceTarget="M42",
            TimeInfo=now,
            Expo=3,
            Bin=1,
            Filter="L",
            HFD=frame.hfd,
            StarIndex=frame.star_index,
            PixelDimX=frame.width,
            PixelDimY=frame.height,
        )
        # Written in three pieces: no 2.7 MB copy between the time stamp and the first byte out.
        return head[: -len(b"}\r\n")] + b',"Base64Data":"', data, b'"}\r\n'


SOURCES: dict[str, Callable[[], Callable[[], bytes | tuple[bytes, ...]]]] = {
    "ControlData": ControlDataSource,
    "NewJPGReady": PreviewSource,
}


class FakeVoyager:
    """The connected clients (normally the one proxy) and what is sent to them."""

    def __init__(self) -> None:
        self.clients: set[asyncio.StreamWriter] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.add(writer)
        writer.write(version())
        try:
            while received := await reader.readline():
                reply = answer(json.loads(received))
                if reply is not None:
                    writer.write(reply)
        except ConnectionError:
            pass
        finally:
            self.clients.discard(writer)
            writer.close()

    async def broadcast(self, data: bytes | tuple[bytes, ...]) -> int:
        """Write C{data} (a line, or a line in pieces) to every client; return how many there were."""
        clients = list(self.clients)
        pieces = (data,) if isinstance(data, bytes) else data
        for writer in clients:
            for piece in pieces:
                writer.write(piece)
        await asyncio.gather(*(writer.drain() for writer in clients), return_exceptions=True)
        return len(clients)

    async def poll(self) -> None:
        while True:
            await asyncio.sleep(POLLING_SECONDS)
            await self.broadcast(event("Polling"))

    async def stream(self, name: str, rate: float, count: int) -> int:
        """Send C{count} events at C{rate}, on a fixed schedule; return how many reached a client."""
        source = SOURCES[name]()
        loop = asyncio.get_running_loop()
        start, sent = loop.time(), 0
        for index in range(count):
            await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
            if await self.broadcast(source()):
                sent += 1
        return sent


async def commands(voyager: FakeVoyager) -> None:
    """Run the stdin commands until end of input."""
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while command := (await stdin.readline()).split():
        if command[0] != b"stream" or len(command) != 4:
            raise SystemExit(f"unknown command {command!r}")
        sent = await voyager.stream(command[1].decode(), float(command[2]), int(command[3]))
        print(f"sent {sent}", flush=True)


async def main() -> None:
    voyager = FakeVoyager()
    server = await asyncio.start_server(voyager.serve, "127.0.0.1", 0)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    polling = asyncio.create_task(voyager.poll())
    await commands(voyager)
    polling.cancel()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
