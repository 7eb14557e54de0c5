"""Every figure of the seed report (武汉东湖综合保税区建设管理办公室, 2017), read back from the
published marts after a real Dagster + dbt build of data/raw."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

DEPT, FY = "WH-DHZB", 2017


def one(wh, sql, params=None):
    rows = wh.query(sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def pct(rate: D, places: int = 2) -> D:
    """A ratio as the percentage a report would print, half-up at `places` decimals."""
    from decimal import ROUND_HALF_UP

    return (rate * 100).quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


def test_department_totals(seed_warehouse):
    row = one(seed_warehouse, """
        select department_name, initial_budget, budget_adjustment, final_budget, actual_spend,
               execution_rate, stated_execution_rate, adjustment_rate, project_count,
               stated_project_count_initial, stated_project_count_final, is_synthetic
        from marts.department_execution where department_code = ? and fiscal_year = ?""", [DEPT, FY])
    (name, initial, adjustment, final, actual, rate, stated_rate, adj_rate, count, count_initial,
     count_final, synthetic) = row
    assert name == "武汉东湖综合保税区建设管理办公室"
    assert (initial, adjustment, final, actual) == (D("1863"), D("1043.28"), D("2906.28"), D("2325.59"))
    assert isinstance(final, D), "money must stay an exact decimal"
    assert pct(rate) == D("80.02")
    assert rate == D("0.8001947507")  # 2325.59 / 2906.28 = 0.80019475067..., half-up at 10 decimals
    assert stated_rate == D("0.8002")
    assert pct(adj_rate) == D("56.00")  # 1043.28 / 1863
    assert (count, count_initial, count_final) == (13, 11, 13)
    assert synthetic is False


def test_department_totals_keep_the_project_table_beside_the_text(seed_warehouse):
    row = one(seed_warehouse, """
        select lines_final_budget, lines_actual_spend, table_total_final_budget, table_total_actual_spend,
               table_total_stated_execution_rate
        from marts.department_execution where department_code = ? and fiscal_year = ?""", [DEPT, FY])
    assert row == (D("2906.28"), D("2325.59"), D("2906.28"), D("2325.59"), D("0.8002"))


def test_headcount(seed_warehouse):
    row = one(seed_warehouse, """
        select headcount_authorized, headcount_actual, items_headcount_actual, headcount_control_rate
        from marts.department_execution where department_code = ? and fiscal_year = ?""", [DEPT, FY])
    assert row[:3] == (16, 19, 19)  # 19 = 6 + 2 + 7 + 1 + 3
    assert row[3] == D("1.1875")


PROJECT_LINES = [
    # (序号, 项目, 最终预算, 决算金额, 差异数, 完成率 %)
    (1, "日常办公经费", "135.00", "130.84", "-4.16", "96.92"),
    (2, "办公场所运转经费", "393.00", "387.21", "-5.79", "98.53"),
    (3, "接待经费", "14.00", "6.00", "-8.00", "42.86"),
    (4, "国内招商经费", "77.00", "41.67", "-35.33", "54.12"),
    (5, "国外招商经费", "40.00", "36.40", "-3.60", "91.00"),
    (6, "招商宣传经费", "155.00", "128.98", "-26.02", "83.21"),
    (7, "党建经费", "42.00", "32.30", "-9.70", "76.90"),
    (8, "自贸办专项工作经费", "160.00", "129.85", "-30.15", "81.16"),
    (9, "机动经费-区内外配套产业分析与研究咨询服务费", "10.00", "9.90", "-0.10", "99.00"),
    (10, "海关经费", "800.00", "800.00", "0", "100.00"),
    (11, "国检经费", "247.00", "212.11", "-34.89", "85.87"),
    (12, "追加湖北自贸区武汉片区挂牌相关工作及宣传项目等经费", "233.28", "197.24", "-36.04", "84.55"),
    (13, "园区管理经费", "600.00", "213.09", "-386.91", "35.52"),
]


def test_all_thirteen_project_lines(seed_warehouse):
    rows = seed_warehouse.query("""
        select line_no, project_name, final_budget, actual_spend, variance, stated_variance,
               execution_rate, stated_execution_rate, source_file, source_row
        from marts.project_execution where department_code = ? and fiscal_year = ? order by line_no""",
        [DEPT, FY])
    assert len(rows) == 13
    for row, (no, name, final, actual, variance, rate) in zip(rows, PROJECT_LINES, strict=True):
        assert row[:4] == (no, name, D(final), D(actual)), row
        assert row[4] == D(variance) == row[5], f"{name}: computed and stated variance"
        assert pct(row[6]) == D(rate), f"{name}: computed rate {row[6]}"
        assert pct(row[7]) == D(rate), f"{name}: stated rate {row[7]}"
        assert row[8] == "2017/WH-DHZB/budget_lines.csv" and row[9] == no + 1  # header is row 1


def test_variance_reasons_verbatim(seed_warehouse):
    reasons = dict(seed_warehouse.query(
        "select project_name, variance_reason from marts.project_execution where variance_reason is not null"))
    assert set(reasons) == {
        "国内招商经费", "招商宣传经费", "党建经费", "自贸办专项工作经费", "国检经费", "园区管理经费"}
    assert "测算日常国内差旅费42万元，实际发生16.3万元" in reasons["国内招商经费"]
    assert "二期道路清扫保洁306.89万元" in reasons["园区管理经费"]


THREE_PUBLIC = {
    "overseas_travel": ("40", "36.41", "91.03"),
    "official_vehicles": ("4", "1.89", "47.25"),
    "official_reception": ("14", "6", "42.86"),
    "total": ("58", "44.3", "76.38"),
}


def test_three_public_table(seed_warehouse):
    rows = seed_warehouse.query("""
        select category, budget, actual, usage_rate, stated_usage_rate
        from marts.three_public_expenses where department_code = ? and fiscal_year = ?""", [DEPT, FY])
    assert {r[0] for r in rows} == set(THREE_PUBLIC)
    for category, budget, actual, rate, stated in rows:
        want_budget, want_actual, want_rate = THREE_PUBLIC[category]
        assert (budget, actual) == (D(want_budget), D(want_actual)), category
        assert pct(rate) == D(want_rate), f"{category}: computed {rate}"
        assert pct(stated) == D(want_rate), f"{category}: stated {stated}"
    # 36.41 / 40 is exactly 0.91025: half-up gives the report's 91.03%, binary floats would give 91.02%.
    assert dict((r[0], r[3]) for r in rows)["overseas_travel"] == D("0.91025")


def test_three_public_total_against_2016(seed_warehouse):
    row = one(seed_warehouse, """
        select saving, stated_saving, prior_year_actual, prior_year_basis, yoy_change, stated_yoy_change,
               yoy_change_rate, stated_yoy_change_rate, components_budget, components_actual
        from marts.three_public_expenses where department_code = ? and fiscal_year = ? and category = 'total'""",
        [DEPT, FY])
    saving, stated_saving, prior, basis, change, stated_change, rate, stated_rate, parts_budget, parts_actual = row
    assert saving == stated_saving == D("13.7")
    assert prior == D("56.84") and basis == "derived from stated change"
    assert change == stated_change == D("-12.54")
    assert pct(rate) == D("-22.06") and stated_rate == D("-0.2206")
    assert (parts_budget, parts_actual) == (D("58"), D("44.3"))


# (序号, 分项, name, target_text, comparator, value, unit, actual_value, actual_unit, completion %, stated %,
#  status_detail); the unified status is tested in test_analyst_marts.py
INDICATORS = [
    (1, 1, "工业投资", "40亿元", "≥", "40", "亿元", "20.28", "亿元", "50.70", "50.70", "not met"),
    (2, 1, "规模以上工业总产值", "200亿元", "≥", "200", "亿元", "162.75", "亿元", "81.38", "81.40", "partly met"),
    (3, 1, "工业企业“小进规”新增", "2户", "≥", "2", "户", None, None, None, None, "qualitative"),
    (3, 2, "净增户数", "2户", "≥", "2", "户", None, None, None, None, "qualitative"),
    (4, 1, "招商引资总额", "37.74亿元", "≥", "37.74", "亿元", "42.02", "亿元", "111.34", "111.34", "met"),
    (4, 2, "实际利用外资", "1.92亿美元", "≥", "1.92", "亿美元", "1.45", "亿美元", "75.52", "75.91", "partly met"),
    (5, 1, "外贸出口", "49.55亿美元", "≥", "49.55", "亿美元", "61.25", "亿美元", "123.61", "123.61", "met"),
    (6, 2, "100亿元以上项目数", "—", None, None, None, None, None, None, None, "no target"),
    (6, 4, "投资10-49亿元项目数", "3个", "≥", "3", "个", None, None, None, None, "qualitative"),
    (7, 1, "高新技术产业产值", "176亿元", "≥", "176", "亿元", None, None, None, None, "qualitative"),
    (7, 2, "新增高新技术企业家数", "5家", "≥", "5", "家", None, None, None, None, "qualitative"),
    (8, 1, "重点项目开工数/竣工数/投产数/项目到资额", "按考核要求完成", None, None, None, None, None, None, None,
     "qualitative"),
    (9, 1, "其他营利性服务业单位营业收入增长率", "80%", "≥", "80", "%", "1.17", "亿元", None, "97.50", "partly met"),
    (10, 1, "财源建设工作任务", "按考核要求完成", None, None, None, None, None, None, "149.50", "qualitative"),
]


@pytest.mark.parametrize("expected", INDICATORS, ids=[f"{i[0]}.{i[1]}" for i in INDICATORS])
def test_indicator_parsed(seed_warehouse, expected):
    no, part, name, target, comparator, value, unit, actual, actual_unit, rate, stated, status = expected
    row = one(seed_warehouse, """
        select indicator_name, target_text, comparator, target_value, target_unit, actual_value, actual_unit,
               completion_rate, stated_completion_rate, status_detail
        from marts.indicator_completion
        where department_code = ? and fiscal_year = ? and indicator_no = ? and part_no = ?""", [DEPT, FY, no, part])
    assert row[:3] == (name, target, comparator)
    assert row[3] == (D(value) if value else None)
    assert row[4] == unit
    assert row[5] == (D(actual) if actual else None)
    assert row[6] == actual_unit
    assert (pct(row[7]) if row[7] is not None else None) == (D(rate) if rate else None)
    assert (pct(row[8]) if row[8] is not None else None) == (D(stated) if stated else None)
    assert row[9] == status


def test_indicator_rows_split_and_sourced(seed_warehouse):
    rows = seed_warehouse.query("""
        select indicator_no, count(*), min(source_table), min(source_file), min(source_row)
        from marts.indicator_completion where department_code = ? and fiscal_year = ? group by 1 order by 1""",
        [DEPT, FY])
    assert [r[1] for r in rows] == [1, 1, 2, 2, 1, 8, 2, 1, 1, 1]
    # Taken from the result table (rows 12-21 of indicators.csv), which carries the actuals.
    assert all(r[2] == "result" and r[3] == "2017/WH-DHZB/indicators.csv" and r[4] == r[0] + 11 for r in rows)


def test_partial_year_actual_is_marked(seed_warehouse):
    periods = dict(seed_warehouse.query(
        "select indicator_no, actual_period from marts.indicator_completion where actual_period is not null"))
    assert periods == {5: "1-11月", 9: "1-11月"}


def test_self_evaluation(seed_warehouse):
    rows = seed_warehouse.query("""
        select dimension, weight, deduction, self_score, stated_total_score, stated_grade, dimension_score_sum,
               grade_by_band, band_source
        from marts.self_evaluation where department_code = ? and fiscal_year = ? order by line_no""", [DEPT, FY])
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("投入", 20, 2, 18), ("过程", 20, 3, 17), ("产出", 30, 6, 24), ("效果", 30, 2, 28)]
    assert {(r[4], r[5], r[6], r[7], r[8]) for r in rows} == {(87, "良好", 87, "良好", "department")}


def test_published_extras(seed_warehouse):
    tables = {r[0] for r in seed_warehouse.query(
        "select table_schema || '.' || table_name from information_schema.tables")}
    assert {"marts.project_execution", "marts.department_execution", "marts.three_public_expenses",
            "marts.indicator_completion", "marts.self_evaluation", "meta.refresh", "meta.source_files",
            "meta.contract_findings"} <= tables
    parquet = seed_warehouse.publish_dir / "parquet"
    assert sorted(p.name for p in parquet.iterdir() if p.name != "_publication.json") == sorted(
        t for t in ("department_execution", "department_indicators", "indicator_completion",
                                 "project_execution", "self_evaluation", "three_public_expenses",
                                 "department_scores", "indicator_scores", "department_score_trends",
                                 "data_quality_findings", "project_forms", "indicator_scores_stated",
                                 "project_scores", "funding_sources", "scored_forms", "departments"))
    import duckdb

    count_sql = f"select fiscal_year, count(*) from '{parquet / 'project_execution' / '**' / '*.parquet'}' group by 1"
    assert duckdb.connect().execute(count_sql).fetchall() == [(2017, 13)]
    assert (parquet / "project_execution" / "fiscal_year=2017" / "data.parquet").exists()
