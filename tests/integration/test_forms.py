"""Real forms (raw contract version 2): the two bundled project self-evaluation forms, every target
parsing case, every reconciliation check of a form's own arithmetic, and rule sets that know what
they score - all on one warehouse built once through the real Dagster jobs and dbt."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import BUNDLED_RAW, Warehouse, _activate, _restore

from orchestration.scoring.rule_sets import RULE_SETS_DIR, load_rule_sets

FORM_INPUTS = Path(__file__).parents[1] / "form_inputs"
CHIZHOU, LIJIANG = ("CZ-GC219", 2022, "CZ-GC219-P01"), ("LJ-ZRZYJ", 2020, "LJ-ZRZYJ-P01")


@pytest.fixture(scope="session")
def forms_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The bundled real project forms, the parsing and check cases of tests/form_inputs, scored under
    the shipped rule sets and a YAML-only department rule set (tests/form_inputs/form_rule_set.yml)."""
    wh = Warehouse(tmp_path_factory.mktemp("forms") / "warehouse")
    shutil.copytree(FORM_INPUTS / "2021", wh.raw_dir / "2021")
    for code, year, _ in (CHIZHOU, LIJIANG):
        shutil.copytree(BUNDLED_RAW / str(year) / code, wh.raw_dir / str(year) / code)
    rule_sets = wh.root / "rule_sets"
    shutil.copytree(RULE_SETS_DIR, rule_sets)
    shutil.copy(FORM_INPUTS / "form_rule_set.yml", rule_sets)
    saved = _activate(wh)
    os.environ["WAREHOUSE_RULE_SETS_DIR"] = str(rule_sets)
    try:
        wh.refresh()
    finally:
        _restore(saved)
    yield wh


def findings(wh: Warehouse, department: str, project: str | None = None) -> list[tuple]:
    return wh.query("""
        select check_name, severity, subject, stated_value, computed_value, source_file, source_row
        from marts.data_quality_findings
        where department_code = ? and (? is null or project_code = ?)
        order by check_name, subject""", [department, project, project])


