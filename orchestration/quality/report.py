"""The data-quality report: one static HTML page per refresh, readable offline, listing the findings
of marts.data_quality_findings by department-year and check, with counts."""

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
</style></head><body>
<h1>数据质量报告 / Data-quality report</h1>
<p>Published {{ published_at }} (UTC). {{ total }} findings: {% for s in severities %}<span class="{{ s }}">{{ s }}
{{ by_severity.get(s, 0) }}</span>{% if not loop.last %}, {% endif %}{% endfor %}.
Every finding names its source file, row and column; the same rows are in
<code>marts.data_quality_findings</code>, and docs/data-quality.md gives the SQL of each check.</p>
<h2>By check</h2>
<table><tr><th>check</th><th>severity</th><th>findings</th><th>department-years</th></tr>
{% for c in checks %}<tr><td>{{ c.check }}</td><td class="{{ c.severity }}">{{ c.severity }}</td>
<td class="n">{{ c.count }}</td><td class="n">{{ c.department_years }}</td></tr>{% endfor %}</table>
<h2>By department-year</h2>
<table><tr><th>department</th><th>year</th>{% for s in severities %}<th class="{{ s }}">{{ s }}</th>{% endfor %}
<th>checks</th></tr>
{% for g in groups %}<tr><td><a href="#{{ g.anchor }}">{{ g.department }}</a></td><td>{{ g.year }}</td>
{% for s in severities %}<td class="n">{{ g.by_severity.get(s, 0) }}</td>{% endfor %}
<td>{{ g.checks }}</td></tr>{% endfor %}</table>
<h2>Findings</h2>
{% for g in groups %}<details id="{{ g.anchor }}">
<summary>{{ g.department }} {{ g.year }} ({{ g.rows|length }})</summary>
<table><tr><th>check</th><th>severity</th><th>file</th><th>row</th><th>column</th><th>subject</th><th>stated</th>
<th>computed</th><th>问题说明</th><th>description</th></tr>
{% for r in g.rows %}<tr><td>{{ r.check_name }}</td><td class="{{ r.severity }}">{{ r.severity }}</td>
<td>{{ r.source_file }}</td><td class="n">{{ r.source_row if r.source_row is not none else "" }}</td>
<td>{{ r.source_column or "" }}</td><td>{{ r.subject or "" }}</td><td>{{ r.stated_value or "" }}</td>
<td>{{ r.computed_value or "" }}</td><td>{{ r.message_zh }}</td><td>{{ r.message_en }}</td></tr>{% endfor %}
</table></details>{% endfor %}
</body></html>
"""


def findings(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cursor = con.execute("""
        select check_name, severity, coalesce(department_code, '(file)') as department, fiscal_year, source_file,
               source_row, source_column, subject, stated_value, computed_value, message_zh, message_en
        from marts.data_quality_findings
        order by department, fiscal_year, check_name, source_file, source_row""")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def severity_counts(rows: list[dict]) -> dict[str, int]:
    counts = Counter(r["severity"] for r in rows)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def render(rows: list[dict], published_at: datetime | None = None) -> str:
    grouped: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in rows:
        grouped[(r["department"], r["fiscal_year"])].append(r)
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
        checks=checks, groups=groups)
