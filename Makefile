# The two commands of the README: `make run` and `make test`.
# Each creates or reuses .venv and installs what it needs; nothing else is required.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench bench-fanout bench-connectors clean browser check-histories

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	exec $(BIN)/python worker.py

# The Web UI test drives Debian's headless Chromium: installed here when missing.
browser:
	@sh tests/e2e/provision-chromium.sh

test: lint browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# One run (about 15 minutes on the shared 2-core box): the bare-SDK baselines, our workflow with 1, 2 and 4
# worker processes, receipt latency at half load, the audit report over 1M events, then the
# connectors on the demo organisation at 1,000,000 customers (bench-connectors below); writes
# docs/benchmarks.md and docs/benchmarks.json. Options: make bench BENCH_ARGS="--workers 2"
# (python -m bench.run --help lists them).
bench: $(VENV)/.test-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.connectors

# A purpose change (Article 4) notifying 100,000 subjects, on the embedded servers: notices
# per second, the largest history of any run, the worker's peak memory; writes its section
# of docs/benchmarks.md and its keys of docs/benchmarks.json (python -m bench.fanout --help).
bench-fanout: $(VENV)/.test-deps
	$(BIN)/python -m bench.fanout $(BENCH_FANOUT_ARGS)

# The connectors against the demo organisation Sesenergy at 1,000,000 customers (11.1M rows
# with the support desk's, built in a scratch embedded PostgreSQL or DATABASE_URL's server):
# p50/p99 latency of collecting a subject from every system and of erasing one (plan, apply,
# confirm), 10 subjects in flight; about 40 s on 2 cores, 30 of them the build. Writes its
# section of docs/benchmarks.md and its keys of docs/benchmarks.json
# (python -m bench.connectors --help).
bench-connectors: $(VENV)/.test-deps
	$(BIN)/python -m bench.connectors $(BENCH_CONNECTORS_ARGS)

# Recorded workflow histories are frozen: no commit may modify or delete one.
check-histories:
	@$(PYTHON) tests/check_histories.py

# Style and format (ruff), the packages' layers (lint-imports: pyproject.toml's
# [tool.importlinter], so no import cycle), and types (mypy: strict on domain/ and workflows/).
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Rewrites the tree in the project's format (what `ruff format --check` in make lint wants).
format: $(VENV)/.test-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache
