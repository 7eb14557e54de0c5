"""The dashboard: one self-contained HTML page per refresh (no network needed to open it), drawing the
published marts with Vega-Lite charts built through Altair.

Every chart declares the same four Vega-Lite params (rule set `rs`, real / synthetic `syn`, department
`dept`, year `yr`) and filters its rows on them; the page's `<select>`s, named like the params, set those
signals on every view. Vega, Vega-Lite and vega-embed are inlined from vl-convert's bundle, the data as
small aggregates queried in SQL, for at most `max_departments` departments.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import duckdb
import vl_convert
from jinja2 import Environment

from orchestration.quality.report import SEVERITIES
from orchestration.sql import sql_text, table_exists

DEFAULT_MAX_DEPARTMENTS = 40
FILE_LEVEL = "(file)"  # the department of a finding about a file rather than a department-year
SEVERITY_COLORS = {"error": "#c0392b", "warning": "#e08e0b", "info": "#2e86c1"}
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
CHART_WIDTH = 480
WIDE_CHARTS = {"indicator-status"}

SYN_FILTER = "(syn == 'all' || (syn == 'synthetic') == datum.is_synthetic)"
DEPT_FILTER = "(dept == 'all' || datum.department_code == dept)"
YEAR_FILTER = "(yr == 'all' || datum.fiscal_year == yr)"
RULE_SET_FILTER = "(rs == 'all' || datum.rule_set == rs)"


def _bundle_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "budget-performance-warehouse"


@functools.cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script assigning window.vega, window.vegaLite and
    window.vegaEmbed. vl-convert builds it as an ES module (top-level `const`s), so the page loads it
    with <script type="module">. Building takes about 3 s, so it is kept per process and on disk (one
    file per vl-convert and Vega-Lite version, in the user's cache folder)."""
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = major_minor if major_minor in vl_convert.get_vegalite_versions() else None
    cached = _bundle_cache() / f"vega-bundle-{importlib.metadata.version('vl-convert-python')}-{version}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=version) if version else vl_convert.javascript_bundle()
    # `<\/` means `</` in a JS string, template or regular expression, and cannot end the <script> element.
    bundle = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    if "<!--" in bundle:
        raise ValueError("the Vega bundle holds '<!--', which cannot be inlined safely in a <script>")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{os.getpid()}")
        partial.write_text(bundle, encoding="utf-8")
        os.replace(partial, cached)
    except OSError:
        pass  # no writable cache folder: built again by the next process
    return bundle


