"""Wire format helpers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from voyager_proxy.voyager import wire
from voyager_proxy.voyager.wire import (
    MalformedLine,
    decode_line,
    encode_polling,
    encode_request,
    session_key,
)


def test_session_key_keeps_the_timestamp_characters() -> None:
    """The session key is the Timestamp text, never re-printed from a float."""
    line = b'{"Event":"Version","Timestamp":1652231344.88438000,"Host":"OBS1"}'
    assert session_key(line) == "1652231344.88438000"
    assert session_key(b'{"Timestamp": 1795484593.5, "Event":"Version"}') == "1795484593.5"


def test_session_key_missing() -> None:
    """A Version line without Timestamp is reported, not guessed."""
    with pytest.raises(MalformedLine):
        session_key(b'{"Event":"Version"}')


def test_request_format() -> None:
    """Requests are compact JSON with method, params and an integer id."""
    line = encode_request("RemoteGetStatus", {"UID": "u1"}, 7)
    assert json.loads(line) == {"method": "RemoteGetStatus", "params": {"UID": "u1"}, "id": 7}
    assert b" " not in line and b"\r" not in line


def test_polling_format() -> None:
    """Polling carries Event, Timestamp, Host and Inst."""
    assert json.loads(encode_polling(12.5, "proxy")) == {
        "Event": "Polling",
        "Timestamp": 12.5,
        "Host": "proxy",
        "Inst": 1,
    }


@pytest.mark.parametrize("line", [b"garbage", b"[1,2]", b'{"Event":', b"\xff\xfe{"])
def test_malformed_lines(line: bytes) -> None:
    """Anything but a JSON object raises MalformedLine."""
    with pytest.raises(MalformedLine):
        decode_line(line)


def test_non_utf8_line_falls_back_to_cp1252() -> None:
    """A Windows-1252 degree sign does not cost the line."""
    assert decode_line(b'{"MNTDEC":"47\xb0 20\'"}') == {"MNTDEC": "47\u00b0 20'"}


def test_requests_are_sent_as_ascii() -> None:
    """Non-ASCII text in a request goes as JSON escapes, so any reading of the bytes gets it right."""
    line = encode_request("RemoteSequence", {"SequenceFile": "Nébuleuse°.s2q"}, 3)
    assert line == b'{"method":"RemoteSequence","params":{"SequenceFile":"N\\u00e9buleuse\\u00b0.s2q"},"id":3}'
    assert line.isascii()


def _image_line(data: str, **fields: object) -> bytes:
    return json.dumps({"Event": "NewJPGReady", "Timestamp": 1.5, "Base64Data": data, "HFD": 2.1, **fields}).encode()


BIG = base64.b64encode(bytes(range(256)) * 1000).decode()  # 341 KB of base64


def test_a_preview_line_is_parsed_without_its_base64_going_through_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long line's top-level Base64Data is cut out as it is: the JSON parser sees only the rest; same object."""
    line = _image_line(BIG, Filter="Hα")
    parsed_lengths: list[int] = []
    real_loads = json.loads

    def measured(text: str, **options: Any) -> object:
        parsed_lengths.append(len(text))
        return real_loads(text, **options)

    monkeypatch.setattr(wire.json, "loads", measured)
    message = decode_line(line)
    assert isinstance(message["Base64Data"], memoryview) and message["Base64Data"] == BIG.encode()  # no copy
    assert as_text(message) == real_loads(line)
    assert parsed_lengths and max(parsed_lengths) < 1000


def as_text(message: dict[str, Any]) -> dict[str, Any]:
    """C{message} with a Base64Data left as a view of the line turned into the text the JSON parser gives."""
    data = message.get("Base64Data")
    return {**message, "Base64Data": bytes(data).decode("ascii")} if isinstance(data, memoryview) else message


@pytest.mark.parametrize(
    "line",
    [
        _image_line(BIG.replace("/", "\\/")),  # an escape inside: parsed whole
        json.dumps({"jsonrpc": "2.0", "id": 3, "ParamRet": {"Base64Data": BIG}}).encode(),  # not top-level
        json.dumps({"Event": "NewJPGReady", "Base64Data": "", "Note": "x" * 70_000}).encode(),  # empty
        json.dumps({"Event": "NewJPGReady", "Base64Data": BIG}, separators=(", ", " : ")).encode(),  # spaced
        json.dumps({"Note": '"Base64Data":"' + "y" * 10, "Event": "NewJPGReady", "Base64Data": BIG}).encode(),
    ],
)
def test_long_lines_decode_to_what_the_json_parser_gives(line: bytes) -> None:
    """Escapes, nested images, empty data, spacing and look-alike text all give exactly the parser's object."""
    assert as_text(decode_line(line)) == json.loads(line)


def test_a_long_malformed_line_is_still_refused() -> None:
    """Cutting the base64 out does not make a broken line acceptable, nor NaN or deep nesting pass."""
    with pytest.raises(MalformedLine):
        decode_line(_image_line(BIG)[:-1])
    with pytest.raises(MalformedLine):
        decode_line(b"[" * 100_000 + _image_line(BIG))
    assert decode_line(_image_line(BIG)[:-1] + b',"HFD":NaN}')["HFD"] is None


def test_numbers_voyager_writes_as_nan_or_infinity_are_read_as_null() -> None:
    """.NET may write NaN or Infinity: read as null, so nothing downstream ever writes NaN."""
    message = decode_line(b'{"Event":"ControlData","A":NaN,"B":-Infinity,"C":Infinity,"D":1.5}')
    assert (message["A"], message["B"], message["C"], message["D"]) == (None, None, None, 1.5)


def test_a_line_nested_too_deeply_is_malformed() -> None:
    """A line nested past the parser's recursion limit is a MalformedLine, not a RecursionError."""
    with pytest.raises(MalformedLine):
        decode_line(b"[" * 100000)
