"""Every test says, in its docstring, the behaviour it proves."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_has_a_docstring() -> None:
    """Each test_* function or method under tests/ opens with a docstring."""
    missing = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            is_test = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
            if (
                is_test
                and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and not (ast.get_docstring(node) or "").strip()
            ):
                missing.append(f"{path.relative_to(TESTS.parent)}:{node.lineno} {node.name}")
    assert not missing, "tests without a docstring:\n" + "\n".join(missing)
