# newsdesk: the only command list to remember. `make run` and `make test` are all a
# newcomer needs; both set up the environment first.

SHELL := /bin/bash
PYTHON ?= python3
# uv manages the environment; a fresh machine may not have it, so install it once
# into .tools/ with pip (no root, no system packages touched).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
NEWSDESK := $(UV) run --locked newsdesk
ARGS ?=

.PHONY: install run setup test quality-tools system-deps test-postgres lint fmt check \
	bench lighthouse clean help

help:
	@echo "make run    set up, load the demo archive on first start, start newsdesk"
	@echo "make test   set up and run the test suite (ARGS=... for a subset)"
	@echo "make lint | fmt | check | bench | lighthouse | clean | system-deps | quality-tools"

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
	$(NEWSDESK) rebuild_search_index --if-empty
	$(NEWSDESK) build_site --if-missing

run: setup
	exec $(NEWSDESK) start

# Debian packages some tests need, each named by what it provides: nginx with the
# brotli_static module (tests/publishing/test_nginx.py runs deploy/nginx.conf),
# Chromium, Java and npm (tests/publishing/test_quality.py: axe-core and the Nu HTML
# Checker), dovecot (tests/contributions/test_mailbox.py: a real IMAP server for the
# mailbox poller). Installs only what is missing, as root or through sudo.
SYSTEM_DEPS := /usr/sbin/nginx:nginx \
	/usr/sbin/dovecot:dovecot-imapd \
	/usr/lib/nginx/modules/ngx_http_brotli_static_module.so:libnginx-mod-http-brotli-static \
	/usr/bin/chromium:chromium java:default-jre-headless npm:npm

system-deps:
	@missing=""; \
	for pair in $(SYSTEM_DEPS); do \
		thing=$${pair%%:*}; package=$${pair#*:}; \
		case $$thing in /*) [ -e $$thing ];; *) command -v $$thing >/dev/null;; esac \
			|| missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then echo "system-deps: nothing missing"; exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "system-deps: no apt-get here; install$$missing yourself"; exit 1; fi; \
	sudo=""; if [ "$$(id -u)" != 0 ]; then sudo="sudo"; fi; \
	apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
	echo "system-deps: apt-get install -y --no-install-recommends$$missing"; \
	$$apt install -y --no-install-recommends $$missing || { \
		echo "system-deps: the install failed; apt-get update, then trying again"; \
		$$apt update && $$apt install -y --no-install-recommends $$missing; }

# The offline checkers the reader-site tests run (axe-core, vnu-jar), from the npm
# registry, pinned in tools/quality/package-lock.json.
QUALITY_TOOLS := tools/quality/node_modules/.installed

quality-tools: $(QUALITY_TOOLS)

$(QUALITY_TOOLS): tools/quality/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: run make system-deps"; exit 1; }
	cd tools/quality && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: install system-deps quality-tools
	$(UV) run --locked pytest $(ARGS)

# Issue 3's page-weight budgets, Lighthouse and axe-core on the demo archive served
# by nginx (bench/page_weight.py); STORIES=300 for a quicker run.
lighthouse: install system-deps quality-tools
	$(UV) run --locked python bench/page_weight.py $(if $(STORIES),--stories $(STORIES))

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
