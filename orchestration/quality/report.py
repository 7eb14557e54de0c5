"""The data-quality report: one static HTML page per refresh, readable offline, listing the findings
of marts.data_quality_findings by department-year and check, with counts. Filters (real / synthetic,
department, year, severity, check; preset from the URL's query, as the dashboard links to it) hide the
rows that do not match and recount what stays visible, in a few lines of inline JavaScript."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import duckdb
from jinja2 import Environment

SEVERITIES = ("error", "warning", "info")

TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>数据质量报告 Data-quality report - {{ published_at }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #bbb; padding: 3px 8px; }
th { background: #eee; } td.n { text-align: right; } .error { color: #a00; } .warning { color: #a60; }
.info { color: #06a; } details { margin: .4em 0; } summary { cursor: pointer; font-weight: bold; }
.filters { position: sticky; top: 0; background: #fafafa; border: 1px solid #ddd; padding: .6em .8em;
  display: flex; flex-wrap: wrap; gap: 1.2em; align-items: center; }
.filters label { font-size: .9em; } .filters select { margin-left: .3em; max-width: 22em; }
</style></head><body>
<h1>数据质量报告 / Data-quality report</h1>
<p>Published {{ published_at }} (UTC). {{ total }} findings: {% for s in severities %}<span class="{{ s }}">{{ s }}
{{ by_severity.get(s, 0) }}</span>{% if not loop.last %}, {% endif %}{% endfor %}.
Every finding names its source file, row and column; the same rows are in
<code>marts.data_quality_findings</code>, and docs/data-quality.md gives the SQL of each check.
<a id="dashboard-link" href="{{ dashboard_href }}">仪表板 Dashboard</a></p>
{% if in_mart %}<p id="not-listed"><b>本页列出 {{ total }} / {{ in_mart.values()|sum }} 条问题（前 {{ groups|length }}
个部门年度）。This page lists {{ total }} of the {{ in_mart.values()|sum }} findings</b> ({% for s in severities
%}{{ s }} {{ in_mart.get(s, 0) }}{% if not loop.last %}, {% endif %}{% endfor %}): the first {{ groups|length }}
department-years. Every finding is in <code>marts.data_quality_findings</code>, in
<code>parquet/data_quality_findings/</code> and in <code>xlsx/data_quality_findings.xlsx</code>
(WAREHOUSE_REPORT_MAX_FINDINGS sets how many this page lists).</p>{% endif %}
<form class="filters" id="filters" onsubmit="return false">
<label>真实 / 合成 Real / synthetic<select name="syn"><option value="all">全部 all</option>
<option value="real">真实 real</option><option value="synthetic">合成 synthetic (demo)</option></select></label>
<label>部门 Department<select name="dept"><option value="all">全部 all</option>{% for d in departments %}
<option value="{{ d }}">{{ d }}</option>{% endfor %}</select></label>
<label>年度 Year<select name="yr"><option value="all">全部 all</option>{% for y in years %}
<option value="{{ y }}">{{ y }}</option>{% endfor %}</select></label>
<label>严重程度 Severity<select name="sev"><option value="all">全部 all</option>{% for s in severities %}
<option value="{{ s }}">{{ s }}</option>{% endfor %}</select></label>
<label>检查 Check<select name="check"><option value="all">全部 all</option>{% for c in checks %}
<option value="{{ c.check }}">{{ c.check }}</option>{% endfor %}</select></label>
<span id="visible">显示 Showing <b id="visible-count">{{ total }}</b> / {{ total }}: {% for s in severities %}<span
class="{{ s }}">{{ s }} <span data-visible-sev="{{ s }}">{{ by_severity.get(s, 0) }}</span></span>{% if not loop.last
%}, {% endif %}{% endfor %}</span>
</form>
<h2>By check</h2>
<table id="by-check"><tr><th>check</th><th>severity</th><th>findings</th><th>department-years</th></tr>
{% for c in checks %}<tr data-check="{{ c.check }}"><td>{{ c.check }}</td>
<td class="{{ c.severity }}">{{ c.severity }}</td><td class="n" data-count>{{ c.count }}</td>
<td class="n" data-groups>{{ c.department_years }}</td></tr>{% endfor %}</table>
<h2>By department-year</h2>
<table id="by-group"><tr><th>department</th><th>year</th>{% for s in severities %}<th class="{{ s }}">{{ s }}</th>
{% endfor %}<th>checks</th></tr>
{% for g in groups %}<tr data-group="{{ g.anchor }}"><td><a href="#{{ g.anchor }}">{{ g.department }}</a></td>
<td>{{ g.year }}</td>{% for s in severities %}<td class="n" data-sev="{{ s }}">{{ g.by_severity.get(s, 0) }}</td>
{% endfor %}<td data-checks>{{ g.checks }}</td></tr>{% endfor %}</table>
<h2>Findings</h2>
{% for g in groups %}<details id="{{ g.anchor }}" data-group="{{ g.anchor }}">
<summary>{{ g.department }} {{ g.year }} (<span data-count>{{ g.rows|length }}</span>)</summary>
<table><tr><th>check</th><th>severity</th><th>file</th><th>row</th><th>column</th><th>subject</th><th>stated</th>
<th>computed</th><th>问题说明</th><th>description</th></tr>
{% for r in g.rows %}<tr class="finding" data-group="{{ g.anchor }}" data-syn="{{ r.syn }}"
data-dept="{{ r.department }}" data-yr="{{ r.fiscal_year if r.fiscal_year is not none else '' }}"
data-sev="{{ r.severity }}" data-check="{{ r.check_name }}"><td>{{ r.check_name }}</td>
<td class="{{ r.severity }}">{{ r.severity }}</td>
<td>{{ r.source_file }}</td><td class="n">{{ r.source_row if r.source_row is not none else "" }}</td>
<td>{{ r.source_column or "" }}</td><td>{{ r.subject or "" }}</td><td>{{ r.stated_value or "" }}</td>
<td>{{ r.computed_value or "" }}</td><td>{{ r.message_zh }}</td><td>{{ r.message_en }}</td></tr>{% endfor %}
</table></details>{% endfor %}
<script>
"use strict";
(() => {
  const selects = [...document.querySelectorAll("#filters select")];
  const findings = [...document.querySelectorAll("tr.finding")];
  const query = new URLSearchParams(location.search);
  for (const s of selects) {
    const wanted = query.get(s.name);
    if (wanted !== null && [...s.options].some((o) => o.value === wanted)) s.value = wanted;
  }
  const count = (map, key) => map.set(key, (map.get(key) || 0) + 1);

  function apply() {
    const groups = new Map();  // group -> {severity counts, checks}
    const checks = new Map();  // check -> {count, groups}
    const severities = new Map();
    let shown = 0;
    for (const tr of findings) {
      const d = tr.dataset;
      tr.hidden = !selects.every((s) => s.value === "all" || d[s.name] === s.value);
      if (tr.hidden) continue;
      shown += 1;
      count(severities, d.sev);
      if (!groups.has(d.group)) groups.set(d.group, { sev: new Map(), checks: new Set(), n: 0 });
      const g = groups.get(d.group);
      g.n += 1; count(g.sev, d.sev); g.checks.add(d.check);
      if (!checks.has(d.check)) checks.set(d.check, { n: 0, groups: new Set() });
      checks.get(d.check).n += 1; checks.get(d.check).groups.add(d.group);
    }
    for (const el of document.querySelectorAll("details[data-group]")) {
      const g = groups.get(el.dataset.group);
      el.hidden = !g;
      el.querySelector("[data-count]").textContent = g ? g.n : 0;
    }
    for (const tr of document.querySelectorAll("#by-group tr[data-group]")) {
      const g = groups.get(tr.dataset.group);
      tr.hidden = !g;
      if (!g) continue;
      for (const td of tr.querySelectorAll("td[data-sev]")) td.textContent = g.sev.get(td.dataset.sev) || 0;
      tr.querySelector("[data-checks]").textContent = [...g.checks].sort().join(", ");
    }
    for (const tr of document.querySelectorAll("#by-check tr[data-check]")) {
      const c = checks.get(tr.dataset.check);
      tr.hidden = !c;
      tr.querySelector("[data-count]").textContent = c ? c.n : 0;
      tr.querySelector("[data-groups]").textContent = c ? c.groups.size : 0;
    }
    document.getElementById("visible-count").textContent = shown;
    for (const el of document.querySelectorAll("[data-visible-sev]")) {
      el.textContent = severities.get(el.dataset.visibleSev) || 0;
    }
    const q = new URLSearchParams();
    for (const s of selects) if (["syn", "dept", "yr"].includes(s.name) && s.value !== "all") q.set(s.name, s.value);
    const link = document.getElementById("dashboard-link");
    const base = link.getAttribute("href").split("?")[0];
    link.setAttribute("href", q.toString() ? base + "?" + q : base);
    document.body.dataset.filterRuns = String(Number(document.body.dataset.filterRuns || 0) + 1);
  }

  for (const s of selects) s.addEventListener("change", apply);
  apply();
})();
</script>
</body></html>
"""


