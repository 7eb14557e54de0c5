"""Dagster resources, configured from the environment (see orchestration/settings.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import duckdb as duckdb_module
from dagster import ConfigurableResource, Failure
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from orchestration import fault_points
from orchestration.refresh_lock import RefreshBusy, refresh_lock
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, WarehousePaths, warehouse_paths
from orchestration.spark_target import SPARK_DBT_ENV, dbt_target, spark_dbt_executable
from orchestration.sql import limit_memory


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without two costs it pays on every `cli()` call, about 4 s a refresh.

    - It runs `dbt --version` in a new process (2 s) to tell dbt Core from the Fusion engine. Our dbt is
      the dbt-core of this environment (DBT_EXECUTABLE), so its version is read from the package metadata.
    - It opens a dbt adapter in this process (2 s, mostly importing dbt), used only by
      `fetch_row_counts` and `fetch_column_metadata`, which the warehouse does not call.

    Both are private to dagster-dbt (pinned in pyproject.toml); tests/integration/test_dbt_resource.py fails if they
    are renamed or if the version read here differs from what the executable reports."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


class WorkingDatabaseResource(DuckDBResource):
    """The working database, opened under the refresh lock (orchestration/refresh_lock.py): a step of a
    run started while another process refreshes fails at once with one line saying so, instead of
    DuckDB's lock error after its retries. Its memory is bounded (WAREHOUSE_DUCKDB_MEMORY_LIMIT)."""

    @contextmanager
    def refresh_lock(self) -> Iterator[None]:
        with ExitStack() as stack:
            try:
                stack.enter_context(refresh_lock(Path(self.database)))
            except RefreshBusy as exc:
                raise Failure(str(exc), allow_retries=False) from None
            yield

    @contextmanager
    def get_connection(self) -> Iterator[duckdb_module.DuckDBPyConnection]:
        with self.refresh_lock(), super().get_connection() as con:
            yield limit_memory(con)
            fault_points.reached(fault_points.WORK_DB_WRITTEN)


class WarehouseResource(ConfigurableResource):
    """Where the raw files are, where the working database is built and where marts are published."""

    raw_dir: str
    work_db: str
    publish_dir: str
    rule_sets_dir: str

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.raw_dir), Path(self.work_db), Path(self.publish_dir), Path(self.rule_sets_dir))


def build_resources(paths: WarehousePaths | None = None) -> dict[str, object]:
    paths = paths or warehouse_paths()
    paths.work_db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "warehouse": WarehouseResource(
            raw_dir=str(paths.raw_dir), work_db=str(paths.work_db), publish_dir=str(paths.publish_dir),
            rule_sets_dir=str(paths.rule_sets_dir),
        ),
        "duckdb": WorkingDatabaseResource(database=str(paths.work_db)),
        "dbt": _dbt_resource(dbt_target()),
    }


def _dbt_resource(target: str) -> WarehouseDbtResource:
    """dbt of this environment for DuckDB; for Spark, the Spark environment's dbt (orchestration/spark_target.py)."""
    if target == "duckdb":
        return WarehouseDbtResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                                    dbt_executable=str(DBT_EXECUTABLE))
    executable = spark_dbt_executable()
    if not executable.exists():
        raise FileNotFoundError(f"WAREHOUSE_DBT_TARGET={target}: no dbt at {executable} (make spark-setup installs "
                                f"it; {SPARK_DBT_ENV} names another)")
    return WarehouseDbtResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                                dbt_executable=str(executable), target=target)