def _json_for_script(value: object) -> str:
    """JSON that can sit inside a <script> element: every `<` escaped (it only occurs in strings)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    spec: dict | None  # None: no data
    note: str = ""
    wide: bool = False  # spans the page's two columns


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    is_synthetic: bool


# ---------------------------------------------------------------------------------------------------
# Queries: small aggregates, restricted to the departments the page shows.

IN_SHOWN = "department_code in (select unnest(?::varchar[]))"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _departments(con: duckdb.DuckDBPyConnection, tables: set[str], limit: int) -> tuple[list[Department], int, int]:
    """The departments shown (real ones first, then by code), how many there are, and how many are real."""
    if "departments" not in tables:
        return [], 0, 0
    rows = con.execute("""
        select department_code, department_name, is_synthetic, count(*) over (),
               count(*) filter (where not is_synthetic) over ()
        from marts.departments order by is_synthetic, department_code limit ?""", [limit]).fetchall()
    if not rows:
        return [], 0, 0
    return [Department(r[0], r[1] or r[0], bool(r[2])) for r in rows], rows[0][3], rows[0][4]


def _execution(con: duckdb.DuckDBPyConnection, shown: list[str]) -> list[dict]:
    return _rows(con, f"""
        select department_code, department_name, fiscal_year, round(execution_rate::double, 4) as execution_rate,
               round(stated_execution_rate::double, 4) as stated_execution_rate,
               round(final_budget::double, 2) as final_budget, round(actual_spend::double, 2) as actual_spend,
               is_synthetic
        from marts.department_execution where {IN_SHOWN} order by department_code, fiscal_year""", [shown])


def _scores(con: duckdb.DuckDBPyConnection, shown: list[str]) -> list[dict]:
    return _rows(con, f"""
        select department_code, department_name, fiscal_year, rule_set, round(total_score::double, 2) as total_score,
               grade, round(self_score::double, 2) as self_score, self_grade, rank_in_year, is_synthetic
        from marts.department_scores where {IN_SHOWN} order by rule_set, department_code, fiscal_year""", [shown])


def _three_public(con: duckdb.DuckDBPyConnection, shown: list[str]) -> list[dict]:
    # Categories labelled by one of their written names; the stated 合计 row (line_type total) left out.
    return _rows(con, f"""
        with names as (select category, min(category_name) as category_name from marts.three_public_expenses
                       where line_type = 'item' group by category)
        select t.department_code, t.fiscal_year, n.category_name || ' ' || t.category as category,
               round(sum(t.actual)::double, 2) as actual, round(sum(t.budget)::double, 2) as budget,
               bool_or(t.is_synthetic) as is_synthetic
        from marts.three_public_expenses t join names n using (category)
        where t.line_type = 'item' and t.{IN_SHOWN}
        group by t.department_code, t.fiscal_year, n.category_name, t.category order by all""", [shown])


def _indicator_status(con: duckdb.DuckDBPyConnection, shown: list[str]) -> list[dict]:
    # Each status with its Chinese label beside the code (reference.code_labels): 达成 met, 未达成 not_met ...
    labelled = ("coalesce((select l.label_zh || ' ' || l.code from reference.code_labels as l "
                "where l.column_name = 'status' and l.code = i.status), i.status, '(none)')"
                if table_exists(con, "reference", "code_labels") else "coalesce(i.status, '(none)')")
    return _rows(con, f"""
        select i.department_code, i.fiscal_year, {labelled} as status, count(*) as indicators,
               bool_or(i.is_synthetic) as is_synthetic
        from marts.indicator_completion as i where i.{IN_SHOWN}
        group by all order by all""", [shown])


def _findings(con: duckdb.DuckDBPyConnection, shown: list[str]) -> list[dict]:
    return _rows(con, f"""
        select check_name, severity, coalesce(department_code, {sql_text(FILE_LEVEL)}) as department_code,
               fiscal_year, bool_or(is_synthetic) as is_synthetic, count(*) as findings
        from marts.data_quality_findings where department_code is null or {IN_SHOWN}
        group by check_name, severity, department_code, fiscal_year order by all""", [shown])


def _header(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict:
    header: dict = {"publication_id": "", "published_at": "", "department_years": 0, "first_year": None,
                    "last_year": None, "findings": {}}
    if table_exists(con, "meta", "refresh"):
        row = con.execute("select publication_id, strftime(published_at, '%Y-%m-%d %H:%M:%S') "
                          "from meta.refresh").fetchone()
        if row:
            header["publication_id"], header["published_at"] = row[0] or "", row[1] or ""
    if "department_execution" in tables:
        header["department_years"], header["first_year"], header["last_year"] = con.execute(
            "select count(*), min(fiscal_year), max(fiscal_year) from marts.department_execution").fetchone()
    if "data_quality_findings" in tables:
        header["findings"] = dict(con.execute(
            "select severity, count(*) from marts.data_quality_findings group by severity").fetchall())
    return header


# ---------------------------------------------------------------------------------------------------
# Charts: Vega-Lite specs through Altair, each with the four filter params.

def _params(default_rule_set: str) -> list[alt.Parameter]:
    return [alt.param(name="rs", value=default_rule_set), alt.param(name="syn", value="all"),
            alt.param(name="dept", value="all"), alt.param(name="yr", value="all")]


# Each chart reads its rows from a named dataset, filled in after Altair built and validated the spec: Altair
# walked and validated every row otherwise (8.4 s of a 100,000 department-year dashboard, 0.3 s without).
ROWS = "rows"


def _finish(chart: alt.TopLevelMixin, default_rule_set: str, title: str, rows: list[dict]) -> dict:
    # The card's heading is the visible title. `resize`: a faceted chart would keep its first size when
    # the filters leave fewer departments.
    spec = (chart.add_params(*_params(default_rule_set))
            .properties(description=title, autosize=alt.AutoSizeParams(type="pad", resize=True))
            .configure(font=FONT).configure_view(stroke=None).to_dict())
    spec["datasets"] = {ROWS: rows}
    return spec


def _filtered(rows: list[dict], *more: str) -> alt.Chart:
    """A chart of the rows as the page's filters leave them (real / synthetic, department, year, and more)."""
    chart = alt.Chart(alt.Data(name=ROWS))
    for condition in (*more, SYN_FILTER, DEPT_FILTER, YEAR_FILTER):
        chart = chart.transform_filter(condition)
    return chart


