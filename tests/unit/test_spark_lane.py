"""The Spark lane's comparison (tools/spark_lane.compare_marts): a mart Spark built differently from DuckDB
is a difference, whether a value, a row, a column or a decimal's scale; Parquet written from the same rows
is none."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tools.spark_lane import compare_marts

RANKED = """select * from (values ('D1', 2017, 90.50::decimal(18,4)), ('D2', 2017, null),
                              ('D3', 2017, 80.25::decimal(18,4)))
            as t(department_code, fiscal_year, total_score)"""


def build(tmp_path: Path, spark_select: str) -> tuple[Path, Path]:
    """A DuckDB working database whose mart ranks scores as DuckDB does (NULLs last), and a 'Spark' build of
    it written as Parquet by `spark_select` over the same rows."""
    work = tmp_path / "build.duckdb"
    with duckdb.connect(str(work)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.department_scores as select *, "
                    f"rank() over (order by total_score desc nulls last) as rank_in_year from ({RANKED})")
        folder = tmp_path / "spark" / "department_scores"
        folder.mkdir(parents=True)
        con.execute(f"copy ({spark_select.format(rows=RANKED)}) to '{folder / 'part-0.parquet'}' (format parquet)")
    return work, tmp_path / "spark"


def test_the_same_rows_are_no_difference(tmp_path: Path) -> None:
    work, spark = build(tmp_path, "select *, rank() over (order by total_score desc nulls last) as rank_in_year "
                                  "from ({rows})")
    assert compare_marts(work, spark) == []


def test_a_null_ordered_first_on_spark_only_is_a_difference(tmp_path: Path) -> None:
    # Spark orders NULLs first in ascending order: a rank written without NULLS LAST would give this.
    work, spark = build(tmp_path, "select *, rank() over (order by total_score desc nulls first) as rank_in_year "
                                  "from ({rows})")
    differences = [str(d) for d in compare_marts(work, spark)]
    assert any("3 row(s) only on DuckDB" in d for d in differences), differences
    assert any("3 row(s) only on Spark" in d for d in differences), differences


@pytest.mark.parametrize(("spark_select", "expected"), [
    ("select department_code, fiscal_year, total_score from ({rows})", "column rank_in_year missing on Spark"),
    ("select department_code, fiscal_year, total_score::decimal(18,2) as total_score, 1 as rank_in_year "
     "from ({rows})", "column total_score: DECIMAL(18,4) on DuckDB, DECIMAL(18,2) on Spark"),
    ("select *, 1 as rank_in_year, 'x' as extra from ({rows})", "column extra only on Spark"),
])
def test_columns_and_scales_must_match(tmp_path: Path, spark_select: str, expected: str) -> None:
    work, spark = build(tmp_path, spark_select)
    assert expected in [d.what for d in compare_marts(work, spark)]


def test_a_mart_spark_did_not_build_is_a_difference(tmp_path: Path) -> None:
    work, spark = build(tmp_path, "select * from ({rows})")
    (spark / "department_scores" / "part-0.parquet").unlink()
    assert [d.what for d in compare_marts(work, spark)] == [f"no Parquet files in {spark / 'department_scores'}"]
