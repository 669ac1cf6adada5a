# One-command entry points: `make run` and `make test` (see README.rst).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= etc/voyager-proxy.ini
# Compiled modules (and pytest's rewritten test modules) are cached between runs even where the
# environment turns bytecode off: without the cache each test worker recompiles everything.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run sim test lint check bench clean

$(BIN)/.installed: setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[test]' --config-settings editable_mode=compat
	$(BIN)/python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/twistd --nodaemon --pidfile= voyager-proxy --config $(CONFIG) --simulator

sim: install
	$(BIN)/twistd --nodaemon --pidfile= voyager-sim --port 5950

# The console's browser tests (Playwright, Debian's chromium) run in a pytest of their own, without
# pytest-twisted: Playwright's event loop must not meet the reactor. BROWSER_TESTS= skips them.
BROWSER_TESTS ?= tests/browser

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(if $(BROWSER_TESTS),$(BIN)/python -m pytest -p no:twisted -n 0 $(BROWSER_TESTS))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

bench: install
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info twisted/plugins/dropin.cache
