# Switchboard: `make run` serves the app, `make test` runs lint and every test layer.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := app/static/vendor/.built
# Compiled message catalogs (*.mo, not committed), built from the committed *.po.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))
PYBABEL_KEYWORDS := -k lazy_gettext -k _l

# The real-server test layer; `make test` skips it (with the reason) when these do not answer,
# and fails instead under CI=true.
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/switchboard_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TEST_DATABASE_URL TEST_REDIS_URL
# Test processes side by side (pytest-xdist), a test file each at a time; each has its own databases.
TEST_WORKERS ?= 2

.PHONY: run test fuzz install assets catalogs translations browser front lint format bench bench-tickets bench-import bench-portal bench-live bench-capacity bench-serving clean

run: install assets catalogs front
	$(BIN)/python -m scripts.serve

test: install assets catalogs browser front
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# The long fuzzing run (never part of `make test`, which runs a bounded one): schemathesis against the
# OpenAPI document with more examples per operation, an agent's and a supervisor's token, and the
# stateful phase, new examples each run; on SQLite and, when it answers, PostgreSQL.
# See tests/test_api_fuzz.py.
FUZZ_EXAMPLES ?= 100
FUZZ_ROLES ?= agent,supervisor
FUZZ_STATEFUL_SCENARIOS ?= 50

fuzz: install catalogs
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_ROLES=$(FUZZ_ROLES) FUZZ_STATEFUL_SCENARIOS=$(FUZZ_STATEFUL_SCENARIOS) \
		FUZZ_RANDOM=1 $(BIN)/pytest tests/test_api_fuzz.py

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

catalogs: $(CATALOGS)

app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After adding or changing texts: re-extract them into messages.pot, merge that into every language's
# messages.po (new texts come out empty, changed ones fuzzy), then translate and commit the .po files.
translations: install
	$(BIN)/pybabel extract -F babel.cfg $(PYBABEL_KEYWORDS) --no-wrap --sort-by-file \
		--project=Switchboard --copyright-holder=Switchboard -o app/translations/messages.pot app
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-wrap
	$(MAKE) catalogs

# Debian's Chromium for the browser tests (Playwright drives it; no browser download at test time).
browser:
	@sh scripts/ensure-package.sh chromium chromium || \
		echo "chromium is not installed and cannot be installed here: browser tests will be skipped." >&2

# Debian's nginx, the front of production mode (scripts/serve.py; the live tests start it too).
front:
	@sh scripts/ensure-package.sh nginx nginx || \
		echo "nginx is not installed and cannot be installed here: production mode serves from one process." >&2

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules app/static/vendor .pytest_cache .ruff_cache $(CATALOGS)

# Benchmarks: run by hand (never by `make test`); record the figures in bench/RESULTS.md.
bench: bench-tickets bench-import bench-portal

# The ticket benchmark's load comes from wrk (Debian's package), not from Python: see bench/post_tickets.py.
bench-tickets: install
	@sh scripts/ensure-package.sh wrk wrk || { echo "wrk is needed and cannot be installed here." >&2; exit 1; }
	$(BIN)/python bench/post_tickets.py

# Ticket creation served as `make run` served it before the front (one gthread process of 32 threads)
# and as it serves now (nginx, the web workers, the real-time process), side by side: see bench/post_tickets.py.
bench-serving: install front
	@sh scripts/ensure-package.sh wrk wrk || { echo "wrk is needed and cannot be installed here." >&2; exit 1; }
	$(BIN)/python bench/post_tickets.py --shapes single front --rounds 3

# Socket.IO delivery from another process to consoles through the front: 200 consoles at 10 events/s
# each, then consoles stepped up at 5,000 deliveries/s in all (see bench/live_sockets.py).
bench-live: install front
	$(BIN)/python bench/live_sockets.py --consoles 200 --rate 10

bench-capacity: install front
	$(BIN)/python bench/live_sockets.py --consoles 250 500 1000 1500 2000 --total-rate 5000 --agents 100

bench-import: install
	$(BIN)/python bench/import_history.py

bench-portal: install
	$(BIN)/python bench/portal_form.py

# The telephony endpoint's signed events per second (bench/telephony_events.py).
.PHONY: bench-telephony
bench: bench-telephony
bench-telephony: install
	$(BIN)/python bench/telephony_events.py
