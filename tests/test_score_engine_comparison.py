"""The dbt score models (dbt_project/models/scores/) against the Python scoring engine, the oracle
(tests/oracle/): on the bundled data and on generated data at 10,000 department-years, the
four score marts must have the same columns and types and the same rows, compared as exact text
(decimals as written, explanations word for word)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse, _activate, _restore
from oracle.compare import compare, score_with_engine

from orchestration.scoring.rule_sets import RULE_SETS_DIR
from tools.demo_data import generate

DBT_SCORES_SCHEMA = "marts"  # where the dbt score models are built


def _compare_scores(work_db: Path, scratch: Path) -> dict[str, int]:
    """Score a copy of the working database with the oracle, compare, and fail listing every difference."""
    copy = scratch / "compare.duckdb"
    shutil.copyfile(work_db, copy)
    wal = work_db.with_name(work_db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    con = duckdb.connect(str(copy))
    try:
        score_with_engine(con, RULE_SETS_DIR)
        differences, counts = compare(con, DBT_SCORES_SCHEMA)
    finally:
        con.close()
    assert not differences, "the dbt score models differ from the Python engine:\n" + "\n".join(map(str, differences))
    return counts


def test_dbt_scores_equal_the_engine_on_the_bundled_data(bundled_warehouse, tmp_path):
    counts = _compare_scores(bundled_warehouse.work_db, tmp_path)
    # 73 department-years under two department rule sets, the project forms under the project rule set
    assert counts["department_scores"] == 2 * 73
    assert counts["project_scores"] >= 1
    assert counts["indicator_scores"] > 1000
    assert counts["department_score_trends"] == 2 * 13


@pytest.mark.slow
def test_dbt_scores_equal_the_engine_at_ten_thousand_department_years(tmp_path_factory):
    root = tmp_path_factory.mktemp("scores10k")
    wh = Warehouse(root / "warehouse")
    started = time.perf_counter()
    generate(wh.raw_dir, 1000, list(range(2011, 2021)), 42, "consolidated")
    generated = time.perf_counter()
    saved = _activate(wh)
    try:
        wh.refresh()
    finally:
        _restore(saved)
    refreshed = time.perf_counter()
    counts = _compare_scores(wh.work_db, root)
    print(f"10k: generate {generated - started:.1f} s, refresh {refreshed - generated:.1f} s, "
          f"oracle and comparison {time.perf_counter() - refreshed:.1f} s; rows {counts}")
    assert counts["department_scores"] == 2 * 10_000
    assert counts["department_score_trends"] == 2 * 1_000
