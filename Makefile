# make run   - set up, load the bundled data, build and publish the marts (data/marts/)
# make test  - set up, then run every test (tests/unit, tests/integration, tests/pipeline; markers of the same names)
# make dev   - the Dagster UI (asset graph, schedule, sensors) on http://127.0.0.1:3000
# make demo  - write the bundled synthetic demo data (data/raw/*/demo-bureau-export) again
# make bench - the performance benchmark (docs/performance.md); not part of make test
# make test-spark - the bundled data refreshed with dbt on DuckDB and on Spark, the publications compared (tools/spark_lane.py)
# make spark-setup - .venv-spark, the environment of WAREHOUSE_DBT_TARGET=spark (dbt-spark, pyspark)
# make templates - the clerks' XLSX templates, one per file kind, into data/templates/
# make sql   - the DuckDB command line, read-only on the published file (after make run)
# make docs  - the data dictionary as one offline page: data/marts/data_dictionary.html (after make run)

PYTHON_BASE ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Test processes (pytest-xdist); a test file's tests share one, so its module fixtures are built once.
TEST_WORKERS ?= 2

.PHONY: setup spark-setup browser run test test-spark dev lint clean demo bench templates sql docs

$(STAMP): pyproject.toml
	@echo "setting up .venv: installing the pinned stack (Dagster, dbt, DuckDB, Great Expectations, ...;"
	@echo "about 1 GB) - 2 to 4 minutes the first time, nothing afterwards"
	@test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "set up"

setup: $(STAMP)
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

run: setup
	@$(PY) -m orchestration.cli run

sql: setup
	@$(PY) -m orchestration.cli sql

docs: setup
	@$(PY) -m orchestration.cli docs

# The page tests (dashboard, data-quality report, data dictionary) drive Debian's headless Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium from Debian's packages for the page tests (about a minute)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium >/dev/null) || { echo "could not install Chromium: run 'apt-get install chromium' as root"; exit 1; }; }

test: setup browser
	$(PY) -m orchestration.cli prepare
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

dev: setup
	$(PY) -m orchestration.cli prepare
	env --default-signal=INT $(VENV)/bin/dagster dev -m orchestration.definitions

SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed

$(SPARK_STAMP): requirements-spark.txt
	@echo "setting up .venv-spark: dbt-spark and pyspark (about 700 MB) - a minute the first time"
	@test -x $(SPARK_VENV)/bin/python || $(PYTHON_BASE) -m venv $(SPARK_VENV)
	@$(SPARK_VENV)/bin/pip install --quiet -r requirements-spark.txt
	@touch $(SPARK_STAMP)

spark-setup: $(SPARK_STAMP)

test-spark: setup $(SPARK_STAMP)
	$(PY) -m tools.spark_lint
	$(PY) -m tools.spark_lane --dbt $(SPARK_VENV)/bin/dbt

bench: setup
	$(PY) -m orchestration.cli prepare
	$(PY) bench/run_bench.py

demo: setup
	$(PY) -m tools.demo_data --out data/raw

templates: setup
	$(PY) -m orchestration.cli templates

lint: setup
	$(VENV)/bin/ruff check orchestration tools tests scripts bench

clean:
	rm -rf data/work data/marts/warehouse.duckdb data/marts/parquet data/marts/.parquet-* dbt_project/target dbt_project/logs
