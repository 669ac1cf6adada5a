"""
Voyager's own protocol documents, as the shared catalogue records them.

Conformance tests read C{shared/voyager-catalogue.json} from the nearest
folder above the project checkout that has one (C{VOYAGER_CATALOGUE} names
another path) so that a wrong parameter name, type or completion rule cannot
come back unnoticed.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHECKOUT = Path(__file__).resolve().parents[2]
_NAME = Path("shared") / "voyager-catalogue.json"

# Methods the documents list without a UID param (catalogue.md, "How to use it").
NO_UID = frozenset({"Abort", "disconnect", "GetArrayElementData"})

# Listed values that are not the whole set: Gain/Offset list only their special
# values, and StartFlag is a sum of the bits listed.
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


def path() -> Path:
    """Where the catalogue is read from."""
    if "VOYAGER_CATALOGUE" in os.environ:
        return Path(os.environ["VOYAGER_CATALOGUE"])
    for folder in _CHECKOUT.parents:
        if (folder / _NAME).is_file():
            return folder / _NAME
    return _CHECKOUT.parent / _NAME


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The whole catalogue, parsed once per test run."""
    parsed: dict[str, Any] = json.loads(path().read_text(encoding="utf-8"))
    return parsed


def method(name: str) -> dict[str, Any]:
    """One method's entry; KeyError for a method the documents do not have."""
    entry: dict[str, Any] = catalogue()["methods"][name]
    return entry


def event(name: str) -> dict[str, Any]:
    """One event's entry; KeyError for an event the documents do not have."""
    entry: dict[str, Any] = catalogue()["events"][name]
    return entry


def has_type(value: Any, json_type: str) -> bool:
    """Whether C{value} is of the catalogue's JSON type (a bool is never a number)."""
    if json_type != "boolean" and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[json_type])


def _param_names(entry: Mapping[str, Any]) -> dict[str, str]:
    """Every accepted spelling of every param, mapped to its table name."""
    names = {}
    for name, spec in entry["params"].items():
        names[name] = name
        for alt in spec.get("alt_names", ()):
            names[alt] = name
    return names


def value_allowed(name: str, spec: Mapping[str, Any], value: Any) -> bool:
    """Whether C{value} is within the documented C{values} of param C{name} (true where none are listed)."""
    allowed = spec.get("values")
    if not allowed or name in _SPECIALS_ONLY:
        return True
    if name in _BIT_SUMS:
        bits = sum(int(code) for code in allowed)
        return isinstance(value, int) and value & ~bits == 0
    if name in _CODE_WIDTH:
        width = _CODE_WIDTH[name]
        codes = [value[i : i + width] for i in range(0, len(value), width)]
        return len(value) % width == 0 and all(code in allowed for code in codes)
    return str(value) in allowed


def request_problems(name: str, params: Mapping[str, Any]) -> list[str]:
    """
    What is wrong with a request for C{name} with C{params}, as the catalogue sees it.

    An empty list means the request is as documented: the method exists, every
    param is documented and of its type (and within its C{values} where the
    catalogue lists them), and no param marked required is missing.
    """
    try:
        entry = method(name)
    except KeyError:
        return [f"{name} is not a documented Voyager method"]
    problems = []
    names = _param_names(entry)
    for key, value in params.items():
        if key == "UID" and name in NO_UID:
            problems.append(f"{name} takes no UID")
            continue
        if key not in names:
            problems.append(f"{name}: {key} is not a documented param")
            continue
        spec = entry["params"][names[key]]
        if not has_type(value, spec["type"]):
            problems.append(f"{name}: {key} must be a JSON {spec['type']}, not {value!r}")
            continue
        if not value_allowed(names[key], spec, value):
            problems.append(f"{name}: {key}={value!r} is not within {sorted(spec['values'])}")
    for key, spec in entry["params"].items():
        absent = key not in params and not any(alt in params for alt in spec.get("alt_names", ()))
        if spec["required"] is True and absent and not (key == "UID" and name in NO_UID):
            problems.append(f"{name}: required param {key} is missing")
    return problems


def left_out(name: str, params: Mapping[str, Any]) -> list[str]:
    """The documented params of C{name} that C{params} does not send under any spelling (UID aside)."""
    entry = method(name)
    return [
        key
        for key, spec in entry["params"].items()
        if key != "UID" and key not in params and not any(alt in params for alt in spec.get("alt_names", ()))
    ]


def final(name: str) -> str:
    """What ends a method: C{RemoteActionResult}, C{none}, or the name of another event."""
    return str(method(name)["final"])


