"""dbt on Spark from Dagster (orchestration/spark_target.py): the setting, the environment dbt gets, and the copy of
Spark's tables into the working database (whole, or not at all)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.transform import mart_names, spark_built_tables
from orchestration.resources import build_resources
from orchestration.settings import warehouse_paths
from orchestration.spark_target import (
    DBT_TARGET_ENV,
    SPARK_DBT_ENV,
    SparkFolders,
    dbt_target,
    import_built_tables,
    spark_environment,
)


def test_the_target_is_duckdb_unless_set_and_nothing_else_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DBT_TARGET_ENV, raising=False)
    assert dbt_target() == "duckdb"
    monkeypatch.setenv(DBT_TARGET_ENV, "spark")
    assert dbt_target() == "spark"
    monkeypatch.setenv(DBT_TARGET_ENV, "trino")
    with pytest.raises(ValueError, match="WAREHOUSE_DBT_TARGET='trino'"):
        dbt_target()


def test_the_spark_target_runs_the_spark_environments_dbt_and_says_so_when_it_is_missing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DBT_TARGET_ENV, "spark")
    monkeypatch.setenv(SPARK_DBT_ENV, str(tmp_path / "dbt"))
    with pytest.raises(FileNotFoundError, match="make spark-setup"):
        build_resources(warehouse_paths())
    (tmp_path / "dbt").write_text("#!/bin/sh\n")
    (tmp_path / "dbt").chmod(0o755)
    dbt = build_resources(warehouse_paths())["dbt"]
    assert (dbt.target, dbt.dbt_executable) == ("spark", str(tmp_path / "dbt"))


def test_dbt_gets_the_spark_folders_only_while_it_runs(tmp_path: Path) -> None:
    folders = SparkFolders.beside(tmp_path / "work" / "build.duckdb")
    before = os.environ.get("WAREHOUSE_SPARK_RAW")
    with spark_environment(folders):
        assert os.environ["WAREHOUSE_SPARK_RAW"] == str(tmp_path / "work" / "spark" / "raw")
        assert os.environ["WAREHOUSE_SPARK_WAREHOUSE"] == str(tmp_path / "work" / "spark" / "warehouse")
    assert os.environ.get("WAREHOUSE_SPARK_RAW") == before


def test_what_spark_hands_to_the_publication_is_every_mart_and_every_seed() -> None:
    tables = spark_built_tables()
    assert {name for schema, name in tables if schema == "marts"} == set(mart_names())
    assert ("reference", "units") in tables and ("reference", "rule_set_items") not in tables  # a source, not a seed


def _spark_table(warehouse: Path, schema: str, table: str, sql: str) -> None:
    folder = warehouse / f"{schema}.db" / table
    folder.mkdir(parents=True)
    duckdb.execute(f"copy ({sql}) to '{folder / 'part-00000.snappy.parquet'}' (format parquet)")


def test_spark_tables_replace_the_working_databases_whole_or_not_at_all(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    _spark_table(warehouse, "marts", "departments", "select 'D1' as department_code, 2.50::decimal(38,6) as x")
    _spark_table(warehouse, "reference", "units", "select 'yuan' as unit")
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("create schema marts")
        con.execute("create table marts.departments as select 'old' as department_code")
        assert import_built_tables(con, warehouse, [("marts", "departments"), ("reference", "units")]) == {
            "marts.departments": 1, "reference.units": 1}
        assert con.execute("select * from marts.departments").fetchall() == [("D1", 2.5)]
        assert con.execute("describe marts.departments").fetchall()[1][1] == "DECIMAL(38,6)"
        con.execute("create or replace table marts.departments as select 'kept' as department_code")
        with pytest.raises(FileNotFoundError, match="marts.project_scores"):
            import_built_tables(con, warehouse, [("reference", "units"), ("marts", "project_scores")])
        assert con.execute("select * from marts.departments").fetchall() == [("kept",)]
