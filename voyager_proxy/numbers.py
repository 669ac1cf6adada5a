"""What counts as a number in JSON read from outside (pure)."""

from __future__ import annotations

import math
from typing import Any


def finite_number(value: Any) -> int | float | None:
    """C{value} when it is a finite JSON number; None for text, a bool, C{NaN} or an infinity."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def whole_number(value: Any) -> int | None:
    """C{value} when it is a JSON integer (not a bool); None otherwise."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
