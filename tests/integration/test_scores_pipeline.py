"""Scores through the real pipeline: the seed's self-evaluation beside its computed scores, item by
item, and a rule set added as a file with no code change."""

from __future__ import annotations

import shutil
import textwrap
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.cli import RefreshFailed
from orchestration.scoring.rule_sets import RULE_SETS_DIR

DEPT, FY = "WH-DHZB", 2017


def test_seed_self_evaluation_beside_every_department_rule_set(seed_warehouse):
    rows = seed_warehouse.query("""
        select rule_set, self_score, self_grade from marts.department_scores
        where department_code = ? and fiscal_year = ? order by rule_set""", [DEPT, FY])
    # the project rule set scores project forms only: the seed is a department's report
    assert rows == [(rs, D(87), "良好") for rs in ("pefa_outturn", "wuhan_2017_department")]


def test_seed_wuhan_score_explained_item_by_item(seed_warehouse):
    items = seed_warehouse.query("""
        select dimension, item, rule, weight, score, score_source, explanation from marts.indicator_scores
        where department_code = ? and fiscal_year = ? and rule_set = 'wuhan_2017_department'""", [DEPT, FY])
    got = {r[1]: r for r in items}
    assert len(items) == 12 and all(r[6] for r in items)
    assert sum(r[3] for r in items) == D(100)
    expected = {
        "绩效目标合理性": ("self", D("5.4")),            # 6 × 18/20 (the self-evaluation's 投入)
        "在职人员控制率": ("computed", D(0)),            # 19/16 = 118.75%: 18.75 points over × 0.5 > 5
        "预算调整率": ("computed", D("0.4")),            # 56% adjustment: 46 points over 10% × 0.1
        "预算执行率": ("computed", D("6.4016")),         # 8 × 0.80019...
        "“三公经费”控制率": ("computed", D(4)),          # 76.38% ≤ 100%
        "“三公经费”变动率": ("computed", D(4)),          # −22.06% ≤ 0
        "实际完成率": ("computed", D("16.3038")),        # 20 × mean capped completion 0.8151916
        "效益目标达成情况": ("computed", D("9.75")),      # qualitative share 0.5 → partly, 65% of 15
        "社会公众或服务对象满意度": ("self", D(14)),        # 15 × 28/30
    }
    for name, (source, score) in expected.items():
        assert (got[name][5], got[name][4]) == (source, score), got[name]
    assert "18.75 percentage points over the standard 1" in got["在职人员控制率"][6]
    total = seed_warehouse.query("""
        select total_score, grade, score_gap, score_投入, score_过程, score_产出, score_效果, rank_in_year
        from marts.department_scores
        where department_code = ? and fiscal_year = ? and rule_set = 'wuhan_2017_department'""", [DEPT, FY])[0]
    assert total[0] == sum(r[4] for r in items) == D("75.2554")
    assert total[1] == "一般"  # [60, 80)
    assert total[2] == D(87) - total[0]
    assert total[3:7] == (D("9.4"), D("17.8016"), D("24.3038"), D("23.75"))
    assert total[7] == 1


def test_seed_pefa_is_not_rated_with_one_year(seed_warehouse):
    rows = seed_warehouse.query("""
        select item, score, rating, finding from marts.indicator_scores
        where department_code = ? and rule_set = 'pefa_outturn' order by item""", [DEPT])
    assert [(r[0], r[1], r[2]) for r in rows] == [("PI-1 总体支出执行", None, "NR"), ("PI-2 支出结构执行", None, "NR")]
    assert seed_warehouse.query("select total_score, grade from marts.department_scores "
                                "where rule_set = 'pefa_outturn'") == [(None, None)]


NEW_RULE_SET = textwrap.dedent("""
    name: execution_only
    applies_to: department
    title: 只看预算执行率
    source_document: a test of adding a rule set as a file
    total: 10
    grade_bands:
      - {grade: 达标, interval: "[8, 10]"}
      - {grade: 未达标, interval: "[0, 8)"}
    dimensions:
      - name: 执行
        weight: 10
        items:
          - {name: 预算执行率, rule: execution_rate, figure: execution_rate, weight: 10}
""")


