"""
Read a state afresh, for a test that asserts it before and after a call that changes it.

mypy keeps C{x.state} narrowed by an earlier C{assert x.state is A} across the
calls that change it, then calls a later C{x.state is B} a non-overlapping
check; C{state_of(x)} is read through a function, so it is never narrowed.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

S = TypeVar("S", covariant=True)


class Stated(Protocol[S]):
    @property
    def state(self) -> S: ...


def state_of(thing: Stated[S]) -> S:
    """C{thing.state} as it is now."""
    return thing.state


def flag(value: bool) -> bool:
    """A flag (C{transport.disconnecting}, say) as it is now: mypy keeps an asserted flag narrowed the same way."""
    return value