def _department_tooltip() -> list[alt.Tooltip]:
    return [alt.Tooltip("department_code:N", title="部门编码 Code"),
            alt.Tooltip("department_name:N", title="部门名称 Department")]


def _execution_chart(rows: list[dict], rule_set: str, title: str) -> dict:
    rates = [r["execution_rate"] for r in rows if r["execution_rate"] is not None] or [0.0, 1.0]
    # A fixed colour domain: a cell keeps its colour (and its label's) whatever the filters leave.
    low, high = min(rates), max(rates)
    base = alt.Chart(alt.Data(name=ROWS)).encode(
        x=alt.X("fiscal_year:O", title="年度 Year"),
        y=alt.Y("department_code:N", title="部门 Department", sort="ascending"))
    cells = base.mark_rect().encode(
        color=alt.Color("execution_rate:Q", title="执行率 Rate", legend=alt.Legend(format=".0%"),
                        scale=alt.Scale(scheme="yellowgreenblue", domain=[low, high])),
        tooltip=[*_department_tooltip(), alt.Tooltip("fiscal_year:O", title="年度 Year"),
                 alt.Tooltip("execution_rate:Q", title="执行率 Execution rate", format=".2%"),
                 alt.Tooltip("stated_execution_rate:Q", title="报告所述 Stated rate", format=".2%"),
                 alt.Tooltip("final_budget:Q", title="调整后预算 Final budget (万元)", format=",.2f"),
                 alt.Tooltip("actual_spend:Q", title="实际支出 Actual (万元)", format=",.2f")])
    # Dark cells (upper half of the colour scale) get white labels.
    labels = base.mark_text(fontSize=9).encode(
        text=alt.Text("execution_rate:Q", format=".0%"),
        color=alt.condition(f"datum.execution_rate > {(low + high) / 2}", alt.value("white"), alt.value("#222")))
    chart = alt.layer(cells, labels).transform_filter(SYN_FILTER).transform_filter(DEPT_FILTER) \
        .transform_filter(YEAR_FILTER).properties(width=alt.Step(44), height=alt.Step(16))
    return _finish(chart, rule_set, title, rows)


