"""Previews kept in images.dir survive a restart of the twistd daemon."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

from tests.support.daemon import Daemon


def request(daemon: Daemon, method: str, path: str, body: object = None) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed: status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        connection.request(method, path, payload, headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_kept_previews_are_served_again_after_a_restart(tmp_path: Path) -> None:
    """A shot's preview, written to images.dir, is the latest image of the next daemon, byte for byte."""
    env = {
        "VOYAGER_PROXY_IMAGES_DIR": str(tmp_path / "images"),
        "VOYAGER_PROXY_SIMULATOR_PREVIEW_WIDTH": "600",
        "VOYAGER_PROXY_SIMULATOR_PREVIEW_HEIGHT": "400",
    }
    first = Daemon.start("--simulator", env=env)
    try:
        status, _, _ = request(first, "POST", "/api/camera/shot", {"exposure": 0.1})
        assert status == 200
        status, _, listed = request(first, "GET", "/api/images")
        [image] = json.loads(listed)["images"]
        status, _, original = request(first, "GET", image["url"])
        assert status == 200 and original[:2] == b"\xff\xd8" and len(original) == image["bytes"]
        status, _, thumb = request(first, "GET", image["thumbUrl"])  # starts the resizing threads
        assert status == 200 and len(thumb) < len(original)
    finally:
        first.stop()  # SIGTERM: the resizing pool must not hold the exit
    second = Daemon.start("--simulator", env=env)
    try:
        status, headers, _ = request(second, "GET", "/api/images/latest")
        assert status == 307 and headers["Location"] == image["url"]
        status, _, again = request(second, "GET", image["url"])
        assert status == 200 and again == original
        status, _, metadata = request(second, "GET", f"/api/images/{image['id']}.json")
        assert json.loads(metadata)["image"]["fitsPath"] == image["fitsPath"] is not None
    finally:
        second.stop()
