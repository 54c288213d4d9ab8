# ModelServe — `make run` serves the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Node clients tests/clients drives (graphql-ws, graphql-http, ...), as npm ci leaves them.
CLIENTS := tests/clients
NODE_STAMP := $(CLIENTS)/node_modules/.package-lock.json

.PHONY: run test test-embedded test-postgres lint format schema migrations bench clean

# Serving needs only the package; `make run EXTRAS=xgboost,lightgbm` adds those frameworks.
# The test suite needs the dev extra (test tools, pandas, XGBoost, LightGBM, moto, ...).
EXTRAS ?=
comma := ,
RUN_STAMP := $(VENV)/.installed-run$(if $(EXTRAS),-$(subst $(comma),-,$(EXTRAS)))

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.$(if $(EXTRAS),[$(EXTRAS)])'
	touch $(RUN_STAMP)

install: $(STAMP)

# Without npm the Node client tests skip here; CI installs Node.js and forbids skips.
$(NODE_STAMP): $(CLIENTS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(CLIENTS) && npm ci --no-audit --no-fund && touch node_modules/.package-lock.json; \
	else \
		echo "== npm not found: the Node client tests in $(CLIENTS) will skip =="; \
	fi

run: $(RUN_STAMP)
	$(BIN)/modelserve serve

# The embedded default always; PostgreSQL + Redis as well when MODELSERVE_TEST_DATABASE_URL and
# MODELSERVE_TEST_REDIS_URL are set (a separate pytest process: Tortoise caches SQL per dialect).
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	@echo "== embedded default (SQLite, in-process) =="
	env -u MODELSERVE_TEST_DATABASE_URL -u MODELSERVE_TEST_REDIS_URL $(BIN)/python -m pytest -q
	@if [ -n "$$MODELSERVE_TEST_DATABASE_URL" ] && [ -n "$$MODELSERVE_TEST_REDIS_URL" ]; then \
		echo "== PostgreSQL + Redis =="; \
		$(BIN)/python -m pytest -q; \
	else \
		echo "== PostgreSQL + Redis tests not run: set MODELSERVE_TEST_DATABASE_URL and MODELSERVE_TEST_REDIS_URL =="; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/modelserve export-schema --output schema.graphql

migrations: $(STAMP)
	$(BIN)/python -m storage.migrate make $(NAME)

# The benchmark of issue 4 (bench/): the embedded default, then PostgreSQL + Redis; both run even
# if the first misses a target. BENCH_ARGS=--quick for ~3 s per load.
bench: $(STAMP)
	@status=0; for backend in embedded postgres; do \
		$(BIN)/python -m bench.run --backend $$backend $(BENCH_ARGS) || status=$$?; \
		if [ $$status -eq 130 ]; then exit 130; fi; \
	done; exit $$status

clean:
	rm -rf var .pytest_cache
