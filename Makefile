# Switchboard: `make run` serves the app, `make test` runs lint and every test layer.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := app/static/vendor/.built

# The real-server test layer; `make test` skips it (with the reason) when these do not answer,
# and fails instead under CI=true.
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/switchboard_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TEST_DATABASE_URL TEST_REDIS_URL

.PHONY: run test install assets browser lint format bench bench-tickets bench-import clean

run: install assets
	$(BIN)/python -m scripts.serve

test: install assets browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

assets: $(ASSETS)

$(ASSETS): package.json package-lock.json scripts/build-assets.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

# Debian's Chromium for the browser tests (Playwright drives it; no browser download at test time).
browser:
	@sh scripts/ensure-chromium.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules app/static/vendor .pytest_cache .ruff_cache

# Benchmarks: run by hand (never by `make test`); record the figures in bench/RESULTS.md.
bench: bench-tickets bench-import

bench-tickets: install
	$(BIN)/python bench/post_tickets.py

bench-import: install
	$(BIN)/python bench/import_history.py