def _score_trend_chart(rows: list[dict], rule_set: str, title: str) -> dict:
    base = alt.Chart().encode(
        x=alt.X("fiscal_year:O", title="年度 Year"),
        y=alt.Y("score:Q", title="得分 Score", scale=alt.Scale(zero=False)),
        color=alt.Color("department_code:N", title="部门 Department"),
        detail="rule_set:N",
        tooltip=[*_department_tooltip(), alt.Tooltip("fiscal_year:O", title="年度 Year"),
                 alt.Tooltip("rule_set:N", title="规则 Rule set"), alt.Tooltip("kind:N", title="得分 Score"),
                 alt.Tooltip("score:Q", title="分 Points", format=".2f"), alt.Tooltip("grade:N", title="等级 Grade"),
                 alt.Tooltip("self_grade:N", title="自评等级 Self grade")])
    # Points in a layer of their own: on the line mark they would blank the dash legend's strokes.
    lines = base.mark_line().encode(strokeDash=alt.StrokeDash(
        "kind:N", title="得分 Score", sort=["计算 computed", "自评 self-score"],
        scale=alt.Scale(range=[[1, 0], [4, 3]]), legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#444")))
    points = base.mark_point(filled=True, size=25)
    chart = alt.layer(lines, points, data=alt.Data(name=ROWS)) \
        .transform_filter(RULE_SET_FILTER).transform_filter(SYN_FILTER) \
        .transform_filter(DEPT_FILTER).transform_filter(YEAR_FILTER) \
        .transform_fold(["total_score", "self_score"], as_=["measure", "score"]) \
        .transform_calculate(kind="datum.measure == 'total_score' ? '计算 computed' : '自评 self-score'") \
        .properties(width=CHART_WIDTH, height=280)
    return _finish(chart, rule_set, title, rows)


def _rank_chart(rows: list[dict], rule_set: str, title: str) -> dict:
    chart = _filtered(rows, RULE_SET_FILTER) \
        .mark_line(point=True).encode(
            x=alt.X("fiscal_year:O", title="年度 Year"),
            y=alt.Y("rank_in_year:Q", title="排名 Rank (1 = 最高 best)", scale=alt.Scale(reverse=True, zero=False),
                    axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("department_code:N", title="部门 Department"),
            detail="rule_set:N",
            tooltip=[*_department_tooltip(), alt.Tooltip("fiscal_year:O", title="年度 Year"),
                     alt.Tooltip("rule_set:N", title="规则 Rule set"),
                     alt.Tooltip("rank_in_year:Q", title="排名 Rank"),
                     alt.Tooltip("total_score:Q", title="得分 Score", format=".2f")],
        ).properties(width=CHART_WIDTH, height=280)
    return _finish(chart, rule_set, title, rows)


def _three_public_chart(rows: list[dict], rule_set: str, title: str) -> dict:
    chart = _filtered(rows).mark_bar().encode(
            x=alt.X("fiscal_year:O", title="年度 Year"),
            y=alt.Y("sum(actual):Q", title="实际支出 Actual (万元)"),
            color=alt.Color("category:N", title="类别 Category",
                            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400)),
            tooltip=[alt.Tooltip("category:N", title="类别 Category"), alt.Tooltip("fiscal_year:O", title="年度 Year"),
                     alt.Tooltip("sum(actual):Q", title="实际 Actual (万元)", format=",.2f"),
                     alt.Tooltip("sum(budget):Q", title="预算 Budget (万元)", format=",.2f")],
        ).properties(width=CHART_WIDTH, height=280)
    return _finish(chart, rule_set, title, rows)


def _indicator_status_chart(rows: list[dict], rule_set: str, title: str) -> dict:
    # One small heatmap per status; the status values come from the data (they may change).
    chart = _filtered(rows).mark_rect().encode(
            x=alt.X("fiscal_year:O", title="年度 Year"),
            y=alt.Y("department_code:N", title="部门 Department"),
            color=alt.Color("indicators:Q", title="指标数 Indicators", scale=alt.Scale(scheme="purples")),
            column=alt.Column("status:N", title="完成状态 Status", sort=sorted({r["status"] for r in rows}),
                              header=alt.Header(labelFontWeight="bold")),
            tooltip=[*_department_tooltip(), alt.Tooltip("fiscal_year:O", title="年度 Year"),
                     alt.Tooltip("status:N", title="完成状态 Status"),
                     alt.Tooltip("indicators:Q", title="指标数 Indicators")],
        ).properties(width=alt.Step(16), height=alt.Step(14))
    return _finish(chart, rule_set, title, rows)


def _severity_scale(rows: list[dict]) -> alt.Scale:
    present = {r["severity"] for r in rows}
    domain = [s for s in SEVERITIES if s in present] + sorted(present - set(SEVERITIES))
    return alt.Scale(domain=domain, range=[SEVERITY_COLORS.get(s, "#888") for s in domain])


def _findings_chart(rows: list[dict], rule_set: str, title: str, by: str) -> dict:
    label = {"check_name": "检查 Check", "department_code": "部门 Department"}[by]
    chart = _filtered(rows).mark_bar().encode(
            y=alt.Y(f"{by}:N", title=label, sort="-x"),
            x=alt.X("sum(findings):Q", title="问题数 Findings"),
            color=alt.Color("severity:N", title="严重程度 Severity", scale=_severity_scale(rows)),
            tooltip=[alt.Tooltip(f"{by}:N", title=label), alt.Tooltip("severity:N", title="严重程度 Severity"),
                     alt.Tooltip("sum(findings):Q", title="问题数 Findings")],
        ).properties(width=CHART_WIDTH - 120, height=alt.Step(14))
    return _finish(chart, rule_set, title, rows)


def _with_names(rows: list[dict], names: dict[str, str]) -> list[dict]:
    for r in rows:
        r.setdefault("department_name", names.get(r["department_code"], r["department_code"]))
    return rows


def _charts(con: duckdb.DuckDBPyConnection, tables: set[str], shown: list[Department],
            rule_set: str) -> tuple[list[Chart], list[dict]]:
    """The charts, and every embedded row (for the filters' options)."""
    codes = [d.code for d in shown]
    names = {d.code: d.name for d in shown}

    def rows_of(table: str, query: Callable[[duckdb.DuckDBPyConnection, list[str]], list[dict]]) -> list[dict]:
        return _with_names(query(con, codes), names) if table in tables and codes else []

    execution = rows_of("department_execution", _execution)
    scores = rows_of("department_scores", _scores)
    three_public = rows_of("three_public_expenses", _three_public)
    status = rows_of("indicator_completion", _indicator_status)
    findings = _with_names(_findings(con, codes), names) if "data_quality_findings" in tables else []
    specs = [
        ("execution", "预算执行率 Execution rate: 部门 × 年度 department × year", execution, _execution_chart, ""),
        ("score-trends", "评分趋势 Score trends: 计算得分与自评 computed score beside self-score", scores,
         _score_trend_chart, "实线为计算得分，虚线为部门自评 Solid: computed by the rule set; dashed: the "
         "department's self-score."),
        ("ranks", "年度排名 Rank by year", scores, _rank_chart,
         "真实与合成部门分别排名 Ranks are computed among real and among synthetic departments apart."),
        ("three-public", "三公经费 \"Three public\" expenses: 按类别 by category over the years", three_public,
         _three_public_chart, "不含合计行 The stated total row is left out."),
        ("indicator-status", "绩效指标完成状态 Indicator status: 部门 × 年度 by department-year", status,
         _indicator_status_chart, "每种状态一张图，颜色为指标数 One panel per status; colour: number of indicators."),
        ("findings-check", "数据质量问题：按检查 Data-quality findings by check", findings,
         lambda rows, rs, title: _findings_chart(rows, rs, title, "check_name"), ""),
        ("findings-department", "数据质量问题：按部门 Data-quality findings by department", findings,
         lambda rows, rs, title: _findings_chart(rows, rs, title, "department_code"),
         f"{FILE_LEVEL} 为针对文件本身的问题 {FILE_LEVEL}: findings about a file rather than a department-year."),
    ]
    charts = [Chart(name, title, build(rows, rule_set, title) if rows else None, note, wide=name in WIDE_CHARTS)
              for name, title, rows, build, note in specs]
    return charts, execution + scores + three_public + status + findings


# ---------------------------------------------------------------------------------------------------
# The page.

TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>预算绩效仪表板 Budget-performance dashboard - {{ header.publication_id }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 1.5em 2em; color: #222; }
h1 { margin: 0 0 .3em; font-size: 1.5em; } .meta, .note { color: #555; font-size: .9em; }
.demo { background: #fff6d5; border: 1px solid #e6c95c; padding: .4em .8em; margin: .6em 0; }
.capped { background: #fde8e8; border: 1px solid #d99; padding: .4em .8em; margin: .6em 0; }
.filters { position: sticky; top: 0; background: #fafafa; border: 1px solid #ddd; padding: .6em .8em; z-index: 5;
  display: flex; flex-wrap: wrap; gap: 1.2em; align-items: center; }
.filters label { font-size: .9em; } .filters select { margin-left: .3em; max-width: 22em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 1.2em; margin-top: 1em; }
.card { border: 1px solid #e2e2e2; border-radius: 4px; padding: .6em; overflow-x: auto; }
.card.wide { grid-column: 1 / -1; }
.card h2 { font-size: 1em; margin: 0 0 .3em; } .nodata { color: #888; padding: 2em 0; text-align: center; }
.error { color: #a00; } .warning { color: #a60; } .info { color: #06a; }
</style></head><body>
<h1>预算绩效仪表板 / Budget-performance dashboard</h1>
<p class="meta">发布 Publication <code>{{ header.publication_id or "-" }}</code>,
{{ header.published_at or "-" }} (UTC).
部门 Departments: {{ departments_total }} (真实 real {{ departments_real }}, 合成 synthetic
{{ departments_total - departments_real }}); 部门年度 department-years: {{ header.department_years }}{% if
header.first_year %}, 年度 years {{ header.first_year }}–{{ header.last_year }}{% endif %};
数据质量问题 findings: {{ findings_total }}{% for s, n in header.findings.items() %} <span class="{{ s }}">{{ s }}
{{ n }}</span>{% endfor %}.
<a id="report-link" href="{{ report_href }}">数据质量报告 Data-quality report</a></p>
<p class="demo">合成部门（is_synthetic）为演示数据，不是真实数字。Synthetic departments (is_synthetic, e.g. DEMO-…)
are demo data, not real figures: choose 真实 real below before drawing conclusions.</p>
{% if capped %}<p class="capped" id="capped-note">仅显示 {{ shown|length }} / {{ departments_total }}
个部门（真实部门优先，再按编码）。Showing {{ shown|length }} of {{ departments_total }} departments
(real ones first, then by code); every department is in <code>warehouse.duckdb</code>.</p>{% endif %}
<form class="filters" id="filters" onsubmit="return false">
<label>评分规则 Rule set<select name="rs" data-signal>{% for value, text in rule_sets %}
<option value="{{ value }}"{% if value == default_rule_set %} selected{% endif %}>{{ text }}</option>{% endfor %}
<option value="all">全部 all</option></select></label>
<label>真实 / 合成 Real / synthetic<select name="syn" data-signal><option value="all">全部 all</option>
<option value="real">真实 real</option><option value="synthetic">合成 synthetic (demo)</option></select></label>
<label>部门 Department<select name="dept" data-signal><option value="all">全部 all</option>{% for d in shown %}
<option value="{{ d.code }}">{{ d.code }} {{ d.name }}{% if d.is_synthetic %} (demo){% endif %}</option>{% endfor %}
</select></label>
<label>年度 Year<select name="yr" data-signal><option value="all">全部 all</option>{% for y in years %}
<option value="{{ y }}">{{ y }}</option>{% endfor %}</select></label>
</form>
<div class="grid">{% for c in charts %}
<section class="card{% if c.wide %} wide{% endif %}"><h2>{{ c.title }}</h2>
{% if c.spec %}<div id="chart-{{ c.name }}" class="chart"></div>{% else %}<div id="chart-{{ c.name }}"
class="nodata">暂无数据 No data</div>{% endif %}
{% if c.note %}<p class="note">{{ c.note }}</p>{% endif %}</section>{% endfor %}
</div>
<script type="application/json" id="chart-specs">{{ specs_json|safe }}</script>
<script type="module">{{ bundle|safe }}</script>
<script type="module">
const specs = JSON.parse(document.getElementById("chart-specs").textContent);
const selects = [...document.querySelectorAll("#filters select[data-signal]")];
const query = new URLSearchParams(location.search);
for (const s of selects) {
  const wanted = query.get(s.name);
  if (wanted !== null && [...s.options].some((o) => o.value === wanted)) s.value = wanted;
}
// Years are numbers in the data; a <select> gives text.
const signalValue = (s) => (s.name === "yr" && s.value !== "all" ? Number(s.value) : s.value);
const views = [];

function updateLinks() {
  const q = new URLSearchParams();
  for (const s of selects) if (s.name !== "rs" && s.value !== "all") q.set(s.name, s.value);
  const link = document.getElementById("report-link");
  const base = link.getAttribute("href").split("?")[0];
  link.setAttribute("href", q.toString() ? base + "?" + q : base);
}

async function applyFilters() {
  await Promise.all(views.map((view) => {
    for (const s of selects) view.signal(s.name, signalValue(s));
    return view.runAsync();
  }));
  updateLinks();
  document.body.dataset.filterRuns = String(Number(document.body.dataset.filterRuns || 0) + 1);
}

await Promise.all(Object.entries(specs).map(async ([name, spec]) => {
  const el = document.getElementById("chart-" + name);
  try {
    views.push((await vegaEmbed(el, spec, { renderer: "svg", actions: false })).view);
  } catch (err) {
    el.textContent = "图表无法显示 Chart failed: " + err;
    console.error(err);
  }
}));
for (const s of selects) s.addEventListener("change", applyFilters);
await applyFilters();
document.body.dataset.rendered = "true";
</script>
</body></html>
"""


def _rule_sets(con: duckdb.DuckDBPyConnection, scores_rule_sets: list[str]) -> list[tuple[str, str]]:
    titles = {}
    if table_exists(con, "reference", "rule_sets"):
        titles = dict(con.execute("select rule_set, title from reference.rule_sets").fetchall())
    return [(rs, f"{rs} {titles[rs]}" if titles.get(rs) else rs) for rs in sorted(scores_rule_sets)]


def render_dashboard(con: duckdb.DuckDBPyConnection, report_href: str = "data_quality_report.html",
                     max_departments: int = DEFAULT_MAX_DEPARTMENTS) -> str:
    """The page, from a connection whose current database is a published warehouse."""
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables() where database_name = "
                                        "current_database() and schema_name = 'marts'").fetchall()}
    shown, total, real = _departments(con, tables, max_departments)
    # The rule set scoring the most department-years is chosen first (ties: by name).
    scored = [rs for (rs,) in con.execute(
        "select rule_set from marts.department_scores where rule_set is not null group by rule_set "
        "order by count(*) desc, rule_set").fetchall()] if "department_scores" in tables else []
    default_rule_set = scored[0] if scored else "all"
    charts, embedded = _charts(con, tables, shown, default_rule_set)
    header = _header(con, tables)
    years = sorted({r["fiscal_year"] for r in embedded if r.get("fiscal_year") is not None})
    specs = {c.name: c.spec for c in charts if c.spec}
    return Environment(autoescape=True).from_string(TEMPLATE).render(
        header=header, findings_total=sum(header["findings"].values()), departments_total=total,
        departments_real=real, shown=shown, capped=total > len(shown), rule_sets=_rule_sets(con, scored),
        default_rule_set=default_rule_set, years=years, charts=charts, report_href=report_href,
        specs_json=_json_for_script(specs), bundle=javascript_bundle())


def write_dashboard(db: Path, target: Path, report_href: str = "data_quality_report.html",
                    max_departments: int = DEFAULT_MAX_DEPARTMENTS) -> None:
    """Write the dashboard of the published warehouse `db` (opened read-only) to `target`."""
    # An in-memory database attaching the file: a `duckdb.connect` of the path could hand back a database
    # this process still holds open from before the last swap.
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_text(db)} as published (read_only)")
        con.execute("use published")
        with alt.data_transformers.disable_max_rows():
            page = render_dashboard(con, report_href, max_departments)
    finally:
        con.close()
    target.write_text(page, encoding="utf-8")
