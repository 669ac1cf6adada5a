"""
The whole HTTP API in memory: StubTreq in front, a hand-played Voyager behind.

Each request line the proxy writes is recorded and answered the way the
protocol documents (an ack, then a RemoteActionResult unless the method ends
without one), so routes that wait for Voyager finish and can be read back.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from treq.testing import StubTreq

from tests.support import catalogue
from tests.support.fake_voyager import FakeVoyager
from voyager_proxy.auth import KeyRing, parse_keys
from voyager_proxy.config import ApiSettings, ConsoleSettings, RoboTargetSettings
from voyager_proxy.web import build_front

ROBOTARGET = RoboTargetSettings(secret="s3cr3t", mac_key="KEY-1", mac_words=("a", "b", "c", "d"))
SET_GUID = "5482d20e-2304-41d1-8d2b-32adc2c314bc"
TARGET_GUID = "76878ebc-55d0-4ffd-8298-a726d1625c2d"
JPEG = b"\xff\xd8\xff\xe0jpeg"
BASE = "http://localhost"

Answer = Callable[[str, dict[str, Any]], "dict[str, Any] | None"]


def decoded(response: Any, content: bytes) -> Any:
    """A response body: parsed when it is JSON, the bytes otherwise."""
    kind = response.headers.getRawHeaders("Content-Type", [""])[0]
    return json.loads(content) if kind.startswith("application/json") and content else content


def documented_answer(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """A ParamRet in the documented shape for C{method}; None when the default (C{ret: DONE}) will do."""
    name = method.removeprefix("RemoteRoboTarget")
    if name.startswith("GetShotDone"):
        return {"ret": "DONE", "list": {"done": [], "deleted": []}}
    if name == "GetSet":
        return {"ret": "DONE", "list": [{"guid": SET_GUID}]}
    if name == "GetTarget":
        return {"ret": "DONE", "list": [{"guid": TARGET_GUID}]}
    if name == "GetShotJpg":
        return {"ret": "DONE", "HFD": 2.1, "Base64Data": base64.b64encode(JPEG).decode()}
    if method.startswith("RemoteRoboTargetGet"):
        return {"ret": "DONE", "list": []}
    if method == "RemoteMountStatusGetInfo":
        return {"IsMountConnected": True, "IsParked": False, "RA": "05 35 17", "DEC": "-05 23 28"}
    return None


class MemoryProxy:
    """The proxy's root resource on a FakeVoyager link, RoboTarget ready, every line it writes kept in C{sent}."""

    def __init__(self, answer: Answer = documented_answer, console: ConsoleSettings | None = None, **api: Any) -> None:
        self.voyager = FakeVoyager()
        self.answer = answer
        self.sent: list[dict[str, Any]] = []
        self.unanswered: set[str] = set()  # methods Voyager leaves unanswered (not even acknowledged)
        self.headers: dict[str, str] = {}  # of the last answer
        settings = ApiSettings(**api)
        self.front = build_front(
            self.voyager.link,
            self.voyager.clock,
            settings,
            KeyRing(parse_keys(settings.keys)),
            robotarget=ROBOTARGET,
            console=console,
        )
        self.http = StubTreq(self.front.root)
        self.voyager.ready()
        self.session_start = self.serve()  # RoboTarget's manager mode

    def serve(self) -> list[dict[str, Any]]:
        """Answer every line written since last asked, until the proxy writes no more; return those lines."""
        lines: list[dict[str, Any]] = []
        while True:
            self.http.flush()
            new = self.voyager.said_by_link()
            if not new:
                return lines
            for line in new:
                lines.append(line)
                self._answer(line)

    def _answer(self, line: dict[str, Any]) -> None:
        if "method" not in line:
            return  # our Polling heartbeat, after a clock advance
        method, params = line["method"], line.get("params", {})
        if method in self.unanswered:
            return
        self.voyager.say({"jsonrpc": "2.0", "result": 0, "id": line["id"]})
        try:
            final = catalogue.final(method)
        except KeyError:
            final = "RemoteActionResult"
        if final != "RemoteActionResult" or "UID" not in params:
            return
        param_ret = self.answer(method, params) or {"ret": "DONE"}
        self.voyager.say(
            {
                "Event": "RemoteActionResult",
                "Timestamp": 1,
                "Host": "OBS1",
                "Inst": 1,
                "UID": params["UID"],
                "ActionResultInt": 4,
                "Motivo": "",
                "ParamRet": param_ret,
            }
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str | bytes] | None = None,
        *,
        base: str = BASE,
        data: bytes | None = None,
    ) -> tuple[int | None, Any, list[dict[str, Any]]]:
        """
        One HTTP request, Voyager answering as it goes: (status, answer, the
        lines written for it); status None while the proxy still waits (how a
        method ends is the link's business, not what is sent).
        """
        kwargs: dict[str, Any] = {"headers": dict(headers or {}), "allow_redirects": False}
        if body is not None or data is not None:
            kwargs["data"] = json.dumps(body).encode() if data is None else data
        if body is not None or method in ("POST", "PUT"):
            kwargs["headers"].setdefault("Content-Type", "application/json")
        responses: list[Any] = []
        # StubTreq sets treq's functions on itself with setattr, so its type names none of them.
        self.http.request(method, base + path, **kwargs).addBoth(responses.append)  # type: ignore[attr-defined]
        lines = self.serve()
        self.sent.extend(lines)
        if not responses:
            return None, None, lines
        response = responses[0]
        if not hasattr(response, "code"):
            response.raiseException()
        self.headers = {
            name.decode().lower(): values[-1].decode() for name, values in response.headers.getAllRawHeaders()
        }
        contents: list[bytes] = []
        self.http.content(response).addCallback(contents.append)  # type: ignore[attr-defined]
        self.http.flush()
        return response.code, decoded(response, contents[0]), lines

    def stop(self) -> None:
        self.voyager.stop()
