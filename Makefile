# ModelServe — `make run` serves the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Python client and CLI (client/, its own package), installed editable beside the server.
CLIENT := ./client[skops,cli]
# The Node clients tests/clients drives (graphql-ws, graphql-http, ...), as npm ci leaves them.
CLIENTS := tests/clients
NODE_STAMP := $(CLIENTS)/node_modules/.package-lock.json

.PHONY: install run demo test test-embedded test-postgres lint format schema migrations bench bench-peers bench-load clean

# Serving needs only the package; `make run EXTRAS=xgboost,lightgbm` adds those frameworks.
# The test suite needs the dev extra (test tools, pandas, XGBoost, LightGBM, moto, ...).
EXTRAS ?=
comma := ,
RUN_STAMP := $(VENV)/.installed-run$(if $(EXTRAS),-$(subst $(comma),-,$(EXTRAS)))

# The client goes in second: its `modelserve` script hands the server's commands to graph.cli,
# so whichever script pip wrote last, `modelserve` behaves the same.
$(STAMP): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet -e '$(CLIENT)'
	touch $(STAMP)

$(RUN_STAMP): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.$(if $(EXTRAS),[$(EXTRAS)])'
	$(BIN)/python -m pip install --quiet -e '$(CLIENT)'
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

# The embedded default with a demo user, two published models and a little traffic
# (client/examples/demo.py); the server keeps running until Ctrl-C.
demo: $(RUN_STAMP)
	$(BIN)/python client/examples/demo.py

# The embedded default always; PostgreSQL + Redis as well when MODELSERVE_TEST_DATABASE_URL and
# MODELSERVE_TEST_REDIS_URL are set: then both passes run side by side (tests/both_backends.sh),
# each a pytest process of its own (Tortoise caches SQL per dialect).
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	@if [ -n "$$MODELSERVE_TEST_DATABASE_URL" ] && [ -n "$$MODELSERVE_TEST_REDIS_URL" ]; then \
		echo "== embedded default (SQLite, in-process) and PostgreSQL + Redis, side by side =="; \
		bash tests/both_backends.sh $(BIN)/python; \
	else \
		echo "== embedded default (SQLite, in-process) =="; \
		env -u MODELSERVE_TEST_DATABASE_URL -u MODELSERVE_TEST_REDIS_URL $(BIN)/python -m pytest -q || exit $$?; \
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

# The benchmark of issues 4 and 13 (bench/): the embedded default, then PostgreSQL + Redis; both
# run even if the first misses a target. BENCH_ARGS=--quick for ~3 s per load. The peers
# (MLServer, LitServe) are measured in the same run once `make bench-peers` has built them.
bench: $(STAMP)
	@status=0; for backend in embedded postgres; do \
		$(BIN)/python -m bench.run --backend $$backend $(BENCH_ARGS) || status=$$?; \
		if [ $$status -eq 130 ]; then exit 130; fi; \
	done; exit $$status

# The load test of issue 15 (bench/load): 200 users for 5 minutes against two API processes and a
# worker on PostgreSQL + Redis. LOAD_ARGS for overrides, e.g. LOAD_ARGS="--users 20 --duration 30".
bench-load: $(STAMP)
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# MLServer 1.7.1 (+ mlserver-sklearn) and LitServe 0.2.19, each in its own virtual environment
# under bench/.peers/ with our scikit-learn version; their versions land in bench/.peers/*/versions.json.
bench-peers: $(STAMP)
	$(BIN)/python -m bench.peers build

clean:
	rm -rf var .pytest_cache