FINDING_COLUMNS = """check_name, severity, coalesce(department_code, '(file)') as department, fiscal_year, source_file,
    source_row, source_column, subject, stated_value, computed_value, message_zh, message_en,
    coalesce(is_synthetic, false) as is_synthetic"""


def findings(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[dict]:
    """The findings the page lists, by department-year: all of them, or (with `limit`) the first whole
    department-years up to `limit` findings, so that a province's 100,000 findings are not one page."""
    reached = "true"
    if limit is not None:
        reached = f"""(select g.reached <= {int(limit)} from (
            select department, fiscal_year, sum(count(*)) over (
                order by department, fiscal_year nulls first
                rows between unbounded preceding and current row) as reached
            from f group by department, fiscal_year) as g
            where g.department = f.department and g.fiscal_year is not distinct from f.fiscal_year)"""
    cursor = con.execute(f"""
        with f as (select {FINDING_COLUMNS} from marts.data_quality_findings)
        select * from f where {reached}
        order by department, fiscal_year, check_name, source_file, source_row, source_column, subject,
                 message_en""")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def severity_counts(rows: list[dict]) -> dict[str, int]:
    counts = Counter(r["severity"] for r in rows)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def all_severity_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every finding of the mart by severity, whether the page lists it or not."""
    counts = dict(con.execute("select severity, count(*) from marts.data_quality_findings group by 1").fetchall())
    return {s: counts.get(s, 0) for s in SEVERITIES}


def render(rows: list[dict], published_at: datetime | None = None, dashboard_href: str = "dashboard.html",
           in_mart: dict[str, int] | None = None) -> str:
    """The page of `rows`; `in_mart`: the mart's counts by severity, when the page lists only some of them."""
    grouped: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in rows:
        syn = "synthetic" if r.get("is_synthetic") else "real"
        grouped[(r["department"], r["fiscal_year"])].append({**r, "syn": syn})
    groups = [
        {"department": dept, "year": year, "anchor": f"{dept}-{year}", "rows": members,
         "by_severity": Counter(m["severity"] for m in members),
         "checks": ", ".join(sorted({m["check_name"] for m in members}))}
        for (dept, year), members in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
    per_check: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        per_check[r["check_name"]].append(r)
    checks = [
        {"check": name, "severity": members[0]["severity"], "count": len(members),
         "department_years": len({(m["department"], m["fiscal_year"]) for m in members})}
        for name, members in sorted(per_check.items())
    ]
    stamp = (published_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S")
    return Environment(autoescape=True).from_string(TEMPLATE).render(
        published_at=stamp, total=len(rows), severities=SEVERITIES, by_severity=severity_counts(rows),
        checks=checks, groups=groups, dashboard_href=dashboard_href,
        in_mart=in_mart if in_mart and sum(in_mart.values()) > len(rows) else None,
        departments=sorted({r["department"] for r in rows}),
        years=sorted({r["fiscal_year"] for r in rows if r["fiscal_year"] is not None}))
