# make run   - set up, load the bundled data, build and publish the marts (data/marts/)
# make test  - set up, then run every test
# make dev   - the Dagster UI (asset graph, schedule, sensors) on http://127.0.0.1:3000
# make demo  - write the bundled synthetic demo data (data/raw/*/demo-bureau-export) again
# make bench - the performance benchmark (docs/performance.md); not part of make test

PYTHON_BASE ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup run test dev lint clean demo bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

run: setup
	$(PY) -m orchestration.cli run

test: setup
	$(PY) -m orchestration.cli prepare
	$(PY) -m pytest

dev: setup
	$(PY) -m orchestration.cli prepare
	env --default-signal=INT $(VENV)/bin/dagster dev -m orchestration.definitions

bench: setup
	$(PY) -m orchestration.cli prepare
	$(PY) bench/run_bench.py

demo: setup
	$(PY) -m orchestration.demo_data --out data/raw

lint: setup
	$(VENV)/bin/ruff check orchestration tests scripts

clean:
	rm -rf data/work data/marts/warehouse.duckdb data/marts/parquet data/marts/.parquet-* dbt_project/target dbt_project/logs
