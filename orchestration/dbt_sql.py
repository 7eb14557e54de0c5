"""The dbt project's parsing macros (dbt_project/macros/parsing.sql) as plain SQL, for the steps that run
before dbt: the contract screen and the range checks of the contract suites read numbers with exactly the
macros staging uses, so that a figure the contract accepts is the figure the marts hold."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment

from orchestration.contract import PROJECT_ROOT
from orchestration.yaml_files import read_yaml

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


@cache
def parsing_macros():
    """dbt_project/macros/parsing.sql as a Jinja module (`parsing_macros().parse_amount("v")` is SQL text),
    with `var` reading dbt_project.yml's vars."""
    variables = read_yaml(DBT_PROJECT / "dbt_project.yml")["vars"]

    def var(name: str, default: object = None) -> object:
        return variables.get(name, default)

    template = Environment().from_string((DBT_PROJECT / "macros" / "parsing.sql").read_text(encoding="utf-8"))
    return template.make_module({"var": var})


def parse_amount_sql(expr: str) -> str:
    """dbt's parse_amount(expr): an exact decimal, 0 for a cell of dashes, NULL for what is no number."""
    return str(parsing_macros().parse_amount(expr)).strip()
