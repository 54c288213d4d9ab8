# ModelServe — `make run` serves the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-embedded test-postgres lint format schema migrations bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/modelserve serve

# The embedded default always; PostgreSQL + Redis as well when MODELSERVE_TEST_DATABASE_URL and
# MODELSERVE_TEST_REDIS_URL are set (a separate pytest process: Tortoise caches SQL per dialect).
test: $(STAMP)
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
