"""The dashboard and the data-quality report, opened in headless Chromium (Debian's package, driven by
Playwright): every chart draws marks, the filters change what is shown, and the pages log no error and
request nothing from the network."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from conftest import CHROMIUM, LOCAL_SCHEMES
from playwright.sync_api import Browser, Page

from orchestration.dashboard import write_dashboard
from orchestration.quality import report as quality_report
from orchestration.sql import sql_name, sql_text

CHARTS = ("execution", "score-trends", "ranks", "three-public", "indicator-status", "findings-check",
          "findings-department")
# Vega draws each data mark as a child of a `role-mark` group; axes and legends have roles of their own.
DATA_MARKS = ".role-mark > path, .role-mark > text"
TIMEOUT_MS = 20_000


@dataclass
class Opened:
    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        remote = [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]
        assert remote == [], f"network requests: {remote}"

    def filter_runs(self) -> int:
        return int(self.page.evaluate("Number(document.body.dataset.filterRuns || 0)"))

    def choose(self, select: str, value: str) -> None:
        """Choose an option of a filter and wait until the page has applied it."""
        before = self.filter_runs()
        self.page.select_option(f"select[name={select}]", value)
        self.page.wait_for_function(f"Number(document.body.dataset.filterRuns || 0) > {before}", timeout=TIMEOUT_MS)


def _open(browser: Browser | None, url: str) -> Opened:
    if browser is None:
        pytest.fail(f"Chromium is not installed ({CHROMIUM}): the page tests need Debian's package "
                    "(apt-get install chromium, as .ci/run does)", pytrace=False)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    opened = Opened(page)
    page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.on("request", lambda request: opened.requests.append(request.url))
    page.goto(url)
    return opened


def _marks(page: Page, chart: str) -> int:
    return page.locator(f"#chart-{chart} svg").locator(DATA_MARKS).count()


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.exists() and path.stat().st_size > 0


def test_dashboard_draws_every_chart_and_its_filters_redraw_them(bundled_warehouse, browser, tmp_path):
    db = bundled_warehouse.published_db
    target = tmp_path / "dashboard.html"
    write_dashboard(db, target)
    html = target.read_text(encoding="utf-8")
    assert "<script src" not in html and "数据质量报告 Data-quality report" in html

    opened = _open(browser, target.as_uri())
    page = opened.page
    page.wait_for_function("document.body.dataset.rendered === 'true'", timeout=TIMEOUT_MS)
    marks = {chart: _marks(page, chart) for chart in CHARTS}
    assert all(count > 0 for count in marks.values()), marks
    _screenshot(page, tmp_path / "dashboard.png")

    # One department: the heatmap keeps that department's years only, one label per department-year.
    department, years = _query(db, "select department_code, count(execution_rate) from marts.department_execution "
                                   "where is_synthetic group by 1 order by 1 limit 1")[0]
    opened.choose("dept", department)
    heatmap = page.locator("#chart-execution svg")
    assert heatmap.locator(".mark-text.role-mark > text").count() == years
    assert _marks(page, "execution") < marks["execution"]
    codes = {code for (code,) in _query(db, "select distinct department_code from marts.department_execution")}
    assert codes & set(heatmap.locator(".role-axis-label text").all_text_contents()) == {department}
    assert _marks(page, "findings-department") < marks["findings-department"]
    assert f"dept={department}" in page.get_attribute("#report-link", "href")

    # Real departments only: the chosen synthetic department disappears; all of them again with "all".
    opened.choose("syn", "real")
    assert _marks(page, "execution") == 0
    opened.choose("dept", "all")
    real_years = _query(db, "select count(execution_rate) from marts.department_execution where not is_synthetic")
    assert heatmap.locator(".mark-text.role-mark > text").count() == real_years[0][0]
    _screenshot(page, tmp_path / "dashboard-real.png")
    opened.assert_clean()
    page.close()


def test_dashboard_of_empty_marts_says_no_data(bundled_warehouse, browser, tmp_path):
    # The published layout with no rows in the marts (what an empty raw folder publishes).
    empty = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(empty))
    try:
        con.execute(f"attach {sql_text(bundled_warehouse.published_db)} as published (read_only)")
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables() "
                                         "where database_name = 'published'").fetchall():
            con.execute(f"create schema if not exists {sql_name(schema)}")
            rows = "" if schema == "meta" else " limit 0"
            con.execute(f"create table {sql_name(schema)}.{sql_name(table)} as "
                        f"select * from published.{sql_name(schema)}.{sql_name(table)}{rows}")
    finally:
        con.close()
    target = tmp_path / "dashboard.html"
    write_dashboard(empty, target)
    html = target.read_text(encoding="utf-8")
    assert html.count("暂无数据 No data") == len(CHARTS)

    opened = _open(browser, target.as_uri())
    opened.page.wait_for_function("document.body.dataset.rendered === 'true'", timeout=TIMEOUT_MS)
    opened.choose("syn", "real")
    opened.assert_clean()
    opened.page.close()


def test_report_filters_hide_the_other_findings(bundled_warehouse, browser, tmp_path):
    db = bundled_warehouse.published_db
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = quality_report.findings(con)
    finally:
        con.close()
    target = tmp_path / "data_quality_report.html"
    target.write_text(quality_report.render(rows), encoding="utf-8")
    department, count = _query(db, "select department_code, count(*) from marts.data_quality_findings "
                                   "where department_code is not null group by 1 order by 2 desc, 1 limit 1")[0]
    assert 0 < count < len(rows)

    opened = _open(browser, target.as_uri())
    page = opened.page
    page.wait_for_function("Number(document.body.dataset.filterRuns) > 0", timeout=TIMEOUT_MS)
    visible = "tr.finding:not([hidden])"
    assert page.locator(visible).count() == len(rows)
    opened.choose("dept", department)
    assert page.locator(visible).count() == count
    assert set(page.eval_on_selector_all(visible, "rows => rows.map((r) => r.dataset.dept)")) == {department}
    assert page.inner_text("#visible-count") == str(count)
    assert page.locator("#by-group tr[data-group]:not([hidden])").count() == len(
        {r["fiscal_year"] for r in rows if r["department"] == department})
    assert f"dept={department}" in page.get_attribute("#dashboard-link", "href")
    page.locator(f"details[data-group^='{department}-']").first.evaluate("d => d.open = true")
    _screenshot(page, tmp_path / "report.png")

    # The dashboard links to the report with its filters in the query: they are applied on opening.
    severity = next(r["severity"] for r in rows if r["department"] == department)
    preset = _open(browser, f"{target.as_uri()}?dept={department}&sev={severity}")
    preset.page.wait_for_function("Number(document.body.dataset.filterRuns) > 0", timeout=TIMEOUT_MS)
    expected = sum(1 for r in rows if r["department"] == department and r["severity"] == severity)
    assert preset.page.locator(visible).count() == expected
    opened.assert_clean()
    preset.assert_clean()
    page.close()
    preset.page.close()
