"""Paths of the warehouse, from the environment with defaults inside the project."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from orchestration.contract import PROJECT_ROOT

# The fiscal-year partitions (orchestration/partitions.py) start at this year, in this time zone.
FIRST_FISCAL_YEAR = int(os.environ.get("WAREHOUSE_FIRST_FISCAL_YEAR", "2015"))
PARTITION_TIMEZONE = "Asia/Shanghai"

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt of this virtual environment, whether or not the environment is activated: dbt-core's command line
# with the working database's folder left out of dbt's partial-parse key (orchestration/dbt_command.py).
DBT_EXECUTABLE = Path(sys.executable).with_name("warehouse-dbt")


@dataclass(frozen=True)
class WarehousePaths:
    raw_dir: Path
    work_db: Path
    publish_dir: Path
    rule_sets_dir: Path = PROJECT_ROOT / "rule_sets"

    @property
    def published_db(self) -> Path:
        return self.publish_dir / "warehouse.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.publish_dir / "parquet"

    @property
    def staging_dir(self) -> Path:
        """Scratch space for files converted to UTF-8 CSV before DuckDB reads them."""
        return self.work_db.parent / "converted"


def warehouse_paths() -> WarehousePaths:
    env = os.environ
    return WarehousePaths(
        raw_dir=Path(env.get("WAREHOUSE_RAW_DIR", PROJECT_ROOT / "data" / "raw")).resolve(),
        work_db=Path(env.get("WAREHOUSE_WORK_DB", PROJECT_ROOT / "data" / "work" / "build.duckdb")).resolve(),
        publish_dir=Path(env.get("WAREHOUSE_PUBLISH_DIR", PROJECT_ROOT / "data" / "marts")).resolve(),
        rule_sets_dir=Path(env.get("WAREHOUSE_RULE_SETS_DIR", PROJECT_ROOT / "rule_sets")).resolve(),
    )


RELOAD_UNCHANGED = "WAREHOUSE_RELOAD_UNCHANGED"


def reload_unchanged() -> bool:
    """WAREHOUSE_RELOAD_UNCHANGED=1: reload the years whose files were last loaded as they are, and run a refresh
    with nothing new (orchestration/unchanged_years.py, orchestration/up_to_date.py)."""
    return os.environ.get(RELOAD_UNCHANGED) == "1"


def xlsx_max_rows() -> int | None:
    """WAREHOUSE_XLSX_MAX_ROWS: the largest mart written as an Excel workbook (default: what a sheet holds,
    1,048,574 rows under the two header rows; 0 writes none). At province scale a workbook of a million rows
    costs about 4 µs a cell to write, so a bureau may lower it; the marts left out are named in xlsx/README.txt."""
    value = os.environ.get("WAREHOUSE_XLSX_MAX_ROWS")
    return int(value) if value else None


def report_max_findings() -> int:
    """WAREHOUSE_REPORT_MAX_FINDINGS (default 10,000): how many findings the data-quality page lists, whole
    department-years first to last; the page says how many more the mart holds. At 100,000
    department-years a page of every finding was 130 MB of HTML, more than a browser's filters can handle."""
    return int(os.environ.get("WAREHOUSE_REPORT_MAX_FINDINGS") or 10_000)


# The memory each DuckDB database of a refresh may use (the loader's and the publication's in the refresh's own
# process, dbt's in its subprocess): DuckDB's default, 80% of the machine's RAM for each, let a 100,000
# department-year refresh peak above 6 GB. Beyond it DuckDB spills to a temporary folder beside the database.
DEFAULT_DUCKDB_MEMORY_LIMIT = "1500MB"


def duckdb_memory_limit() -> str:
    """WAREHOUSE_DUCKDB_MEMORY_LIMIT (default DEFAULT_DUCKDB_MEMORY_LIMIT), in DuckDB's notation ("2GB")."""
    return os.environ.get("WAREHOUSE_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
