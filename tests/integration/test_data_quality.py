"""Data quality: the seed's own inconsistencies found by the general checks, a quarantined file's
previous version kept, what leaves data/raw leaving the marts, and the demo data's injected
inconsistencies found where they were injected. (The bad-input corpus: tests/integration/test_bad_inputs.py.)"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal as D

import duckdb
import pytest
import yaml
from conftest import BUNDLED_RAW, SEED_DIR

from orchestration.contract import PROJECT_ROOT
from orchestration.quality import report as quality_report


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


def test_the_report_lists_whole_department_years_up_to_its_limit_and_counts_them_all(bundled_warehouse):
    """At province scale the page lists the first department-years up to WAREHOUSE_REPORT_MAX_FINDINGS
    findings and says how many the mart holds; below the limit it lists every one and says nothing more."""
    con = duckdb.connect(str(bundled_warehouse.publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        every = quality_report.findings(con)
        counts = quality_report.all_severity_counts(con)
        listed = quality_report.findings(con, limit=40)
    finally:
        con.close()
    assert sum(counts.values()) == len(every) > 40
    groups = [(r["department"], r["fiscal_year"]) for r in every]
    listed_groups = [(r["department"], r["fiscal_year"]) for r in listed]
    assert 0 < len(listed) <= 40
    assert listed_groups == groups[:len(listed)], "the first department-years, in the page's order"
    assert groups[len(listed)] != listed_groups[-1], "whole department-years only"
    assert sorted(map(str, listed)) == sorted(map(str, every[:len(listed)])), "every finding of them"
    page = quality_report.render(listed, in_mart=counts)
    note = page[page.index('<p id="not-listed">'):].split("</p>")[0].replace("\n", " ")
    assert f"lists {len(listed)} of the {len(every)} findings" in note and f"error {counts['error']}" in note
    assert 'id="not-listed"' not in quality_report.render(every, in_mart=counts)


CHECKS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "quality"
READABLE_LAYERS = ("staging", "intermediate")  # and seeds, the reference data


def marts_read_by_checks(manifest: dict, layer: str = "quality") -> dict[str, list[str]]:
    """The models of another layer than staging or intermediate that each model of a layer (the checks) depends
    on."""
    nodes = manifest["nodes"]
    return {
        node["name"]: [p for p in node["depends_on"]["nodes"]
                       if p.startswith("model.") and nodes[p]["fqn"][1] not in READABLE_LAYERS]
        for node in nodes.values() if node["resource_type"] == "model" and node["fqn"][1] == layer
    }


def test_checks_read_staging_or_intermediate_models_never_marts():
    """A check's rows are unioned into a mart (data_quality_findings): a check reads what the marts are built from
    (staging and intermediate models, seeds), never a mart. Read from the manifest (what dbt resolved) and from
    the SQL itself (so that a manifest not yet parsed again cannot hide a new ref)."""
    manifest = json.loads((PROJECT_ROOT / "dbt_project/target/manifest.json").read_text(encoding="utf-8"))
    read = marts_read_by_checks(manifest)
    assert len(read) == 24
    assert {check: parents for check, parents in read.items() if parents} == {}
    # nor does an intermediate model (a mart is built from them, never the other way round)
    read = marts_read_by_checks(manifest, "intermediate")
    assert {model: parents for model, parents in read.items() if parents} == {}
    dbt = PROJECT_ROOT / "dbt_project"
    readable = {p.stem for layer in READABLE_LAYERS for p in (dbt / "models" / layer).glob("*.sql")}
    readable |= {p.stem for p in (dbt / "seeds").glob("*.csv")}
    refs = {path.stem: set(re.findall(r"""ref\(\s*['"](\w+)['"]\s*\)""", path.read_text(encoding="utf-8")))
            for path in CHECKS_DIR.glob("fnd_*.sql")}
    assert len(refs) == 24
    assert {check: names - readable for check, names in refs.items() if names - readable} == {}
    # The test can fail: a check that read a mart would be named.
    nodes = manifest["nodes"]
    check = next(n for n in nodes.values() if n["name"] == "fnd_zero_target")
    bent = {**manifest, "nodes": {**nodes, check["unique_id"]: {
        **check, "depends_on": {**check["depends_on"], "nodes": ["model.budget_performance.indicator_completion"]}}}}
    assert marts_read_by_checks(bent)["fnd_zero_target"] == ["model.budget_performance.indicator_completion"]


