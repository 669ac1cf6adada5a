"""The layer rules of STYLE.md, checked on the source and in fresh interpreters."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "voyager_proxy"

# Pure modules: they import nothing from twisted.internet (so no reactor), Klein or Autobahn.
PURE = [
    "voyager_proxy.client_json",
    "voyager_proxy.origins",
    "voyager_proxy.auth",
    "voyager_proxy.config",
    "voyager_proxy.keys",
    "voyager_proxy.numbers",
    "voyager_proxy.rooms",
    "voyager_proxy.tokens",
    "voyager_proxy.console.bundle",
    "voyager_proxy.refused",
    "voyager_proxy.images.library",
    "voyager_proxy.images.store",
    "voyager_proxy.voyager.bus",
    "voyager_proxy.voyager.codes",
    "voyager_proxy.voyager.commands",
    "voyager_proxy.voyager.errors",
    "voyager_proxy.voyager.events",
    "voyager_proxy.voyager.state",
    "voyager_proxy.voyager.status",
    "voyager_proxy.voyager.wire",
    "voyager_proxy.robotarget.signing",
    "voyager_proxy.simulator.call",
    "voyager_proxy.simulator.commands",
    "voyager_proxy.simulator.dispatch",
    "voyager_proxy.simulator.model",
    "voyager_proxy.simulator.params",
    "voyager_proxy.simulator.robotarget",
    "voyager_proxy.simulator.robotarget_db",
]
# Pure but for Deferreds: twisted.internet.defer, never the reactor.
DEFERRED_ONLY = ["voyager_proxy.observer"]

_LOADED = (
    "import sys, {module}\nbad = sorted(m for m in sys.modules if m.startswith({prefixes!r}))\nassert not bad, bad\n"
)
_NO_REACTOR = ("twisted.internet.reactor", "twisted.web", "twisted.application", "klein", "autobahn")


def _loads_none_of(module: str, prefixes: tuple[str, ...]) -> None:
    script = _LOADED.format(module=module, prefixes=prefixes)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert run.returncode == 0, run.stderr.strip().splitlines()[-1]


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, runtime_only: bool = False) -> set[str]:
    """Absolute names of what C{path} imports (C{from X import y} counts X and X.y)."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if runtime_only else list(ast.walk(tree))  # module level only: no TYPE_CHECKING
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _modules(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _within(names: set[str], package: str) -> set[str]:
    return {name for name in names if name == package or name.startswith(package + ".")}


@pytest.mark.parametrize("module", PURE)
def test_pure_module_loads_no_twisted_internet_klein_or_autobahn(module: str) -> None:
    """Importing a pure module alone, in a fresh interpreter, loads nothing of twisted.internet, Klein or Autobahn."""
    _loads_none_of(module, ("twisted.internet", "twisted.web", "twisted.application", "klein", "autobahn"))


@pytest.mark.parametrize("module", DEFERRED_ONLY)
def test_deferred_only_module_loads_no_reactor(module: str) -> None:
    """The fires-once helper loads Deferreds but no reactor, web, application, Klein or Autobahn."""
    _loads_none_of(module, _NO_REACTOR)


@pytest.mark.parametrize("path", _modules("voyager"), ids=_name)
def test_voyager_never_imports_the_layers_above(path: Path) -> None:
    """No module of voyager/ imports rest/, push/, robotarget/, web, tap or metrics (TYPE_CHECKING included)."""
    above = ("rest", "push", "robotarget", "web", "tap", "metrics")
    found = _imports(path)
    assert not set().union(*(_within(found, f"voyager_proxy.{layer}") for layer in above))


@pytest.mark.parametrize("path", _modules("simulator"), ids=_name)
def test_simulator_shares_no_code_with_the_proxy(path: Path) -> None:
    """The simulator imports nothing of the proxy's packages: it plays Voyager from the documents alone."""
    found = _imports(path)
    for package in ("voyager", "rest", "push", "robotarget"):
        assert not _within(found, f"voyager_proxy.{package}"), package


@pytest.mark.parametrize("layer", ["rest", "push", "robotarget"])
def test_layers_use_only_what_voyager_exports(layer: str) -> None:
    """rest/, push/ and robotarget/ import the link's names from voyager/__init__, never from its modules."""
    exported = set(importlib.import_module("voyager_proxy.voyager").__all__)
    for path in _modules(layer):
        for name in _within(_imports(path), "voyager_proxy.voyager"):
            rest = name.removeprefix("voyager_proxy.voyager").lstrip(".")
            assert rest == "" or rest in exported, f"{_name(path)} imports {name}"


@pytest.mark.parametrize("importer, imported", [("rest", "push"), ("push", "rest")])
def test_rest_and_push_never_import_each_other(importer: str, imported: str) -> None:
    """Neither of rest/ and push/ imports the other."""
    offenders = [_name(path) for path in _modules(importer) if _within(_imports(path), f"voyager_proxy.{imported}")]
    assert offenders == []


def test_no_import_cycles_at_module_level() -> None:
    """The package's module-level imports (TYPE_CHECKING and function bodies aside) form no cycle."""
    paths = {_name(path): path for path in _modules()}
    # A module's own packages are loaded before it whatever it imports: not an edge.
    graph = {
        name: {
            dep for dep in _imports(path, runtime_only=True) if dep in paths and not (name + ".").startswith(dep + ".")
        }
        for name, path in paths.items()
    }
    done: set[str] = set()
    active: list[str] = []

    def visit(name: str) -> None:
        if name in active:
            raise AssertionError(" -> ".join(active[active.index(name) :] + [name]))
        if name in done:
            return
        active.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        active.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


@pytest.mark.parametrize("package", ["voyager_proxy.voyager", "voyager_proxy.robotarget", "voyager_proxy.simulator"])
def test_thin_init_exports_resolve(package: str) -> None:
    """Every name a thin __init__ exports loads on first use, from the module that defines it."""
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert getattr(value, "__module__", "").startswith(package + "."), name
    with pytest.raises(AttributeError):
        getattr(module, "NoSuchName")  # noqa: B009 (the name is looked up at run time on purpose)
