"""dbt on Spark from Dagster: `WAREHOUSE_DBT_TARGET=spark` (default `duckdb`).

The refresh stays the same for the user: Dagster loads the raw files into the working DuckDB database and
publishes the marts from it. Only the dbt asset changes. With the `spark` target it:

1. exports the sources dbt reads from the working database as Parquet (orchestration/spark_export.py),
   under `<work folder>/spark/raw`;
2. runs `dbt build` (seeds, every model, every test) with the `spark` target of dbt_project/profiles.yml,
   from the Spark environment (`WAREHOUSE_SPARK_DBT`, default .venv-spark/bin/dbt, made by
   `make spark-setup`): Spark in-process, its tables as Parquet under `<work folder>/spark/warehouse`;
3. copies what the publication reads from Spark's Parquet into the working database, in one
   transaction: every mart and every seed (import_built_tables). The models write their column types
   explicitly where the engines' defaults differ (a sum's precision, a numbered list's integer), so the
   published file is the same whichever engine built it (tools/spark_lane.py compares them).

Spark rebuilds whole tables: the department-scoped incremental build is DuckDB's (orchestration/refresh_scope.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.contract import PROJECT_ROOT
from orchestration.sql import sql_name, sql_text

DBT_TARGET_ENV = "WAREHOUSE_DBT_TARGET"
DBT_TARGETS = ("duckdb", "spark")
SPARK_DBT_ENV = "WAREHOUSE_SPARK_DBT"
DEFAULT_SPARK_DBT = PROJECT_ROOT / ".venv-spark" / "bin" / "dbt"


def dbt_target() -> str:
    """The dbt target of the warehouse's dbt asset: WAREHOUSE_DBT_TARGET, `duckdb` unless set."""
    target = os.environ.get(DBT_TARGET_ENV) or "duckdb"
    if target not in DBT_TARGETS:
        raise ValueError(f"{DBT_TARGET_ENV}={target!r}: the warehouse builds with {' or '.join(DBT_TARGETS)}")
    return target


def spark_dbt_executable() -> Path:
    return Path(os.environ.get(SPARK_DBT_ENV) or DEFAULT_SPARK_DBT).absolute()


@dataclass(frozen=True)
class SparkFolders:
    """Spark's folders beside the working database."""

    root: Path

    @classmethod
    def beside(cls, work_db: Path) -> SparkFolders:
        return cls(work_db.parent / "spark")

    @property
    def raw(self) -> Path:
        """The sources as Parquet (dbt_project/macros/spark_sources.sql reads them)."""
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        """Spark's tables: `<schema>.db/<table>/*.parquet`, and its catalog (metastore_db) beside them."""
        return self.root / "warehouse"

    def environment(self) -> dict[str, str]:
        """What dbt_project/profiles.yml and the source views read."""
        return {"WAREHOUSE_SPARK_RAW": str(self.raw), "WAREHOUSE_SPARK_WAREHOUSE": str(self.warehouse),
                "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1")}


@contextmanager
def spark_environment(folders: SparkFolders) -> Iterator[None]:
    """The process environment of the dbt invocations (dagster-dbt passes its own to dbt), restored after."""
    saved = {name: os.environ.get(name) for name in folders.environment()}
    os.environ.update(folders.environment())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def import_built_tables(con: duckdb.DuckDBPyConnection, warehouse: Path,
                        tables: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Replace each (schema, table) of the working database by Spark's build of it, in one transaction; rows
    per table. A table Spark did not write fails the whole import, naming it: nothing is half replaced."""
    imported: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for schema, table in tables:
            files = sorted((warehouse / f"{schema}.db" / table).glob("*.parquet"))
            if not files:
                raise FileNotFoundError(f"Spark wrote no Parquet file for {schema}.{table} under {warehouse}")
            con.execute(f"create schema if not exists {sql_name(schema)}")
            con.execute(f"create or replace table {sql_name(schema)}.{sql_name(table)} as select * from "
                        f"read_parquet([{', '.join(sql_text(str(f)) for f in files)}])")
            imported[f"{schema}.{table}"] = con.execute(
                f"select count(*) from {sql_name(schema)}.{sql_name(table)}").fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return imported
