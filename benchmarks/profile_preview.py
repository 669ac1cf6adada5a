"""
The reactor's cost of one preview, in process: from a 2.7 MB ``NewJPGReady``
line handed to the link's framing to the ``imageReady`` notice prepared for
the dashboards (the link, the state cache, the image store, the recent-events
ring and the WebSocket face, on one MemoryReactorClock).

Each line is the simulator's 3000 x 2000 star field with new bytes, rendered
before the clock starts. With ``--dir`` the store also keeps the previews in a
temporary directory; the in-memory clock has no threads, so those writes are
made inline and counted here, where the daemon makes them on a thread of their
own. ``--profile`` prints cProfile's top functions.

Run with ``.venv/bin/python benchmarks/profile_preview.py [--dir] [--profile]``.
"""

from __future__ import annotations

import base64
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: tests.support beside it
from tests.support.fake_voyager import FakeVoyager  # noqa: E402
from voyager_proxy.auth import KeyRing  # noqa: E402
from voyager_proxy.config import ApiSettings, ImageSettings  # noqa: E402
from voyager_proxy.simulator import sky  # noqa: E402
from voyager_proxy.web import build_front  # noqa: E402

PREVIEWS = 20
WIDTH, HEIGHT = 3000, 2000


def lines(count: int) -> list[bytes]:
    """C{count} NewJPGReady lines as the simulator sends them, each with other bytes."""
    made = []
    for index in range(count):
        frame = sky.render(WIDTH, HEIGHT, 7, 0, f"preview {index}")
        event = {
            "Event": "NewJPGReady",
            "Timestamp": 1_795_484_593.0 + index,
            "Host": "OBS1",
            "Inst": 1,
            "File": f"C:\\Voyager\\M42_{index}.fit",
            "SequenceTarget": "M42",
            "TimeInfo": 1_795_484_593.0 + index,
            "TimeInfoUTC": "",
            "Expo": 30,
            "Bin": 1,
            "Filter": "L",
            "HFD": frame.hfd,
            "StarIndex": frame.star_index,
            "PixelDimX": frame.width,
            "PixelDimY": frame.height,
            "Base64Data": base64.b64encode(frame.jpeg).decode("ascii"),
        }
        made.append(json.dumps(event).encode() + b"\r\n")
    return made


def main() -> None:
    directory = tempfile.TemporaryDirectory() if "--dir" in sys.argv else None
    voyager = FakeVoyager()
    images = ImageSettings(dir=directory.name if directory else "")
    build_front(voyager.link, voyager.clock, ApiSettings(), KeyRing([]), images=images)
    voyager.ready()
    feed = lines(PREVIEWS)
    profile = cProfile.Profile() if "--profile" in sys.argv else None
    times = []
    for line in feed:
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        voyager.protocol.dataReceived(line)
        if profile is not None:
            profile.disable()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"{PREVIEWS} previews of {len(feed[0]) / 1e6:.2f} MB: per preview median {statistics.median(times):.2f} ms, "
        f"min {times[0]:.2f} ms, max {times[-1]:.2f} ms"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    voyager.stop()
    if directory is not None:
        directory.cleanup()


if __name__ == "__main__":
    main()
