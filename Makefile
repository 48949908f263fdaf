# Chinook Platform: `make run` runs the whole pipeline on the embedded default; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The venv's tools (dbt, dagster) first on PATH, for everything make starts.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install browser run test test-fast dev lint typecheck docs schema-sql dbt-sources benchmark clean lambda-zip image

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

# Debian's chromium, which the dashboard test opens the dashboard in: installed when missing (as root; otherwise
# say how, and the test skips, or fails under CI=true).
browser:
	@command -v chromium >/dev/null || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
	        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }; \
	    else echo "chromium is missing: install it with 'sudo apt-get install -y chromium' (the dashboard test needs it)"; fi; }

run: install  ## land data/ and materialize every asset on the embedded default (.chinook/)
	$(BIN)/chinook run --source data

# checkov in a virtualenv of its own (in the project's it downgrades boto3 and replaces python-hcl2's module).
CHECKOV := $(VENV)/checkov/bin/checkov
export CHINOOK_CHECKOV := $(CURDIR)/$(CHECKOV)
$(CHECKOV): | $(STAMP)
	$(PYTHON) -m venv $(VENV)/checkov
	$(BIN)/uv pip install --quiet --python $(VENV)/checkov/bin/python checkov==3.3.30

test: install browser $(CHECKOV)  ## every test; PostgreSQL at 127.0.0.1:5432 (CHINOOK_TEST_POSTGRES_URL overrides)
	$(BIN)/python -m pytest --durations=25

test-fast: install $(CHECKOV)  ## every test that needs no whole pipeline run, webserver, daemon, install or plan (conftest's FULL_LANE_MODULES)
	$(BIN)/python -m pytest -m "not full_lane" --durations=25

UI_PORT ?= 3000
dev: install  ## the Dagster UI and daemon (sensors, automation, schedules) at http://127.0.0.1:$(UI_PORT); Ctrl-C stops all of it
	exec $(BIN)/chinook dev --host 127.0.0.1 --port $(UI_PORT)

docs: install  ## dbt's documentation site for the warehouse, under $CHINOOK_HOME/dbt/target
	$(BIN)/chinook docs

# sqlfluff's dbt templater compiles the models on the DuckDB target (sql/warehouse/.sqlfluff), against a throwaway
# warehouse file: lint needs no server and no built warehouse, whatever CHINOOK_WAREHOUSE_TARGET says.
lint: install  ## ruff's lint rules and its formatting over the Python tree, then sqlfluff over the dbt SQL (CI runs it before the tests)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	LINT_DIR=$$(mktemp -d) && trap 'rm -rf "$$LINT_DIR"' EXIT && cd sql/warehouse && \
	CHINOOK_WAREHOUSE_TARGET=duckdb CHINOOK_WAREHOUSE_DUCKDB_PATH="$$LINT_DIR/lint.duckdb" \
	$(CURDIR)/$(BIN)/sqlfluff lint --processes 1 .
	$(MAKE) --no-print-directory typecheck

TYPES_VENV := .venv-types
$(TYPES_VENV)/.installed: constraints-types.txt
	test -x $(TYPES_VENV)/bin/python || $(PYTHON) -m venv $(TYPES_VENV)
	$(TYPES_VENV)/bin/python -m pip install --quiet -r constraints-types.txt
	touch $@

typecheck: install $(TYPES_VENV)/.installed  ## mypy over chinook_platform/ (settings in pyproject.toml), reading the project's own environment
	$(TYPES_VENV)/bin/mypy --python-executable $(BIN)/python

schema-sql: install  ## regenerate sql/oltp/schema.sql from the table contract
	$(BIN)/chinook schema-sql > sql/oltp/schema.sql

dbt-sources: install  ## regenerate the dbt sources and type casts (sql/warehouse) from the table contract
	$(BIN)/chinook dbt-sources

benchmark: install  ## load scale factors 100 and 1000 into PostgreSQL and print the table
	$(BIN)/python benchmarks/oltp_load.py

clean:  ## delete the home folder ($CHINOOK_HOME, default .chinook): every database, the lake, run history
	@home="$${CHINOOK_HOME:-.chinook}"; case "$$(cd "$$home" 2>/dev/null && pwd -P)" in \
	    /|"$$(cd ~ && pwd -P)"|"$(CURDIR)") echo "make clean: refusing to delete $$home (CHINOOK_HOME)"; exit 2;; esac; \
	rm -rf "$$home" && echo "deleted $$home"

# --- AWS deployment (terraform/README.md) -------------------------------------------------------------
LAMBDA_ZIP ?= terraform/.build/landing-loader.zip
lambda-zip: install  ## the Lambda zips terraform apply uploads: the notifier's, and the loader's (arm64, Python 3.12)
	$(BIN)/python -m chinook_platform.lambdas.artifact --notifier $(dir $(LAMBDA_ZIP))landing-notifier.zip
	$(BIN)/python -m chinook_platform.lambdas.artifact $(LAMBDA_ZIP)

# The code location image, pushed to the ECR repository Terraform creates (needs docker and the AWS CLI).
IMAGE_TAG ?= $(shell git rev-parse --short HEAD)
ECR_REPOSITORY ?= $(shell terraform -chdir=terraform output -raw dagster_ecr_repository_url)
image:  ## build the Dagster image and push it to ECR as $(IMAGE_TAG)
	aws ecr get-login-password --region $$(terraform -chdir=terraform output -raw aws_region) | \
	  docker login --username AWS --password-stdin $(firstword $(subst /, ,$(ECR_REPOSITORY)))
	docker build --platform linux/arm64 -t $(ECR_REPOSITORY):$(IMAGE_TAG) .
	docker push $(ECR_REPOSITORY):$(IMAGE_TAG)
