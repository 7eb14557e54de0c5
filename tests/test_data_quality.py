"""Data quality: the seed's own inconsistencies found by the general checks, a corpus of broken
files quarantined by the contract while everything else publishes, a quarantined file's previous
version kept, and the demo data's injected inconsistencies found where they were injected."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml
from conftest import BUNDLED_RAW

from orchestration.contract import PROJECT_ROOT

CORPUS = Path(__file__).parent / "broken_inputs"


def seed_findings(wh) -> dict[tuple[str, str], tuple]:
    rows = wh.query("""
        select check_name, subject, severity, source_file, source_row, source_column, stated_value, computed_value,
               message_zh, message_en
        from marts.data_quality_findings where department_code = 'WH-DHZB'""")
    return {(r[0], r[1]): r[2:] for r in rows}


def test_the_seed_reports_inconsistencies_are_found(seed_warehouse):
    found = seed_findings(seed_warehouse)
    assert set(found) == {
        ("stated_rate_mismatch", "实际利用外资"),
        ("stated_twice_differently", "国外招商经费 / 因公出国（境）费用"),
        ("unit_implausible", "外贸出口"),
        ("partial_year_actual", "外贸出口"),
        ("partial_year_actual", "其他营利性服务业单位营业收入增长率"),
        ("control_ratio_over_standard", "在职人员控制率"),
        ("incomparable_units", "其他营利性服务业单位营业收入增长率"),
    }
    indicators = "2017/WH-DHZB/indicators.csv"
    # 1.45亿美元 / 1.92亿美元 = 75.52%, the report says 75.91%.
    assert found[("stated_rate_mismatch", "实际利用外资")][:6] == (
        "error", indicators, 15, "actual_text", "75.91%", "75.52%")
    # The project line 国外招商经费 and the 三公 line 因公出国（境）费用 carry the same 40万元 budget,
    # but not the same actual.
    assert found[("stated_twice_differently", "国外招商经费 / 因公出国（境）费用")][:6] == (
        "warning", "2017/WH-DHZB/budget_lines.csv", 6, "actual_spend", "36.40", "36.41")
    # 61.25亿美元 restated as 人民币398.25元: 亿 dropped.
    unit = found[("unit_implausible", "外贸出口")]
    assert unit[:5] == ("error", indicators, 16, "actual_text", "61.25亿美元 = 人民币398.25元")
    assert D(unit[5].split()[0]) < 1
    assert found[("partial_year_actual", "外贸出口")][:6] == ("warning", indicators, 16, "actual_text",
                                                           found[("partial_year_actual", "外贸出口")][4], "1-11月")
    assert found[("partial_year_actual", "其他营利性服务业单位营业收入增长率")][2] == 20
    # 19 staff in post against 16 authorised: 118.75%, on the staff total row.
    assert found[("control_ratio_over_standard", "在职人员控制率")][:6] == (
        "warning", "2017/WH-DHZB/staffing.csv", 8, "headcount", "19 / 16", "118.75%")
    assert all(f[6] and f[7] for f in found.values()), "every finding explains itself in Chinese and English"


def test_a_rate_agreeing_at_its_stated_precision_raises_nothing(seed_warehouse):
    subjects = {s for (check, s) in seed_findings(seed_warehouse) if check == "stated_rate_mismatch"}
    # 162.75 / 200 = 81.375%, stated 81.4%; 36.41 / 40 = 91.025%, stated 91.03% (half away from zero).
    assert "规模以上工业总产值" not in subjects and "因公出国（境）费用" not in subjects
    assert subjects == {"实际利用外资"}


def test_findings_report_and_run_summary(seed_warehouse):
    report = (seed_warehouse.publish_dir / "data_quality_report.html").read_text(encoding="utf-8")
    assert "数据质量报告" in report and "WH-DHZB" in report and "stated_twice_differently" in report
    assert "国外招商经费 / 因公出国（境）费用" in report and "36.41" in report
    counts = dict(seed_warehouse.query("select severity, count(*) from marts.data_quality_findings group by 1"))
    assert counts == {"error": 2, "warning": 4, "info": 1}
    assert f"error {counts['error']}" in report.replace("\n", " ")


def test_docs_give_the_sql_of_every_check_and_it_reproduces_the_findings(seed_warehouse):
    check = subprocess.run([sys.executable, "-m", "orchestration.quality.render_docs", "--check"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    docs = (PROJECT_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    blocks = docs.split("```sql\n")[1:]
    spec = yaml.safe_load((PROJECT_ROOT / "dbt_project/models/quality/_quality.yml").read_text(encoding="utf-8"))
    assert len(blocks) == len(spec["models"]) == 24
    reproduced = []
    for block in blocks:
        sql = block.split("```")[0]
        reproduced += seed_warehouse.query(f"select check_name, subject from ({sql})")
    published = seed_warehouse.query("select check_name, subject from marts.data_quality_findings")
    assert sorted(reproduced) == sorted(published)


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory):
    """The seed and every broken file of tests/broken_inputs, loaded and published in one refresh."""
    from conftest import Warehouse, _activate, _restore

    wh = Warehouse(tmp_path_factory.mktemp("corpus") / "warehouse")
    wh.copy_seed()
    shutil.copytree(CORPUS / "2017", wh.raw_dir / "2017", dirs_exist_ok=True)
    saved = _activate(wh)
    try:
        wh.refresh()
        yield wh
    finally:
        _restore(saved)


EXPECTED = yaml.safe_load((CORPUS / "expected.yml").read_text(encoding="utf-8"))


def test_the_corpus_is_complete():
    files = sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "2017").rglob("*") if p.is_file())
    assert files == sorted(e["file"] for e in EXPECTED)
    assert len(files) >= 25


@pytest.mark.parametrize("expected", EXPECTED, ids=[e["file"].split("/")[1] for e in EXPECTED])
def test_each_broken_file_is_quarantined_or_noted_by_file_row_and_column(corpus_warehouse, expected):
    source = expected["file"] + expected.get("file_suffix", "")
    if "figure_check" in expected:  # meets the contract, but its figures do not reconcile
        rows = corpus_warehouse.query("""
            select source_row, source_column from marts.data_quality_findings
            where source_file = ? and check_name = ?""", [source, expected["figure_check"]])
        assert rows == [(expected["row"], expected["column"])]
        assert corpus_warehouse.query("select count(*) from meta.contract_findings where source_file = ?",
                                      [source]) == [(0,)]
        return
    rows = corpus_warehouse.query("""
        select check_name, source_row, source_column, reason, action from meta.contract_findings
        where source_file = ?""", [source])
    assert rows, f"no finding for {source}"
    matching = [r for r in rows if r[0] == expected["check"]
                and ("row" not in expected or r[1] == expected["row"])
                and ("column" not in expected or expected["column"] in (r[2] or ""))]
    assert matching, (expected, rows)
    assert all(("quarantined" in r[4]) == expected["quarantined"] for r in rows), rows
    finding = corpus_warehouse.query("""
        select severity, message_zh, message_en from marts.data_quality_findings
        where source_file = ? and check_name = 'contract:' || ?""", [source, expected["check"]])
    assert finding and finding[0][0] == ("error" if expected["quarantined"] else "warning")
    department = expected["file"].split("/")[1]
    if expected["quarantined"]:
        kind = Path(expected["file"]).stem
        if kind in ("budget_lines", "department_profile", "staffing", "three_public", "self_evaluation"):
            loaded = corpus_warehouse.query("select count(*) from meta.source_files where source_file = ?", [source])
            assert loaded == [(0,)], "a quarantined file must not be loaded"
    else:
        assert corpus_warehouse.query("select count(*) from marts.project_execution where department_code = ?",
                                      [department]) == [(13,)]


def test_everything_else_still_publishes(corpus_warehouse):
    assert corpus_warehouse.query("""
        select final_budget, actual_spend, stated_execution_rate from marts.department_execution
        where department_code = 'WH-DHZB'""") == [(D("2906.28"), D("2325.59"), D("0.8002"))]
    assert corpus_warehouse.query(
        "select count(*) from marts.project_execution where department_code = 'WH-DHZB'") == [(13,)]
    assert corpus_warehouse.query("select count(*) from marts.department_scores where department_code = 'WH-DHZB'") \
        == [(2,)]  # the two department rule sets


def test_contract_results_are_dagster_asset_checks(corpus_warehouse):
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(corpus_warehouse.dagster_home)) as instance:
        keys = [AssetCheckKey(AssetKey(["raw", kind]), "contract") for kind in ("budget_lines", "grade_bands")]
        records = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
        lines = records[keys[0]].event.dagster_event.event_specific_data
        assert lines.passed is False
        assert "2017/BRK-04/budget_lines.csv" in lines.metadata["quarantined_files"].value
        assert records[keys[1]].event.dagster_event.event_specific_data.passed is False


def test_a_quarantined_file_keeps_its_previous_version_until_a_good_one_arrives(warehouse):
    warehouse.copy_seed()
    warehouse.refresh()
    path = warehouse.raw_dir / "2017" / "WH-DHZB" / "budget_lines.csv"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("130.84", "一百三十").replace("387.21", "388.21"), encoding="utf-8")
    warehouse.refresh()
    assert warehouse.query("select actual_spend from marts.project_execution where line_no in (1, 2) "
                           "order by line_no") == [(D("130.84"),), (D("387.21"),)]
    finding = warehouse.query("select source_row, source_column, value, action from meta.contract_findings")
    assert finding == [(2, "actual_spend", "一百三十", "file quarantined; its previous version stays loaded")]
    path.write_text(good.replace("387.21", "388.21"), encoding="utf-8")
    warehouse.refresh()
    assert warehouse.query("select actual_spend from marts.project_execution where line_no in (1, 2) "
                           "order by line_no") == [(D("130.84"),), (D("388.21"),)]
    assert warehouse.query("select count(*) from meta.contract_findings") == [(0,)]


# Which check finds each kind of injected inconsistency, and which others it can set off (knock-on
# effects the generator notes: a unit error also breaks the line's rate and the 合计 row, ...).
FINDS = {
    "stated_rate_mismatch": ("stated_rate_mismatch", set()),
    "total_not_sum": ("total_not_sum", {"stated_rate_mismatch", "control_ratio_over_standard"}),
    "stated_twice_differently": ("stated_twice_differently", set()),
    "unit_error": ("unit_implausible", {"stated_rate_mismatch", "total_not_sum"}),
    "weights_not_sum": ("weights_not_sum", {"self_scores_not_sum"}),
    "self_scores_not_sum": ("self_scores_not_sum", set()),
    "grade_outside_band": ("grade_outside_band", set()),
    "growth_from_zero": ("growth_from_zero", set()),
    "actual_written_as_target": ("actual_written_as_target", set()),
    "budget_adjusted_to_spending": ("budget_adjusted_to_spending", set()),
    "partial_year_actual": ("partial_year_actual", set()),
    "headcount_over_authorized": ("control_ratio_over_standard", set()),
    "three_public_over_budget": ("control_ratio_over_standard", {"stated_rate_mismatch"}),
}
# Checks over a sum name the first row of what they add up, not necessarily the injected row.
AGGREGATE_CHECKS = {"weights_not_sum"}


def test_injected_inconsistencies_are_found_where_and_as_often_as_they_were_injected(bundled_warehouse):
    with (BUNDLED_RAW / "_injections.csv").open(encoding="utf-8", newline="") as fh:
        injections = list(csv.DictReader(fh))
    assert set(FINDS) == {i["kind"] for i in injections}
    findings = bundled_warehouse.query("""
        select check_name, department_code, fiscal_year, source_file, source_row from marts.data_quality_findings
        where department_code like 'DEMO-%' and severity in ('error', 'warning')""")
    by_department_year = defaultdict(list)
    for f in findings:
        by_department_year[(f[1], f[2])].append(f)
    # Every injection found: by its check, in its department-year and file, at its row.
    for i in injections:
        check, _ = FINDS[i["kind"]]
        candidates = [f for f in by_department_year[(i["department_code"], int(i["fiscal_year"]))]
                      if f[0] == check and f[3] == i["file"]]
        if check not in AGGREGATE_CHECKS:
            candidates = [f for f in candidates if f[4] == int(i["row"])]
        assert candidates, f"not found: {i}"
    # Nothing found where nothing was injected, and nothing a department-year's injections cannot explain.
    injected = defaultdict(set)
    for i in injections:
        check, knock_on = FINDS[i["kind"]]
        injected[(i["department_code"], int(i["fiscal_year"]))] |= {check, *knock_on}
    unexplained = [f for f in findings if f[0] not in injected[(f[1], f[2])]]
    assert unexplained == []
    # The rate: per check, the department-years flagged are the department-years injected.
    for kind, (check, _) in FINDS.items():
        flagged = {(f[1], f[2]) for f in findings if f[0] == check}
        expected = {(i["department_code"], int(i["fiscal_year"])) for i in injections if FINDS[i["kind"]][0] == check}
        knock_on = {key for key, checks in injected.items() if check in checks}
        assert expected <= flagged <= knock_on, kind
