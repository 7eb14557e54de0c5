"""The Spark lane's comparison (tools/spark_lane.compare_publications): two publications that differ in a value,
a row, a column, a column's type (a decimal's precision too), a table or a Parquet file are reported as
different; two made from the same rows by different runs are not. And the lane's engine fault still applies
to the model it breaks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tools.spark_lane import FAULT_MODEL, compare_publications, faulty_project

SCORES = """select * from (values ('D1', 2017, 90.50::decimal(18,4), 100.000000::decimal(38,6)),
                                 ('D2', 2017, null, 5.500000::decimal(38,6)),
                                 ('D3', 2017, 80.25::decimal(18,4), null))
            as t(department_code, fiscal_year, total_score, final_budget)"""
DUCKDB_RANK = "select *, rank() over (order by total_score asc nulls last) as rank_in_year from ({rows})"


def publish(folder: Path, mart_sql: str, run_id: str) -> Path:
    """A publication as the warehouse writes it, reduced: a DuckDB file with a mart, a reference table and
    the run's record, and the mart as Parquet by fiscal year."""
    (folder / "parquet" / "department_scores" / "fiscal_year=2017").mkdir(parents=True)
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        for schema in ("marts", "reference", "meta"):
            con.execute(f"create schema {schema}")
        con.execute(f"create table marts.department_scores as {mart_sql.format(rows=SCORES)}")
        con.execute("create table reference.units as select 'yuan' as unit, 1::decimal(18,6) as factor")
        con.execute("create table meta.refresh as select now()::timestamp as published_at, ? as run_id, "
                    "'all' as fiscal_years", [run_id])
        con.execute("copy (select * from marts.department_scores where fiscal_year = 2017) to "
                    f"'{folder / 'parquet' / 'department_scores' / 'fiscal_year=2017' / 'data.parquet'}' "
                    "(format parquet)")
    return folder


def differences(tmp_path: Path, spark_mart_sql: str) -> list[str]:
    duck = publish(tmp_path / "duckdb", DUCKDB_RANK, "run-1")
    spark = publish(tmp_path / "spark", spark_mart_sql, "run-2")
    return [str(d) for d in compare_publications(duck, spark)]


def test_the_same_rows_published_by_two_runs_are_no_difference(tmp_path: Path) -> None:
    assert differences(tmp_path, DUCKDB_RANK) == []


def test_a_null_ordered_first_on_spark_only_is_a_difference_in_the_file_and_the_parquet(tmp_path: Path) -> None:
    # Spark orders NULLs first in ascending order: a rank written without NULLS LAST gives this.
    found = differences(tmp_path, DUCKDB_RANK.replace("nulls last", "nulls first"))
    for table in ("marts.department_scores", "parquet/department_scores/fiscal_year=2017/data.parquet"):
        assert any(d.startswith(f"{table}: 3 row(s) only on DuckDB") for d in found), found
        assert any(d.startswith(f"{table}: 3 row(s) only on Spark") for d in found), found


@pytest.mark.parametrize(("spark_mart_sql", "expected"), [
    ("select department_code, fiscal_year, total_score, final_budget from ({rows})",
     "marts.department_scores: column rank_in_year only on DuckDB"),
    ("select *, 1::bigint as rank_in_year, 'x' as extra from ({rows})",
     "marts.department_scores: column extra only on Spark"),
    # Spark's sum of a DECIMAL(24,6) is DECIMAL(34,6), DuckDB's DECIMAL(38,6): the same values, another type.
    (DUCKDB_RANK.replace("{rows}", "select department_code, fiscal_year, total_score, "
                                   "final_budget::decimal(34,6) as final_budget from ({rows})"),
     "marts.department_scores: column final_budget: DECIMAL(38,6) on DuckDB, DECIMAL(34,6) on Spark"),
    (DUCKDB_RANK.replace("{rows}", "select * replace (total_score::decimal(18,2) as total_score) from ({rows})"),
     "marts.department_scores: column total_score: DECIMAL(18,4) on DuckDB, DECIMAL(18,2) on Spark"),
])
def test_columns_and_their_types_must_match(tmp_path: Path, spark_mart_sql: str, expected: str) -> None:
    assert expected in differences(tmp_path, spark_mart_sql)


def test_a_table_or_a_file_published_by_one_engine_only_is_a_difference(tmp_path: Path) -> None:
    duck = publish(tmp_path / "duckdb", DUCKDB_RANK, "run-1")
    spark = publish(tmp_path / "spark", DUCKDB_RANK, "run-2")
    with duckdb.connect(str(spark / "warehouse.duckdb")) as con:
        con.execute("drop table reference.units")
    (spark / "parquet" / "department_scores" / "fiscal_year=2017" / "data.parquet").rename(
        spark / "parquet" / "department_scores" / "data.parquet")
    found = [str(d) for d in compare_publications(duck, spark)]
    assert found == ["reference.units: table only on DuckDB",
                     "parquet/department_scores/fiscal_year=2017/data.parquet: file only on DuckDB",
                     "parquet/department_scores/data.parquet: file only on Spark"], found


def test_the_lanes_engine_fault_applies_to_the_model_it_breaks(tmp_path: Path) -> None:
    project = faulty_project(tmp_path / "project")
    model = next(project.glob(f"models/**/{FAULT_MODEL}.sql")).read_text(encoding="utf-8")
    assert "order by total_score asc," in model and "from scores\n    where exists" in model
