"""Fields read a body's value or refuse it naming the field, and describe themselves as JSON Schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from voyager_proxy.rest.errors import ApiError
from voyager_proxy.rest.fields import (
    Angle,
    Body,
    Epoch,
    Flag,
    GainOffset,
    Guid,
    Integer,
    Number,
    QueryEpoch,
    QueryGuid,
    QueryInteger,
    QuerySwitch,
    Setting,
    Text,
    TimeOfDay,
    guid,
)

GUID = "0697F2F9-24E4-4850-84E9-18EA28B05FE9"


def refused(read: Callable[[], Any]) -> str:
    with pytest.raises(ApiError) as raised:
        read()
    assert raised.value.status == 400 and raised.value.code == "validation_error"
    return str(raised.value.details["field"])


@pytest.mark.parametrize(
    ("field", "good", "value", "bad"),
    [
        (Integer("binning", 1, 4, default=1), {"binning": 4}, 4, [{"binning": 5}, {"binning": 1.5}, {"binning": True}]),
        (Number("exposure", 0, 3600, above=True), {"exposure": 0.5}, 0.5, [{"exposure": 0}, {}, {"exposure": "1"}]),
        (Angle("ra", 0, 24, wraps=True), {"ra": "05:30:00"}, 5.5, [{"ra": 24}, {"ra": "5:61"}, {"ra": None}]),
        (GainOffset("gain"), {"gain": -900000}, -900000, [{"gain": -1}, {"gain": 1.0}]),
        (Flag("goBack", default=True), {}, True, [{"goBack": 1}]),
        (Text("Name", filled=True), {"Name": "M42"}, "M42", [{"Name": " "}, {"Name": "x" * 257}, {"Name": 3}]),
        (Guid("RefGuidSet"), {"RefGuidSet": GUID}, GUID.lower(), [{}, {"RefGuidSet": "nope"}]),
        (
            Epoch("C_DateStart"),
            {"C_DateStart": "1970-01-02"},
            86400,
            [{"C_DateStart": "tomorrow"}, {"C_DateStart": -1}],
        ),
        (TimeOfDay("C_TimeStart"), {"C_TimeStart": "21:30"}, 77400, [{"C_TimeStart": "24:00"}, {"C_TimeStart": 86400}]),
    ],
    ids=lambda value: getattr(value, "name", None) or "",
)
def test_field_reads_or_refuses_naming_itself(
    field: Any, good: dict[str, Any], value: Any, bad: list[dict[str, Any]]
) -> None:
    """A good value is read (converted where the field converts); each bad one is a 400 naming the field."""
    assert field.read(good) == value
    for body in bad:
        assert refused(lambda: field.read(body)) == field.name


def test_schemas_state_bounds_defaults_and_descriptions() -> None:
    """Each field's schema gives its type, bounds, default and description."""
    assert Integer("binning", 1, 4, default=1, description="Bin").schema() == {
        "type": "integer",
        "minimum": 1,
        "maximum": 4,
        "default": 1,
        "description": "Bin",
    }
    assert Number("exposure", 0, 3600, above=True).schema() == {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 3600,
    }
    assert Angle("ra", 0, 24, wraps=True).schema()["oneOf"][0] == {
        "type": "number",
        "minimum": 0,
        "exclusiveMaximum": 24,
    }
    assert Angle("dec", -90, 90).schema()["oneOf"][0] == {"type": "number", "minimum": -90, "maximum": 90}
    assert GainOffset("gain").schema()["default"] == -800000
    assert Text("Name", filled=True).schema() == {"type": "string", "maxLength": 256, "minLength": 1}
    assert Guid("GuidShot", fresh=True).schema()["format"] == "uuid"


def test_optional_and_fresh_fields() -> None:
    """An optional field reads absent as None; a fresh GUID is made up when absent, and is not required."""
    assert Number("maxHfd", 0, 100, optional=True).read({}) is None
    made = Guid("GuidShot", fresh=True)
    assert len(made.read({})) == 36 and not made.required
    assert Guid("RefGuidSet").required and Integer("filterIndex", 0, 31).required
    assert not Integer("filterIndex", 0, 31, default=0).required


def test_body_reads_every_field_and_lists_the_required_ones() -> None:
    """A body reads each field by name; its schema lists the required ones and keeps unknown members allowed."""
    body = Body((Number("exposure", 0, 10, above=True), Integer("binning", 1, 4, default=1)))
    assert body.read({"exposure": 2}) == {"exposure": 2.0, "binning": 1}
    assert refused(lambda: body.read({"exposure": 2, "binning": 9})) == "binning"
    schema = body.schema()
    assert schema["required"] == ["exposure"] and schema["additionalProperties"] is True and body.required
    assert not Body((Integer("binning", 1, 4, default=1),)).required


def test_setting_bounds_are_read_when_resolved() -> None:
    """A bound naming a setting is read from the settings on resolve(); unresolved, it cannot be used."""

    class Settings:
        recent_events = 42

    limit = QueryInteger("limit", low=1, high=Setting("recent_events"), default=50)
    with pytest.raises(TypeError):
        limit.schema()
    resolved = limit.resolve(Settings())
    assert resolved.schema()["maximum"] == 42
    assert resolved.read({b"limit": [b"42"]}) == 42
    assert refused(lambda: resolved.read({b"limit": [b"43"]})) == "limit"
    assert refused(lambda: resolved.read({b"limit": [b"x"]})) == "limit"
    assert resolved.read({}) == 50


def test_query_fields() -> None:
    """Query GUIDs, epochs and switches read text; errors name the parameter; parameters are documented."""
    assert QueryGuid("setGuid").read({}) == ""
    assert refused(lambda: QueryGuid("setGuid", needed=True).read({})) == "setGuid"
    assert QueryGuid("setGuid", needed=True).parameter()["required"] is True
    assert QueryEpoch("since").read({b"since": [b"1700000000"]}) == 1700000000
    assert refused(lambda: QueryEpoch("since").read({})) == "since"
    assert QuerySwitch("wait").read({}) is True and QuerySwitch("wait").read({b"wait": [b"no"]}) is False
    assert QuerySwitch("wait").parameter() == {
        "name": "wait",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
    }


@pytest.mark.parametrize(
    ("read", "value"),
    [
        (lambda value: guid(value, "guid"), "0697f2f9-24e4-4850-84e9-18ea28b05fe9\n"),
        (lambda value: TimeOfDay("at").read({"at": value}), "21:30\n"),
        (lambda value: QueryEpoch("since").read({b"since": [value.encode()]}), "1700000000\n"),
    ],
)
def test_patterns_match_the_whole_value(read: Callable[[str], Any], value: str) -> None:
    """A trailing newline (C{guid%0a}) is not part of a GUID, a time or a number: each pattern full-matches."""
    with pytest.raises(ApiError) as refused:
        read(value)
    assert refused.value.status == 400
