# ladeplan — every install step lives here; `make run` and `make test` work on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO ?= 1
GATEWAYS ?= 1
PYTEST_ARGS ?=
NPM_DIRS := tests/e2e/ocpp-rpc

.PHONY: help setup run test test-unit test-integration test-e2e lint format bench migrate contracts clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/ladeplan: $(UV) uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

.setup-system: scripts/setup-system.sh
	scripts/setup-system.sh
	@touch $@

node-deps: $(addsuffix /node_modules/.installed,$(NPM_DIRS))

%/node_modules/.installed: %/package.json %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(BIN)/ladeplan .setup-system node-deps ## Install everything: Python venv (uv), npm test peers, system tools
	@echo "setup complete: $(BIN)/ladeplan"

run: setup ## Run the whole stack with a demo site (DEMO=0: the stack alone; GATEWAYS=N: N gateway nodes); Ctrl-C stops it
	$(BIN)/ladeplan up --gateways $(GATEWAYS) $(if $(filter 0,$(DEMO)),--no-demo,)

migrate: setup ## Apply every service's migrations to DATABASE_URL
	$(BIN)/ladeplan migrate

test: setup ## All tests: unit, integration (real PostgreSQL + RabbitMQ) and e2e (whole stack)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: setup ## Unit tests only
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: setup ## Integration tests only
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

test-e2e: setup ## End-to-end tests only
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

lint: setup ## ruff (lint + format check) and mypy (strict)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup ## Format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

contracts: setup ## Regenerate the reviewed JSON Schema snapshot of every bus message
	$(BIN)/python -c "from ladeplan_contracts.catalog import render; open('libs/contracts/schema/messages.json', 'w').write(render())"

bench: setup ## Benchmarks, printed as tables with a baseline from the same run (adds the `bench` group: acnportal, cvxpy)
	@# A venv of its own: acnportal 0.3.3 ships a top-level `tests` package that would shadow ours in .venv.
	UV_PROJECT_ENVIRONMENT=.venv-bench $(UV) sync --locked --group bench --python $(PYTHON)
	.venv-bench/bin/python -m benchmarks

clean: ## Remove the virtual environments and caches
	rm -rf $(VENV) .tools .setup-system .mypy_cache .ruff_cache .pytest_cache $(addsuffix /node_modules,$(NPM_DIRS))