def test_docs_give_the_sql_of_every_check_and_it_reproduces_the_findings(seed_warehouse):
    check = subprocess.run([sys.executable, "-m", "tools.render_quality_docs", "--check"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    docs = (PROJECT_ROOT / "docs" / "data-quality.md").read_text(encoding="utf-8")
    blocks = docs.split("```sql\n")[1:]
    spec = yaml.safe_load((PROJECT_ROOT / "dbt_project/models/quality/_quality.yml").read_text(encoding="utf-8"))
    assert len(blocks) == len(spec["models"]) == 24
    reproduced = []
    work = duckdb.connect(str(seed_warehouse.work_db), read_only=True)
    try:
        for block in blocks:
            sql = block.split("```")[0]
            reproduced += work.execute(f"select check_name, subject from ({sql})").fetchall()
    finally:
        work.close()
    published = seed_warehouse.query("select check_name, subject from marts.data_quality_findings")
    assert sorted(reproduced) == sorted(published)


def _seed_as(warehouse, year: int, code: str, kinds: tuple[str, ...]) -> None:
    """The seed's files of these kinds, restated as another department or year."""
    folder = warehouse.raw_dir / str(year) / code
    folder.mkdir(parents=True)
    for kind in kinds:
        rows = list(csv.reader((SEED_DIR / f"{kind}.csv").open(encoding="utf-8", newline="")))
        with (folder / f"{kind}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([rows[0]] + [[code, str(year), *r[2:]] for r in rows[1:]])


@pytest.mark.pipeline  # three refreshes of its own
def test_a_quarantined_file_keeps_its_previous_version_and_what_leaves_raw_leaves_the_marts(warehouse):
    warehouse.copy_seed()
    _seed_as(warehouse, 2016, "WH-DHZB", ("department_profile", "budget_lines"))
    _seed_as(warehouse, 2017, "GONE-1", ("department_profile", "budget_lines"))
    _seed_as(warehouse, 2017, "GONE-2", ("budget_lines",))
    warehouse.refresh()
    assert warehouse.query("select fiscal_year, count(*) from marts.project_execution group by 1 order by 1") == [
        (2016, 13), (2017, 39)]
    path = warehouse.raw_dir / "2017" / "WH-DHZB" / "budget_lines.csv"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("130.84", "一百三十").replace("387.21", "388.21"), encoding="utf-8")
    # A year folder and a file leave data/raw: a full refresh removes their rows, and says so.
    shutil.rmtree(warehouse.raw_dir / "2016")
    (warehouse.raw_dir / "2017" / "GONE-1" / "budget_lines.csv").unlink()
    warehouse.refresh()
    assert warehouse.query("select actual_spend from marts.project_execution where line_no in (1, 2) "
                           "and department_code = 'WH-DHZB' order by line_no") == [(D("130.84"),), (D("387.21"),)]
    finding = warehouse.query("select source_row, source_column, value, action from meta.contract_findings "
                              "where check_name like 'expect%'")
    assert finding == [(2, "actual_spend", "一百三十", "file quarantined; its previous version stays loaded")]
    assert warehouse.query("select fiscal_year, department_code, count(*) from marts.project_execution "
                           "group by 1, 2 order by 1, 2") == [(2017, "GONE-2", 13), (2017, "WH-DHZB", 13)]
    removed = {("2016/WH-DHZB/budget_lines.csv", 14), ("2016/WH-DHZB/department_profile.csv", 1),
               ("2017/GONE-1/budget_lines.csv", 14)}
    assert set(warehouse.query("select source_file, rows_removed from meta.removals")) == removed
    assert set(warehouse.query(
        "select source_file, fiscal_year, severity from marts.data_quality_findings "
        "where check_name = 'contract:source_removed'")) == {(f, int(f[:4]), "info") for f, _ in removed}
    assert "the year folder 2016 is no longer in data/raw: its 14 rows were removed" in {
        r[0] for r in warehouse.query("select reason from meta.contract_findings")}
    # An incremental refresh does the same for its years.
    shutil.rmtree(warehouse.raw_dir / "2017" / "GONE-2")
    path.write_text(good.replace("387.21", "388.21"), encoding="utf-8")
    warehouse.refresh([2017])
    assert warehouse.query("select actual_spend from marts.project_execution where line_no in (1, 2) "
                           "and department_code = 'WH-DHZB' order by line_no") == [(D("130.84"),), (D("388.21"),)]
    assert warehouse.query("select distinct department_code from marts.project_execution") == [("WH-DHZB",)]
    assert warehouse.query("select source_file, check_name from meta.contract_findings where _partition_year = 2017") \
        == [("2017/GONE-2/budget_lines.csv", "source_removed")]


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
