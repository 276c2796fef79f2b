# The two commands (see README): `make run` and `make test`. Both set up what is missing first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: setup system venv run test test-all schema server clean

setup: system venv

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

run: setup
	$(VENV)/bin/docpipe run sample_docs --out $(OUT)

test: setup
	$(PY) -m pytest -q -m "not slow"

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
