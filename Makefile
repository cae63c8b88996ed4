# Helpline: `make run` serves the demo, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web/widget web/console web/shared -type f 2>/dev/null) $(wildcard web/*.ts web/*.json)
BUILT := helpline/static/.built

.PHONY: run test test-fast bench build install clean

run: build
	$(BIN)/helpline demo

install: $(PY_STAMP) $(WEB_STAMP)

$(PY_STAMP): pyproject.toml
	scripts/bootstrap.sh
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(WEB_STAMP): web/package.json web/package-lock.json
	scripts/bootstrap.sh
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: $(BUILT)

$(BUILT): $(PY_STAMP) $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run --silent build
	touch $@

# Test processes (pytest-xdist): as many as CPUs, at least 3 (much of a test is waiting on a
# server or a browser) and at most 6. Each has its own servers and databases; a file's tests
# stay in one process.
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n < 3 ? 3 : n > 6 ? 6 : n )))

# Installs (when missing) and starts PostgreSQL, Redis and Chromium for the tests, then runs
# the whole suite: integration tests once on SQLite and once on PostgreSQL, browser tests.
test: build
	$(BIN)/ruff check --quiet helpline tests bench
	@eval "$$(scripts/test-services.sh start)" && $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The suite without the services: SQLite only, no PostgreSQL/Redis-only tests.
test-fast: build
	$(BIN)/pytest -q -m "not browser" $(PYTEST_ARGS)

bench: build
	@for b in bench/[a-z]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) web/node_modules helpline/static helpline-data