def form(wh: Warehouse, project: str) -> dict:
    cursor = wh.query("select * from marts.project_forms where project_code = ?", [project])
    columns = [r[0] for r in wh.query(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'project_forms' order by ordinal_position")]
    assert len(cursor) == 1, project
    return dict(zip(columns, cursor[0], strict=True))


# --- the bundled real forms -------------------------------------------------------------------------

def test_lijiang_form_every_stated_figure_comes_back(forms_warehouse):
    f = form(forms_warehouse, LIJIANG[2])
    assert (f["project_name"], f["competent_department"], f["implementing_unit"]) == (
        "2020年省级自然资源卫片执法补助经费支出绩效自评表", "丽江市自然资源和规划局", "丽江市古城区自然资源局")
    assert (f["initial_budget"], f["final_budget"], f["actual_spend"]) == (D("7.29"), D("7.29"), D("7.29"))
    assert (f["appropriation_initial_budget"], f["appropriation_final_budget"], f["appropriation_actual_spend"]) == (
        D("7.29"), D("7.29"), D("7.29"))
    assert f["carryover_final_budget"] is None and f["other_final_budget"] is None
    assert (f["stated_execution_rate_text"], f["execution_rate"]) == ("100%", D(1))
    assert forms_warehouse.query("""
        select funding_source, final_budget, stated_execution_rate_text, execution_rate from marts.funding_sources
        where project_code = ? and final_budget is not null order by line_no""", [LIJIANG[2]]) == [
        ("total", D("7.29"), "100%", D(1)), ("appropriation", D("7.29"), "100%", D(1))]
    as_written = forms_warehouse.query("""
        select nature, target_text, measure_unit, actual_text, target_value, target_unit, actual_value
        from marts.indicator_completion where project_code = ? order by indicator_no""", [LIJIANG[2]])
    assert as_written == [
        ("=", "72890", "元", "72890", D(72890), "元", D(72890)), ("=", "100", "%", "100", D(100), "%", D(100)),
        ("=", "100", "%", "100", D(100), "%", D(100)), ("≥", "95", "%", "95", D(95), "%", D(95)),
        ("≥", "95", "%", "95", D(95), "%", D(95))]
    assert (f["execution_weight"], f["stated_execution_score"], f["computed_execution_score"]) == (D(10), D(10), D(10))
    # The total row is cut off: no stated total, but every indicator can be recomputed.
    assert f["stated_total_score"] is None and not f["source_complete"]
    assert (f["indicator_weight_sum"], f["stated_indicator_score_sum"]) == (D(90), D(74))
    assert (f["recomputed_total_score"], f["recomputed_grade"]) == (D(100), "优")
    rows = forms_warehouse.query("""
        select indicator_name, weight, stated_score, recomputed_score, score_difference
        from marts.indicator_scores_stated where project_code = ? order by indicator_no""", [LIJIANG[2]])
    assert rows == [
        ("卫片执法补助经费", D(10), D(9), D(10), D(-1)),
        ("项目验收合格率", D(20), D(19), D(20), D(-1)),
        ("项目完成及时率", D(20), D(19), D(20), D(-1)),
        ("违法行为责停率", D(30), D(27), D(30), D(-3)),
        ("满意度", D(10), None, D(10), None),
    ]


def test_lijiang_form_gets_the_findings_its_arithmetic_deserves(forms_warehouse):
    got = {(c, sev, s) for c, sev, s, *_ in findings(forms_warehouse, *LIJIANG[::2])}
    # Four fully met indicators scored below their 分值 with no reason given (info); the total cannot be
    # checked because the source is cut off (info); nothing else - its points sum to 100, its funding
    # total equals its source, 100% of 10 points is 10.
    assert got == {
        ("full_marks_withheld", "info", "卫片执法补助经费"),
        ("full_marks_withheld", "info", "项目验收合格率"),
        ("full_marks_withheld", "info", "项目完成及时率"),
        ("full_marks_withheld", "info", "违法行为责停率"),
        ("form_scores_not_total", "info", "LJ-ZRZYJ-P01总分"),
    }


def test_chizhou_form_every_stated_figure_comes_back(forms_warehouse):
    f = form(forms_warehouse, CHIZHOU[2])
    assert f["project_name"] == "委托业务项目"
    assert f["competent_department"] == "219-池州市贵池区棠溪镇人民政府"
    # The total row states zeros; the appropriation row holds the money: both kept, execution from the sources.
    assert (f["initial_budget"], f["final_budget"], f["actual_spend"]) == (D(0), D(0), D(0))
    assert (f["appropriation_initial_budget"], f["appropriation_final_budget"], f["appropriation_actual_spend"]) == (
        D(90), D("89.974"), D("89.974"))
    assert (f["execution_rate"], f["execution_basis"]) == (D(1), "sum of sources")
    assert (f["stated_execution_rate"], f["execution_weight"], f["stated_execution_score"]) == (D(0), D(10), D(0))
    assert f["computed_execution_score"] == D(10)
    assert (f["indicator_weight_sum"], f["stated_indicator_score_sum"], f["recomputed_indicator_score_sum"]) == (
        D(80), D(80), D(80))
    # Cut off inside the satisfaction row: no recomputed total, no grade.
    assert f["recomputed_total_score"] is None and f["recomputed_grade"] is None and not f["source_complete"]
    scored = forms_warehouse.query("""
        select indicator_name, weight, stated_score, recomputed_score from marts.indicator_scores_stated
        where project_code = ? order by indicator_no""", [CHIZHOU[2]])
    assert scored == [(name, D(w), D(w), D(w)) for name, w in (
        ("基建工程委托业务项目数量", 8), ("委托业务报告合格率", 8), ("经费支出合规性", 8),
        ("提交报告及时性", 8), ("项目总成本", 8), ("单项业务成本", 10), ("对维护基建市场公平的影响程度", 10),
        ("对控制基建项目成本影响程度", 10), ("对推动基建项目“四项制度”健全和落实的持续性影响", 10),
    )]  # 分值, stated 得分, recomputed 得分
    # the cut-off satisfaction row keeps what the source shows: its name, under its heading's points
    assert forms_warehouse.query("""
        select indicator_name, level1_points, target_kind, weight from marts.indicator_completion
        where project_code = ? and indicator_no = 10""", [CHIZHOU[2]]) == [("公众满", D(10), "none", None)]


def test_chizhou_form_gets_the_findings_its_arithmetic_deserves(forms_warehouse):
    got = {(c, sev, s, st, co) for c, sev, s, st, co, *_ in findings(forms_warehouse, *CHIZHOU[::2])}
    assert got == {
        ("total_not_sum", "error", "CZ-GC219-P01资金总额年初预算数", "0.00", "90.00"),
        ("total_not_sum", "error", "CZ-GC219-P01资金总额全年预算数", "0.00", "89.97"),
        ("total_not_sum", "error", "CZ-GC219-P01资金总额全年执行数", "0.00", "89.97"),
        # the total row states 执行率 0 while its sources spent 89.974 of 89.974
        ("stated_rate_mismatch", "error", "CZ-GC219-P01资金总额（按各来源计算）", "0", "1"),
        # cut off: the points (10 + 80 of 100) and the total cannot be checked, nor the 满意度 heading
        ("form_points_not_total", "info", "CZ-GC219-P01分值合计", "90", "100"),
        ("form_scores_not_total", "info", "CZ-GC219-P01总分", None, "80"),
        ("weights_not_sum", "info", "满意度指标(10分)指标分值", "10", None),
    }
    sources = {r[5] for r in findings(forms_warehouse, *CHIZHOU[::2])}
    assert sources <= {"2022/CZ-GC219/funding_sources.csv", "2022/CZ-GC219/project_forms.csv",
                       "2022/CZ-GC219/indicators.csv"}


def test_project_forms_are_scored_by_the_project_rule_set(forms_warehouse):
    rows = dict((r[0], r[1:]) for r in forms_warehouse.query("""
        select project_code, total_score, grade, unscored_items, is_synthetic from marts.project_scores
        where rule_set = 'mof_2020_project_self_eval' and project_code in (?, ?)""", [LIJIANG[2], CHIZHOU[2]]))
    assert rows[LIJIANG[2]] == (D(100), "优", 0, False)
    # the satisfaction indicator is cut off: unscored, so the total has no grade
    assert rows[CHIZHOU[2]] == (D(90), None, 1, False)


# --- target and actual parsing ----------------------------------------------------------------------

PARSE_CASES = {
    # no: (what, comparator, direction, value, unit, completion)
    1: ("以上 after the unit, 1000万元以上 vs 1200万元", "≥", "higher", D(1000), "万元", D("1.2")),
    2: ("以内 after the unit", "≤", "lower", D(90), "万元", D("1.25")),
    3: ("不低于 before the number", "≥", "higher", D(95), "%", D("1.0315789474")),
    4: ("不超过 before the number", "≤", "lower", D(100), "万元", D("1.25")),
    5: ("不少于 before the number", "≥", "higher", D(50), "人次", D("0.8")),
    6: ("不高于 before the number", "≤", "lower", D(5), "%", D("1.25")),
    7: ("以上 after %", "≥", "higher", D(95), "%", D("1.0105263158")),
    8: ("full-width ≧ and digits", "≥", "higher", D(80), "%", D("1.1")),
    9: ("full-width ＜＝", "≤", "lower", D(5), "%", D("2.5")),
    10: ("no sign: 预算调整率 is lower-is-better", "≤", "lower", D(10), "%", D("1.25")),
    11: ("no sign: 结转结余率 is lower-is-better", "≤", "lower", D(5), "%", D("1.25")),
    12: ("no sign: the 控制率 family", "≤", "lower", D(100), "%", D("1.1111111111")),
    13: ("亿元 target, 万元 actual", "≥", "higher", D(2), "亿元", D("0.75")),
    14: ("range, actual inside", "range", "range", D(90), "%", D(1)),
    15: ("range, actual below", "range", "range", D(90), "%", D("0.9444444444")),
    16: ("range, actual above", "range", "range", D(90), "%", D("0.9693877551")),
    17: ("指标性质 = with 度量单位 元", "=", "equal", D(72890), "元", D(1)),
    18: ("指标性质 反向 with 度量单位 %", "≤", "lower", D(5), "%", D("1.25")),
    19: ("调整指标值 replaces 年度指标值", "≥", "higher", D(120), "个", D(1)),
    20: ("actual as a ratio against a % target", "≥", "higher", D(95), "%", D("1.0315789474")),
    21: ("内 after the unit", "≤", "lower", D(3), "天", D("1.5")),
    22: ("达到 before the number", "≥", "higher", D(80), "人", D("1.25")),
    23: ("以上 after a count", "≥", "higher", D(50), "个", D("0.8")),
    25: ("a word before and after: 达到95%以上", "≥", "higher", D(95), "%", D("1.0105263158")),
    26: ("full-width ＞ alone", ">", "higher", D(90), "%", D("1.1")),
    27: ("不超过, over the limit", "≤", "lower", D(2), "万元", D("0.8")),
    28: ("不低于 after the number", "≥", "higher", D(95), "%", D("1.0315789474")),
    29: ("不超过 after the number", "≤", "lower", D(100), "万元", D("1.25")),
    30: ("不少于 after the number", "≥", "higher", D(50), "人", D("0.8")),
    42: ("range with an em dash", "range", "range", D(90), "%", D(1)),
    43: ("a remark in brackets after the target", "≥", "higher", D(90), "%", D("1.1")),
    44: ("以上 and a remark", "≥", "higher", D(95), "%", D("1.0105263158")),
    45: ("a full stop after the target, a word before the actual", "≥", "higher", D(95), "%", D("1.0315789474")),
    46: ("a range in 亿元 against an actual in 万元", "range", "range", D(1), "亿元", D("0.5")),
    47: ("≤ in a unit the unit table does not know", "≤", "lower", D(3), "个工作日", D("1.5")),
    48: ("an adjusted target written as — is no adjustment", "≥", "higher", D(100), "个", D(1)),
}


def parsed(wh: Warehouse, no: int) -> tuple:
    rows = wh.query("""
        select comparator, direction, target_value, target_unit, completion_rate, target_kind, assessment,
               comparator_source, target_value_high, actual_read_as_ratio
        from marts.indicator_completion where project_code = 'TST-PARSE-P01' and indicator_no = ?""", [no])
    assert len(rows) == 1, no
    return rows[0]


@pytest.mark.parametrize("no", sorted(PARSE_CASES), ids=lambda n: PARSE_CASES[n][0])
def test_target_parsing(forms_warehouse, no):
    _, comparator, direction, value, unit, completion = PARSE_CASES[no]
    got = parsed(forms_warehouse, no)
    assert got[:5] == (comparator, direction, value, unit, completion)
    assert got[5] == "quantitative"


def test_where_the_direction_comes_from(forms_warehouse):
    source = {no: parsed(forms_warehouse, no)[7] for no in (1, 3, 10, 13, 14, 17, 18)}
    assert source == {1: "written", 3: "written", 10: "library", 13: "default", 14: "range", 17: "nature",
                      18: "nature"}
    assert parsed(forms_warehouse, 14)[8] == D(95)
    assert parsed(forms_warehouse, 20)[9] is True and parsed(forms_warehouse, 1)[9] is False


QUALITATIVE_CASES = {
    24: "achieved",  # 指标性质 定性 over a number target, actual 达成预期指标
    31: "achieved", 32: "achieved", 33: "achieved", 34: "achieved", 35: "achieved", 36: "achieved",
    37: "achieved", 38: "achieved", 39: "achieved",  # 高 好 较好 显著 明显 达到预期 达成预期指标 完成 合格
    40: "not",  # 不合格
    41: "partly",  # 基本完成
    49: "not", 50: "not", 51: "not",  # 不满意, 效果不显著, 没有达到预期: negations are not their verb
}


@pytest.mark.parametrize("no", sorted(QUALITATIVE_CASES))
def test_qualitative_verdicts(forms_warehouse, no):
    comparator, direction, value, _, completion, kind, assessment, *_ = parsed(forms_warehouse, no)
    assert (kind, comparator, direction, value, completion) == ("qualitative", None, None, None, None)
    assert assessment == QUALITATIVE_CASES[no]


def test_findings_on_a_project_indicator_name_the_project_and_count_on_its_form(forms_warehouse):
    found = forms_warehouse.query("""
        select check_name, subject, project_code from marts.data_quality_findings
        where department_code = 'TST-PARSE'""")
    assert ("zero_target", "安全事故", "TST-PARSE-P01") in found  # target 0起
    assert all(p == "TST-PARSE-P01" for _, _, p in found)
    assert form(forms_warehouse, "TST-PARSE-P01")["finding_count"] == len(found)


# --- the form's own arithmetic ----------------------------------------------------------------------

def check_findings(wh: Warehouse, project: str) -> set[tuple[str, str, str]]:
    return {(c, sev, s) for c, sev, s, *_ in findings(wh, "TST-CHK", f"TST-CHK-{project}")}


def test_an_indicator_far_below_target_given_its_full_points(forms_warehouse):
    assert check_findings(forms_warehouse, "FAR") == {("indicator_score_mismatch", "error", "完成数量")}
    row = forms_warehouse.query("""
        select stated_value, computed_value from marts.data_quality_findings
        where project_code = 'TST-CHK-FAR'""")
    assert row == [("50", "10")]  # 20 of 100 done: 20% of 50 points


def test_a_qualitative_not_achieved_given_full_points(forms_warehouse):
    assert check_findings(forms_warehouse, "QUAL") == {("indicator_score_mismatch", "error", "社会效益")}


def test_scored_below_completion_is_a_warning_and_full_marks_withheld_without_reason_is_info(forms_warehouse):
    assert check_findings(forms_warehouse, "UNDER") == {
        ("indicator_score_mismatch", "warning", "部分完成"),  # 80% of 30 is 24, stated 20
        ("full_marks_withheld", "info", "社会效益"),  # achieved, 27 of 30, no reason; 按时完成 gives one
    }


def test_weights_summing_to_110(forms_warehouse):
    assert check_findings(forms_warehouse, "110") == {("form_points_not_total", "error", "TST-CHK-110分值合计")}


def test_a_nested_heading_whose_parts_do_not_add_up(forms_warehouse):
    assert check_findings(forms_warehouse, "NEST") == {
        ("weights_not_sum", "error", "数量指标(20分)指标分值"),  # 10 + 5
        ("weights_not_sum", "error", "质量指标(30分)指标分值"),  # 35
    }  # 产出指标(50分) holds 15 + 35 = 50: no finding


@pytest.mark.parametrize(("project", "found"), [
    ("EXEC-OK", set()),
    ("EXEC-8", {("execution_score_mismatch", "error", "TST-CHK-EXEC-8预算执行率得分")}),
    ("EXEC-10", {("execution_score_mismatch", "error", "TST-CHK-EXEC-10预算执行率得分")}),
])
def test_76_percent_of_a_10_point_execution_item_is_7_6(forms_warehouse, project, found):
    assert check_findings(forms_warehouse, project) == found


def test_score_coefficient_times_points_is_the_score(forms_warehouse):
    got = check_findings(forms_warehouse, "COEF")
    assert ("score_coefficient_mismatch", "error", "数量二") in got  # 0.9 × 30 = 27, stated 20
    assert not {f for f in got if f[2] == "数量一"}  # 0.8 × 20 = 16


def test_a_total_that_is_not_the_sum_of_its_items(forms_warehouse):
    assert check_findings(forms_warehouse, "SUM") == {("form_scores_not_total", "error", "TST-CHK-SUM总分")}


def test_the_same_figure_scored_twice(forms_warehouse):
    assert check_findings(forms_warehouse, "TWICE") == {
        ("scored_twice", "warning", "预算执行率"),  # the execution item scores it already
        ("scored_twice", "warning", "社会效益"),  # 15 / 15 and 15 / 12
        ("full_marks_withheld", "info", "社会效益"),  # the second one: achieved, 12 of 15, no reason
    }


def test_a_cut_off_source_gives_info_not_errors(forms_warehouse):
    # the cut took the satisfaction indicator's 分值 and 得分 and the total: nothing to add up
    assert check_findings(forms_warehouse, "CUT") == {
        ("form_points_not_total", "info", "TST-CHK-CUT分值合计"),
        ("form_scores_not_total", "info", "TST-CHK-CUT总分"),
        ("weights_not_sum", "info", "满意度指标(10分)指标分值"),
    }


def test_a_cut_off_source_does_not_hide_an_error_it_does_not_touch(forms_warehouse):
    # only a 得分 and the total are cut off: every 分值 is there, and they add up to 110
    assert check_findings(forms_warehouse, "CUT2") == {
        ("form_points_not_total", "error", "TST-CHK-CUT2分值合计"),
        ("form_scores_not_total", "info", "TST-CHK-CUT2总分"),
    }


def test_a_funding_rows_stated_rate_against_its_amounts(forms_warehouse):
    assert check_findings(forms_warehouse, "RATE") == {
        ("stated_rate_mismatch", "error", "TST-CHK-RATE资金总额"),  # 90 of 100 stated as 95%
    }


def test_a_reason_written_as_a_placeholder_is_no_reason(forms_warehouse):
    assert check_findings(forms_warehouse, "NIL") == {("full_marks_withheld", "info", "完成数量")}  # 无


def test_a_consistent_department_form_raises_nothing_of_its_arithmetic(forms_warehouse):
    checks = {c for c, *_ in findings(forms_warehouse, "TST-DEPT")}
    assert checks == {"missing_file_kind"}  # it submits no budget lines or 三公 table; its arithmetic is right


# --- rule sets that know what they score -----------------------------------------------------------

def test_a_yaml_only_department_rule_set_reproduces_a_consistent_forms_total(forms_warehouse):
    (total, grade, self_score, gap, unscored), = forms_warehouse.query("""
        select total_score, grade, self_score, score_gap, unscored_items from marts.department_scores
        where rule_set = 'form_rule_set' and department_code = 'TST-DEPT'""")
    assert (total, self_score, gap, unscored) == (D("91.6"), D("91.6"), D(0), 0)
    assert grade == "优"
    items = dict(forms_warehouse.query("""
        select indicator, score from marts.indicator_scores
        where rule_set = 'form_rule_set' and department_code = 'TST-DEPT'"""))
    assert items == {"funding_execution_rate": D("7.6"), "办结事项": D(30), "培训场次": D(16), "运行成本": D(18),
                     "社会效益": D(20)}


def test_no_rule_set_scores_what_it_does_not_apply_to(forms_warehouse):
    applies = {rs.name: rs.applies_to for rs in load_rule_sets(forms_warehouse.root / "rule_sets")}
    assert set(applies.values()) == {"department", "project"}
    department_sets = {r[0] for r in forms_warehouse.query("select distinct rule_set from marts.department_scores")}
    project_sets = {r[0] for r in forms_warehouse.query("select distinct rule_set from marts.project_scores")}
    assert department_sets and all(applies[r] == "department" for r in department_sets)
    assert project_sets and all(applies[r] == "project" for r in project_sets)
    projects = {r[0] for r in forms_warehouse.query("select project_code from marts.project_forms")}
    assert {r[0] for r in forms_warehouse.query("select distinct project_code from marts.project_scores")} == projects
    assert forms_warehouse.query(
        "select count(*) from marts.department_scores where department_code in ('CZ-GC219', 'LJ-ZRZYJ', 'TST-CHK')"
    ) == [(0,)]
    assert {r[0] for r in forms_warehouse.query(
        "select distinct rule_set from marts.indicator_scores where entity_type = 'project'")} == project_sets


def test_a_stated_rate_stands_in_for_missing_amounts(forms_warehouse):
    (score, source, explanation), = forms_warehouse.query("""
        select score, score_source, explanation from marts.indicator_scores
        where project_code = 'TST-CHK-STATED' and item = '预算执行率'""")
    assert (score, source) == (D("9.5"), "stated") and "stated" in explanation


def test_is_synthetic_is_never_null(forms_warehouse):
    tables = forms_warehouse.query("""
        select table_name from information_schema.columns where table_schema = 'marts'
        and column_name = 'is_synthetic'""")
    all_tables = forms_warehouse.query(
        "select distinct table_name from information_schema.columns where table_schema = 'marts'")
    assert {t for t, in tables} == {t for t, in all_tables}
    for table, in tables:
        assert forms_warehouse.query(f"select count(*) from marts.{table} where is_synthetic is null") == [(0,)], table
    real = forms_warehouse.query("select distinct is_synthetic from marts.project_forms where project_code in (?, ?)",
                                 [CHIZHOU[2], LIJIANG[2]])
    assert real == [(False,)]
