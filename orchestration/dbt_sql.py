"""The dbt project's parsing macros (dbt_project/macros/parsing.sql) as plain SQL, for the steps that run
before dbt: the contract screen and the range checks of the contract suites read numbers with exactly the
macros staging uses, so that a figure the contract accepts is the figure the marts hold.

They are rendered as dbt renders them for DuckDB, with the engine macros they call (macros/portable.sql):
`adapter.dispatch` picks a macro's `duckdb__` version, else its `default__` one, and dbt's `return` gives
its value."""

from __future__ import annotations

import re
from functools import cache
from types import SimpleNamespace

from jinja2 import Environment

from orchestration.contract import PROJECT_ROOT
from orchestration.yaml_files import read_yaml

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


@cache
def parsing_macros():
    """dbt_project/macros/parsing.sql as a Jinja module (`parsing_macros().parse_amount("v")` is SQL text),
    with `var` reading dbt_project.yml's vars."""
    return macro_module(read_yaml(DBT_PROJECT / "dbt_project.yml")["vars"])


def macro_module(variables: dict, files: tuple[str, ...] = ("parsing.sql",), context: dict | None = None):
    """Macro files of dbt_project/macros rendered for DuckDB with these dbt vars, with the engine macros
    they call (portable.sql) and any more names dbt would give them (`context`)."""
    module: list = []

    def var(name: str, default: object = None) -> object:
        return variables.get(name, default)

    def dispatch(name: str, macro_namespace: str | None = None):
        return getattr(module[0], f"duckdb__{name}", None) or getattr(module[0], f"default__{name}")

    text = "\n".join((DBT_PROJECT / "macros" / name).read_text(encoding="utf-8")
                     for name in ("portable.sql", *files))
    module.append(Environment(extensions=["jinja2.ext.do"]).from_string(text).make_module({
        "var": var, "return": lambda value: value, "adapter": SimpleNamespace(dispatch=dispatch),
        "modules": SimpleNamespace(re=re), **(context or {})}))
    return module[0]


def parse_amount_sql(expr: str) -> str:
    """dbt's parse_amount(expr): an exact decimal, 0 for a cell of dashes, NULL for what is no number."""
    return str(parsing_macros().parse_amount(expr)).strip()