@pytest.mark.pipeline  # two refreshes of its own
def test_a_rule_set_dropped_in_appears_without_code_changes(warehouse, monkeypatch, tmp_path):
    rule_sets = tmp_path / "rule_sets"
    shutil.copytree(RULE_SETS_DIR, rule_sets)
    (rule_sets / "execution_only.yml").write_text(NEW_RULE_SET, encoding="utf-8")
    monkeypatch.setenv("WAREHOUSE_RULE_SETS_DIR", str(rule_sets))
    warehouse.copy_seed()
    # A reviewer's score file (raw contract kind reviewer_scores) for one judgment item.
    (warehouse.raw_dir / "2017" / "reviewer_scores.csv").write_text(
        "部门编码,年度,评分规则,评分项目,评审得分,评审人,评审意见\n"
        "WH-DHZB,2017,wuhan_2017_department,绩效目标合理性,3.5,市财政局评审组,未设置部门整体绩效目标\n",
        encoding="utf-8")
    warehouse.refresh()
    reviewed = warehouse.query("""
        select item, score, score_source, explanation from marts.indicator_scores
        where rule_set = 'wuhan_2017_department' and item in ('绩效目标合理性', '绩效指标明确性') order by item""")
    assert [(r[0], r[1], r[2]) for r in reviewed] == [
        ("绩效指标明确性", D("3.6"), "self"), ("绩效目标合理性", D("3.5"), "reviewer")]
    assert "市财政局评审组" in reviewed[1][3] and "未设置部门整体绩效目标" in reviewed[1][3]
    assert warehouse.query("select total_score, grade, score_执行 from marts.department_scores "
                           "where rule_set = 'execution_only'") == [(D("8.0019"), "达标", D("8.0019"))]
    assert ("execution_only",) in warehouse.query("select rule_set from reference.rule_sets")
    # A malformed rule set stops the refresh with its file and line, after new figures were loaded but before
    # dbt builds (the rule-set tables come first): the published file stays as it was, byte for byte, with no
    # build debris.
    published = warehouse.published_db.read_bytes()
    lines = warehouse.raw_dir / "2017" / "WH-DHZB" / "budget_lines.csv"
    lines.write_text(lines.read_text(encoding="utf-8").replace("130.84", "131.84", 1), encoding="utf-8")
    (rule_sets / "execution_only.yml").write_text(NEW_RULE_SET.replace("weight: 10\n    items", "weight: 9\n    items"),
                                                  encoding="utf-8")
    with pytest.raises(RefreshFailed, match=r"execution_only\.yml:\d+: dimension '执行': item weights sum to 10, not "
                                            r"to its weight 9"):
        warehouse.refresh()
    con = duckdb.connect(str(warehouse.work_db), read_only=True)
    try:  # the raw tables did move on, the working marts did not (dbt did not run) ...
        assert con.execute("select count(*) from raw.budget_lines where department_code = 'WH-DHZB' "
                           "and actual_spend = '131.84'").fetchall() == [(1,)]
        assert con.execute("select actual_spend from marts.project_execution where line_no = 1").fetchall() \
            == [(D("130.84"),)]
        # ... and neither did the rule-set tables
        assert con.execute("select dimension_weight from reference.rule_set_items "
                           "where rule_set = 'execution_only'").fetchall() == [(D(10),)]
    finally:
        con.close()
    assert warehouse.published_db.read_bytes() == published  # ... the published file did not
    assert warehouse.query("select actual_spend from marts.project_execution where line_no = 1") == [(D("130.84"),)]
    assert warehouse.query("select count(*) from marts.department_scores where rule_set = 'execution_only'") == [(1,)]
    assert not list(warehouse.publish_dir.glob(".warehouse.duckdb.building-*"))
