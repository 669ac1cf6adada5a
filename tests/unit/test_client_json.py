"""Client JSON: bounded nesting, no NaN or Infinity in, none out."""

from __future__ import annotations

import json

import pytest

from voyager_proxy import client_json
from voyager_proxy.client_json import MAX_DEPTH, JsonRefused


def test_64_levels_are_read_and_65_refused() -> None:
    """The depth limit counts arrays and objects alike; the parser's recursion limit is never reached."""
    assert client_json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for text in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '{"a":' * 65 + "1" + "}" * 65, "[" * 100000):
        with pytest.raises(JsonRefused, match="nested deeper than 64"):
            client_json.loads(text)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"a": NaN}', "a"),
        ('{"params": {"Exposure": Infinity}}', "params.Exposure"),
        ('{"list": [1, -Infinity]}', "list[1]"),
        ('{"x": 1e999}', "x"),
        ("NaN", None),
    ],
)
def test_numbers_that_are_not_finite_are_refused_naming_where(text: str, field: str | None) -> None:
    """NaN, Infinity and an overflowing 1e999 are refused; the error names the field's path."""
    with pytest.raises(JsonRefused) as refused:
        client_json.loads(text)
    assert refused.value.field == field and "finite" in refused.value.message


def test_what_we_write_is_strict_json() -> None:
    """A value that is not finite is written as null: PHP's json_decode and JSON.parse read every answer."""
    written = client_json.dumps({"a": float("nan"), "b": [float("inf")], "c": 1.5})
    assert json.loads(written, parse_constant=lambda name: pytest.fail(name)) == {"a": None, "b": [None], "c": 1.5}
