"""Dagster resources, configured from the environment (see orchestration/settings.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.contract import PROJECT_ROOT
from orchestration.settings import WarehousePaths, warehouse_paths

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt of this virtual environment, whether or not the environment is activated.
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


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
        "duckdb": DuckDBResource(database=str(paths.work_db)),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE)
        ),
    }
