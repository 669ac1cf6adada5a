"""RoboTarget answers read as the protocol documents them, through the HTTP routes in memory."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.memory_proxy import BASE, JPEG, MemoryProxy, documented_answer

GUID = "0697f2f9-24e4-4850-84e9-18ea28b05fe9"
SHOT_DONE = {"guid": GUID, "filename": "M42_L_001.fit", "hfd": 2.1}


def answering(**by_method: dict[str, Any]) -> Iterator[MemoryProxy]:
    def answer(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        return by_method.get(method.removeprefix("RemoteRoboTarget")) or documented_answer(method, params)

    proxy = MemoryProxy(answer)
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("field", ["BaseData", "Base64Data"])
def test_shot_jpeg_read_from_either_documented_field(field: str) -> None:
    """GetShotJpg's image is read from the table's BaseData or the example's Base64Data."""
    for proxy in answering(GetShotJpg={"ret": "DONE", "HFD": 2.5, field: base64.b64encode(JPEG).decode()}):
        code, jpeg, _ = proxy.request("GET", f"/api/robotarget/shots-done/{GUID}/jpeg")
        assert (code, jpeg) == (200, JPEG)


def test_shots_done_keep_done_and_deleted_apart() -> None:
    """Each shots-done route answers Voyager's done and deleted lists, both kept."""
    lists = {"ret": "DONE", "list": {"done": [SHOT_DONE], "deleted": [{**SHOT_DONE, "guid": "d"}]}}
    for proxy in answering(GetShotDoneBySessionList=lists, GetShotDoneBySetList=lists, GetShotDoneSinceList=lists):
        for path in (
            f"/api/robotarget/sessions/{GUID}/shots-done",
            f"/api/robotarget/sets/{GUID}/shots-done",
            "/api/robotarget/shots-done?since=0",
        ):
            code, answer, _ = proxy.request("GET", path)
            assert code == 200 and answer["shotsDone"] == {"done": [SHOT_DONE], "deleted": [{**SHOT_DONE, "guid": "d"}]}


def test_shots_done_as_a_flat_array_is_a_bad_answer() -> None:
    """A flat list, not the documented object of two lists, is a 502 rather than a guess."""
    for proxy in answering(GetShotDoneBySetList={"ret": "DONE", "list": [SHOT_DONE]}):
        code, answer, _ = proxy.request("GET", f"/api/robotarget/sets/{GUID}/shots-done")
        assert code == 502 and answer["error"]["code"] == "bad_answer"


def test_a_clean_stop_answers_robotarget_callers_503_and_refuses_new_ones() -> None:
    """
    A RoboTarget read still waiting on Voyager when the proxy stops is
    answered 503 shutting_down at once, as a command caller is; a RoboTarget
    request after that is refused before anything is sent.
    """
    proxy = MemoryProxy(command_burst=1000, read_burst=1000)
    try:
        proxy.unanswered = {"RemoteRoboTargetGetSet"}
        responses: list[Any] = []
        proxy.http.request("GET", BASE + "/api/robotarget/sets").addBoth(responses.append)  # type: ignore[attr-defined]
        assert [line["method"] for line in proxy.serve()] == ["RemoteRoboTargetGetSet"] and responses == []
        assert proxy.front.desk.stop() == 1
        proxy.http.flush()
        contents: list[bytes] = []
        proxy.http.content(responses[0]).addCallback(contents.append)  # type: ignore[attr-defined]
        proxy.http.flush()
        assert responses[0].code == 503 and json.loads(contents[0])["error"]["code"] == "shutting_down"
        code, answer, lines = proxy.request("GET", "/api/robotarget/sets")
        assert code == 503 and answer["error"]["code"] == "shutting_down" and lines == []
    finally:
        proxy.stop()