def param_table(name: str) -> dict[str, dict[str, Any]]:
    """
    The params of C{name} reduced to what a server checks: JSON type,
    required, the listed C{values} codes and the C{alt_names}.
    """
    table = {}
    for param, spec in method(name)["params"].items():
        row: dict[str, Any] = {"type": spec["type"], "required": spec["required"]}
        if spec.get("values"):
            row["values"] = sorted(spec["values"])
        if spec.get("alt_names"):
            row["alt_names"] = sorted(spec["alt_names"])
        table[param] = row
    return table


def _field_spec(fields: Mapping[str, Any], key: str) -> tuple[str, Mapping[str, Any]] | None:
    """The documented field C{key} names (by spelling, alt name or C{<n>} pattern), with its spec."""
    for name, spec in fields.items():
        if key == name or key in spec.get("alt_names", ()):
            return name, spec
        if "<n>" in name:
            head, tail = name.split("<n>")
            middle = key[len(head) : len(key) - len(tail)] if key.startswith(head) and key.endswith(tail) else ""
            if middle.isdigit():
                return name, spec
    return None


def shape_problems(fields: Mapping[str, Any], value: Mapping[str, Any], where: str = "ParamRet") -> list[str]:
    """
    What in C{value} (a ParamRet, an item, an event) differs from the documented
    C{fields}: an undocumented key, a value of the wrong JSON type, recursively
    through C{fields} of objects and C{items} of arrays.
    """
    problems = []
    for key, item in value.items():
        found = _field_spec(fields, key)
        if found is None:
            problems.append(f"{where}.{key} is not documented")
            continue
        spec = found[1]
        if not has_type(item, spec["type"]):
            problems.append(f"{where}.{key} must be a JSON {spec['type']}, not {item!r}")
            continue
        if isinstance(item, dict) and spec.get("fields"):
            problems.extend(shape_problems(spec["fields"], item, f"{where}.{key}"))
        if isinstance(item, list) and spec.get("items"):
            for n, element in enumerate(item):
                if not isinstance(element, dict):
                    problems.append(f"{where}.{key}[{n}] must be an object")
                else:
                    problems.extend(shape_problems(spec["items"], element, f"{where}.{key}[{n}]"))
    return problems


def missing_fields(fields: Mapping[str, Any], value: Mapping[str, Any]) -> list[str]:
    """The documented C{fields} (top level, patterns aside) that C{value} lacks under every spelling."""
    return [
        name
        for name, spec in fields.items()
        if "<n>" not in name and name not in value and not any(alt in value for alt in spec.get("alt_names", ()))
    ]


def methods() -> list[str]:
    """Every documented method name."""
    return sorted(catalogue()["methods"])


def events() -> list[str]:
    """Every documented event name."""
    return sorted(catalogue()["events"])


def takes_uid(name: str) -> bool:
    """Whether the documents list a UID param for method C{name}."""
    return "UID" in method(name)["params"]


# Defects of the printed examples that keep them from parsing, and their
# repair: an empty member (", ,"), an example cut short with an ellipsis
# before its closing brace.
_EMPTY_MEMBER = re.compile(r",\s*,")
_CUT_SHORT = re.compile(r"\s*[\u2026.]+\s*}\s*$")


def repaired(example: Any) -> dict[str, Any]:
    """A printed example as a JSON object, with the documents' typing slips repaired (quotes too)."""
    if isinstance(example, dict):
        return example
    text = str(example).replace("\u201c", '"').replace("\u201d", '"')
    text = _CUT_SHORT.sub("}", _EMPTY_MEMBER.sub(",", text))
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"not a JSON object: {text[:60]!r}")
    return value


def example_request(name: str) -> dict[str, Any] | None:
    """The documented example request of C{name}, repaired, with C{°} put back to the C{a} it stands for in GUIDs."""
    entry = method(name)
    example = entry.get("example_request_quotes_fixed", entry.get("example_request"))
    if example is None:
        return None
    request: dict[str, Any] = json.loads(json.dumps(repaired(example), ensure_ascii=False).replace("\u00b0", "a"))
    return request


def event_example(name: str) -> dict[str, Any]:
    """The documented example of event C{name}, parsed (quotes fixed, slips repaired)."""
    entry = event(name)
    return repaired(entry.get("example_quotes_fixed", entry["example"]))


def example_answers(name: str) -> list[dict[str, Any]]:
    """The documented answers and events that follow a request for C{name}, those that can be read."""
    entry = method(name)
    answers = entry.get("example_answers_quotes_fixed", entry.get("example_answers")) or []
    readable = []
    for answer in answers if isinstance(answers, list) else [answers]:
        try:
            readable.append(repaired(answer))
        except ValueError:
            continue
    return readable


def enum_values(table: str) -> dict[int, str]:
    """A documented code table as {code: text}."""
    return {int(code): text for code, text in catalogue()["enums"][table]["values"].items()}
