# Quick start: `make run` serves the IVR with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: one per core (pytest-xdist); `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test bench lock clean

# Every install goes through the lock file (exact versions, checked by hash), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The quick start says development out loud: unset, IVR_ENV means production.
run: export IVR_ENV ?= development
run: $(STAMP)
	$(BIN)/ivr db upgrade
	$(BIN)/ivr demo seed
	$(BIN)/ivr run --with-worker --twilio-stand-in --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/webhooks.py

# Refresh requirements.lock from pyproject.toml (newest releases within its ranges), with pip-tools in a
# throwaway environment so the project's own stays as locked.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --extra test --output-file requirements.lock pyproject.toml
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) instance .pytest_cache
