# Chinook Platform: `make run` runs the whole pipeline on the embedded default; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The venv's tools (dbt, dagster) first on PATH, for everything make starts.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run test dev lint docs schema-sql benchmark clean

# The venv is rebuilt only when the dependency pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test]'
	# Bytecode compiled once at install: this environment sets PYTHONDONTWRITEBYTECODE=1, so otherwise every
	# process recompiles Dagster, dbt and their dependencies (about half of a code location's load time).
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(STAMP)

install: $(STAMP)

run: install  ## land data/ and materialize every asset on the embedded default (.chinook/)
	$(BIN)/chinook run --source data

test: install  ## every test; PostgreSQL at 127.0.0.1:5432 (CHINOOK_TEST_POSTGRES_URL overrides)
	$(BIN)/python -m pytest

dev: install  ## the Dagster UI and daemon (sensors, schedules) at http://127.0.0.1:3000
	DAGSTER_HOME=$${DAGSTER_HOME:-$$PWD/.chinook/dagster} $(BIN)/python -c "from chinook_platform.lib.dagster_home import ensure_dagster_home; ensure_dagster_home()"
	DAGSTER_HOME=$${DAGSTER_HOME:-$$PWD/.chinook/dagster} $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

docs: install  ## dbt's documentation site for the warehouse, under $CHINOOK_HOME/dbt/target
	$(BIN)/chinook docs

lint: install
	$(BIN)/ruff check .

schema-sql: install  ## regenerate sql/oltp/schema.sql from the table contract
	$(BIN)/chinook schema-sql > sql/oltp/schema.sql

benchmark: install  ## load scale factors 100 and 1000 into PostgreSQL and print the table
	$(BIN)/python benchmarks/oltp_load.py

clean:
	rm -rf .chinook
