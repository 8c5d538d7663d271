# newsdesk: the only command list to remember. `make run` and `make test` are all a
# newcomer needs; both set up the environment first.

SHELL := /bin/bash
PYTHON ?= python3
# uv manages the environment; a fresh machine may not have it, so install it once
# into .tools/ with pip (no root, no system packages touched).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
NEWSDESK := $(UV) run --locked newsdesk
ARGS ?=

.PHONY: install run setup test test-postgres lint fmt check demo build-site bench clean help

help:
	@echo "make run    set up, load the demo archive on first start, start newsdesk"
	@echo "make test   set up and run the test suite (ARGS=... for a subset)"
	@echo "make lint | fmt | check | bench | clean"

.tools/bin/uv:
	@echo "uv not found: installing it into .tools/ with pip"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

install: $(UV)
	$(UV) sync --locked
	@if [ -d .git ] && [ -f .pre-commit-config.yaml ] && [ -z "$$CI" ]; then \
		$(UV) run --locked pre-commit install --install-hooks >/dev/null 2>&1 || true; fi

setup: install
	$(NEWSDESK) migrate --no-input
	$(NEWSDESK) collectstatic --no-input -v0
	$(NEWSDESK) load_demo --if-empty --missing-ok
	$(NEWSDESK) build_site --if-missing

run: setup
	exec $(NEWSDESK) start

test: install
	$(UV) run --locked pytest $(ARGS)

test-postgres:
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(MAKE) test

lint: install
	$(UV) run --locked ruff format --check .
	$(UV) run --locked ruff check .
	$(UV) run --locked mypy newsdesk

fmt: install
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

check: lint test
	$(NEWSDESK) makemigrations --check --dry-run
	$(NEWSDESK) check

bench: install
	$(UV) run --locked python bench/demo_archive.py

clean:
	rm -rf var .venv .tools
