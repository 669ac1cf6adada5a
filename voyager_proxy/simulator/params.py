"""
The params Voyager's documents allow for each method the simulator knows,
and the check of a request against them (pure).

C{data/params.json} is derived from the protocol catalogue: for every param
its JSON type, whether the documents say it is required, the codes of its
documented value set and its other documented spellings. A conformance test
keeps it equal to the catalogue.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Mapping
from typing import Any

TABLE: Mapping[str, Mapping[str, Mapping[str, Any]]] = json.loads(
    importlib.resources.files(__package__).joinpath("data/params.json").read_text(encoding="utf-8")
)

# Listed values that are not the whole set: RemoteCameraShot's Gain/Offset list
# only their special values, and StartFlag is a sum of the bits listed.
_SPECIALS_ONLY = frozenset({"Gain", "Offset"})
_BIT_SUMS = frozenset({"StartFlag"})
# String params made of several listed codes: C_Mask of letters, C_Mask2 of 3-character codes.
_CODE_WIDTH = {"C_Mask": 1, "C_Mask2": 3}

_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class BadParams(Exception):
    """A request's params are not what the documents allow."""


def _of_type(value: Any, json_type: str) -> bool:
    if json_type != "boolean" and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[json_type])


def _in_values(name: str, spec: Mapping[str, Any], value: Any) -> bool:
    allowed = spec.get("values")
    if not allowed or name in _SPECIALS_ONLY:
        return True
    if name in _BIT_SUMS:
        return isinstance(value, int) and value & ~sum(int(code) for code in allowed) == 0
    if name in _CODE_WIDTH:
        width = _CODE_WIDTH[name]
        codes = [value[i : i + width] for i in range(0, len(value), width)]
        return len(value) % width == 0 and all(code in allowed for code in codes)
    return str(value) in allowed


def check(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """
    C{params} under their table spellings, or L{BadParams}: for an unknown
    param, a value of the wrong JSON type or outside the documented value set,
    or a missing param the documents call required.
    """
    table = TABLE[method]
    spellings = {name: name for name in table}
    for name, spec in table.items():
        spellings.update((alt, name) for alt in spec.get("alt_names", ()))
    checked = {}
    for key, value in params.items():
        spelled = spellings.get(key)
        if spelled is None:
            raise BadParams(f"{key} is not a param of {method}")
        name, spec = spelled, table[spelled]
        if not _of_type(value, spec["type"]):
            raise BadParams(f"{key} must be a JSON {spec['type']}")
        if not _in_values(name, spec, value):
            raise BadParams(f"{key} must be one of {', '.join(spec['values'])}")
        checked[name] = value
    for name, spec in table.items():
        if spec["required"] is True and name not in checked:
            raise BadParams(f"{name} is required")
    return checked
