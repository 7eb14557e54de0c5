"""The dbt score models (dbt_project/models/scores/) against the Python scoring engine, the oracle
(tests/oracle/): on the bundled data and on generated data at 10,000 department-years, the
four score marts must have the same columns and types and the same rows, compared as exact text
(decimals as written, explanations word for word)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse, _activate, _restore
from oracle.compare import compare, score_with_engine
from oracle.rules import fmt

from orchestration.partitions import all_keys
from orchestration.scoring.rule_set_tables import write_rule_set_tables
from orchestration.scoring.rule_sets import RULE_SETS_DIR, load_rule_sets
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from tools.demo_data import generate

DBT_SCORES_SCHEMA = "marts"  # where the dbt score models are built


def _copy_database(work_db: Path, scratch: Path) -> Path:
    copy = scratch / "compare.duckdb"
    shutil.copyfile(work_db, copy)
    wal = work_db.with_name(work_db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    return copy


# The one difference the models keep on purpose: with scale_to_weight, the engine prints the total it
# scaled to as stated_sum × (weight / stated_sum) in 28-digit arithmetic (99 × 10/99 →
# 9.999999999999999999999999999); the models print the exact value (10). Such a number in the oracle's
# explanation is compared rounded to 10 places.
LONG_NUMBER = re.compile(r"-?[0-9]+\.[0-9]{20,}")


def _round_long_numbers(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute("select distinct explanation from oracle.indicator_scores "
                       "where regexp_full_match(explanation, '.*[0-9][.][0-9]{20,}.*')").fetchall()
    for (text,) in rows:
        fixed = LONG_NUMBER.sub(lambda m: fmt(Decimal(m.group()).quantize(Decimal("1e-10"))), text)
        con.execute("update oracle.indicator_scores set explanation = ? where explanation = ?", [fixed, text])
    return len(rows)


def _compare_scores(work_db: Path, scratch: Path, rule_sets_dir: Path = RULE_SETS_DIR,
                    copy: Path | None = None, round_long_numbers: bool = False) -> dict[str, int]:
    """Score a copy of the working database with the oracle, compare, and fail listing every difference."""
    copy = copy or _copy_database(work_db, scratch)
    con = duckdb.connect(str(copy))
    try:
        score_with_engine(con, rule_sets_dir)
        if round_long_numbers:
            assert _round_long_numbers(con)  # the artifact is there (else drop this allowance)
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
    years = [int(k) for k in all_keys()][:10]  # ten fiscal-year partitions (from WAREHOUSE_FIRST_FISCAL_YEAR)
    assert len(years) == 10
    generate(wh.raw_dir, 1000, years, 42, "consolidated")
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


# Inputs edited so that the rules meet their edges (missing, zero, negative and capped figures, a self-evaluation
# dimension without weight, reviewer scores below zero and above the weight, indicators without a rate, with a
# zero target, an unknown assessment, a quote in their text, one without stated points).
EDGES = [
    "update marts.department_indicators set execution_rate = null where department_code = 'DEMO-001' "
    "and fiscal_year = 2016",
    "update marts.department_indicators set execution_rate = 2 where department_code = 'DEMO-004' "
    "and fiscal_year = 2016",
    "update marts.department_indicators set three_public_control_rate = 0 where department_code = 'DEMO-002' "
    "and fiscal_year = 2016",
    "update marts.department_indicators set three_public_control_rate = -0.25 where department_code = 'DEMO-003' "
    "and fiscal_year = 2016",
    "update marts.department_indicators set three_public_control_rate = null, composition_variance = null, "
    "indicator_met_share = null, adjustment_rate = null where department_code = 'DEMO-005' and fiscal_year = 2015",
    "update marts.department_indicators set composition_variance = 0.05 where department_code = 'DEMO-006'",
    "update marts.department_indicators set composition_variance = 0.2 where department_code = 'DEMO-007' "
    "and fiscal_year = 2018",
    "update marts.self_evaluation set weight = 0 where department_code = 'DEMO-005' and fiscal_year = 2017 "
    "and dimension = '投入'",
    "delete from marts.self_evaluation where department_code = 'DEMO-008' and fiscal_year = 2019",
    "insert into staging.stg_reports__reviewer_scores (department_code, fiscal_year, rule_set, item, score, reviewer, "
    "note) values ('DEMO-001', 2017, 'edge_department', '评审', 7.25, '评审组', 'it''s \"fine\"'), "
    "('DEMO-002', 2017, 'edge_department', '评审', -1, null, null), "
    "('DEMO-005', 2017, 'edge_department', '评判', 3.33333, '', 'self weight is zero'), "
    "('DEMO-003', 2018, 'wuhan_2017_department', '绩效目标合理性', 9, '专家', null), "
    "('DEMO-003', 2018, 'pefa_outturn', 'PI-1 总体支出执行', 40, '专家', 'not a judgment item')",
    "update marts.indicator_completion set completion_rate = null, stated_completion_rate = null, assessment = null "
    "where department_code = 'DEMO-006' and fiscal_year = 2018 and indicator_no in (1, 2, 3)",
    "update marts.indicator_completion set completion_rate = null, stated_completion_rate = null, target_value = 0, "
    "assessment = 'achieved' where department_code = 'DEMO-006' and fiscal_year = 2018 and indicator_no = 4",
    "update marts.indicator_completion set assessment = 'unknown', actual_text = '基本达成''部分' "
    "where department_code = 'DEMO-006' and fiscal_year = 2018 and target_kind = 'qualitative'",
    "update marts.indicator_completion set weight = null where department_code = 'DEMO-007' and fiscal_year = 2018 "
    "and indicator_no = 1",
    "update marts.indicator_completion set stated_completion_rate = completion_rate, completion_rate = null "
    "where department_code = 'DEMO-008' and fiscal_year = 2016",
    "delete from marts.indicator_completion where department_code = 'DEMO-009' and fiscal_year = 2020",
    "update marts.project_forms set execution_rate = null",
]


def test_dbt_scores_equal_the_engine_on_edge_cases(bundled_warehouse, tmp_path):
    rule_sets_dir = tmp_path / "rule_sets"
    shutil.copytree(RULE_SETS_DIR, rule_sets_dir)
    shutil.copy(Path(__file__).parents[1] / "oracle" / "edge_rule_sets" / "edge_department.yml", rule_sets_dir)
    copy = _copy_database(bundled_warehouse.work_db, tmp_path)
    con = duckdb.connect(str(copy))
    try:
        for statement in EDGES:
            con.execute(statement)
        write_rule_set_tables(con, load_rule_sets(rule_sets_dir))
    finally:
        con.close()
    # Only the score models are rebuilt, on the edited inputs (dbt's own files go to the scratch folder).
    built = subprocess.run(
        [str(DBT_EXECUTABLE), "run", "--select", "path:models/scores", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        env={**os.environ, "WAREHOUSE_WORK_DB": str(copy)}, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    assert built.returncode == 0, built.stdout[-3000:]
    counts = _compare_scores(copy, tmp_path, rule_sets_dir, copy=copy, round_long_numbers=True)
    assert counts["department_scores"] == 3 * 73
