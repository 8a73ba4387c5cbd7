# One entry point for a newcomer: `make dev` runs the whole system locally,
# `make test` proves it. Both create the virtualenv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint typecheck unit e2e bench clean web browser

# The web client (web/): npm ci from the lock file, then a Vite build into web/dist.
WEB_NPM := web/node_modules/.installed
WEB_DIST := web/dist/index.html
# Debian's Chromium drives the browser tests (tests/browser); never a downloaded browser.
CHROMIUM := /usr/bin/chromium

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(WEB_NPM): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

$(WEB_DIST): $(WEB_NPM) web/index.html web/vite.config.js $(shell find web/src -type f 2>/dev/null)
	cd web && npm run build

web: $(WEB_DIST)

# Installing needs root (as CI runs); elsewhere: sudo apt-get install chromium.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

browser: $(CHROMIUM)

dev: $(STAMP) $(WEB_DIST)
	$(BIN)/python -m local.stack $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck $(WEB_DIST) $(CHROMIUM)
	$(BIN)/python -m pytest -m "not infra"

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/api tests/adapters

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

bench: $(STAMP) $(WEB_DIST)
	$(BIN)/python -m local.bench

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist

include infra/Makefile.inc
