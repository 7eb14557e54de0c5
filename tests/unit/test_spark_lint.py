"""The Spark portability lint (tools/spark_lint.py): the dbt project passes it, and each of its rules
catches the construct it names, outside dispatched macros only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import spark_lint

SAMPLES = {
    "regexp_full_match": "select regexp_full_match(x, '[0-9]+') from t",
    "regexp_matches": "select * from t where regexp_matches(x, 'a')",
    "regexp_extract": "select regexp_extract(x, '([0-9]+)', 1) from t",
    "regexp_replace": "select regexp_replace(x, 'a', '') from t",
    "integer_division": "select a // b from t",
    "distinct_on": "select distinct on (a) a, b from t",
    "exclude": "select * exclude (a) from t",
    "hugeint": "select cast(a as hugeint) from t",
    "strlen": "select strlen(a) from t",
    "string_split": "select string_split(a, '/') from t",
    "unnest": "select unnest(a) from t",
    "generate_series": "select * from generate_series(1, 3)",
    "raw_concat": "select concat(a, b) from t",
    "double_quoted_identifier": 'select src."a" from t as src',
    "list_literal": "select [1, 2] as l",
    "struct_literal": "select {'a': 1} as s",
    "varchar": "select cast(a as varchar) from t",
    "trim_characters": "select rtrim(cast(a as string), '0') from t",
    "string_agg": "select string_agg(a, ',' order by a) from t",
    "backslash_d": r"select {{ regexp_extract('x', '\d+') }} from t",
    "window_nulls_order": "select row_number() over (partition by a order by b desc nulls last, c) from t",
}


def lint(tmp_path: Path, sql: str) -> list[str]:
    (tmp_path / "models").mkdir(exist_ok=True)
    path = tmp_path / "models" / "m.sql"
    path.write_text(sql, encoding="utf-8")
    return [rule.name for _, rule, _ in spark_lint.hits(path)]


def test_the_dbt_project_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert spark_lint.main([]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("rule", [r.name for r in spark_lint.RULES])
def test_each_rule_catches_its_construct(tmp_path: Path, rule: str) -> None:
    assert rule in lint(tmp_path, SAMPLES[rule])


def test_dispatched_macros_comments_jinja_and_regex_classes_are_not_sql(tmp_path: Path) -> None:
    sql = """{% macro duckdb__thing(x) %}regexp_full_match({{ x }}, 'a') || strlen(x) || [1]{% endmacro %}
-- regexp_matches(a, b) in a comment
{# string_agg(a) in a Jinja comment #}
{% set kinds = ['a', 'b'] %}
select {{ regexp_groups('x', '[0-9]+', ['a', 'b']) }}, a || b, dbt.concat(a), '[0-9]' from t"""
    assert lint(tmp_path, sql) == []


@pytest.mark.parametrize(("sql", "flagged"), [
    ("select rank() over (order by b) from t", 1),
    ("select rank() over (partition by a order by b asc nulls first, coalesce(c, 0) desc nulls last) from t", 0),
    ("select sum(x) over (partition by a order by b nulls last rows between unbounded preceding and current row) "
     "from t", 0),
    ("select sum(x) over (order by b, c rows between 1 preceding and current row) from t", 2),
    ("select count(*) over (partition by a) from t order by a", 0),
    ("select row_number() over (\n  partition by a\n  order by case when b is null then 1 else 0 end,\n  c nulls last) "
     "from t", 1),
])
def test_every_key_of_a_window_order_says_where_nulls_go(tmp_path: Path, sql: str, flagged: int) -> None:
    assert lint(tmp_path, sql).count("window_nulls_order") == flagged
