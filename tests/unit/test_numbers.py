"""The one reading of a number in JSON from outside (Voyager's events, images' metadata, tokens)."""

from __future__ import annotations

import math

from voyager_proxy.numbers import finite_number, whole_number


def test_a_finite_number_is_an_int_or_float_that_is_finite() -> None:
    """Numbers pass; NaN, the infinities, bools, text and None are None."""
    assert [finite_number(value) for value in (0, 2, -1.5)] == [0, 2, -1.5]
    for value in (math.nan, math.inf, -math.inf, True, False, "1", None, [1]):
        assert finite_number(value) is None, value


def test_a_whole_number_is_an_int_not_a_bool() -> None:
    """A width or binning is an integer: floats, bools and text are None."""
    assert whole_number(640) == 640
    for value in (640.0, True, "640", None):
        assert whole_number(value) is None, value
