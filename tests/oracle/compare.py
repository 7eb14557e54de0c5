"""The Python scoring engine as the oracle of the dbt score models: it scores a working database's
marts into the schema `oracle` (the four score marts, typed as the engine's publish step types
them), and `compare` lists every difference between those tables and the dbt models'."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from oracle.engine import (
    DIMENSION_PREFIX,
    ITEM_COLUMNS,
    department_score_columns,
    dimension_names,
    pefa_rating_columns,
    project_score_columns,
    read_inputs,
    read_project_inputs,
    score_rule_set,
    trend_columns,
    trend_rows,
)
from oracle.publish_tables import DECIMAL, TYPES
from orchestration.scoring.rule_sets import all_known_figures, load_rule_sets
from orchestration.sql import sql_name

SCORE_MARTS = ("indicator_scores", "department_scores", "project_scores", "department_score_trends")
ORACLE = "oracle"


def _write(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, decimal_columns: frozenset[str],
           append: bool) -> None:
    casts = [f"cast({sql_name(c)} as {DECIMAL if c in decimal_columns else TYPES.get(c, 'varchar')}) as {sql_name(c)}"
             for c in frame.columns]
    con.register("oracle_frame", frame.astype(object).where(frame.notna(), None))
    try:
        select = f"select {', '.join(casts)} from oracle_frame"
        exists = con.execute("select count(*) from duckdb_tables() where database_name = current_database() and "
                             "schema_name = ? and table_name = ?", [ORACLE, table]).fetchone()[0]
        if append and exists:
            con.execute(f"insert into {ORACLE}.{sql_name(table)} by name {select}")
        else:
            con.execute(f"create or replace table {ORACLE}.{sql_name(table)} as {select}")
    finally:
        con.unregister("oracle_frame")


def score_with_engine(con: duckdb.DuckDBPyConnection, rule_sets_dir: Path) -> None:
    """Score every department-year and project form of the database under the rule sets of the folder
    with the Python engine, into oracle.indicator_scores, department_scores, project_scores and
    department_score_trends."""
    rule_sets = load_rule_sets(rule_sets_dir)
    con.execute(f"create schema if not exists {ORACLE}")
    for table in SCORE_MARTS:
        con.execute(f"drop table if exists {ORACLE}.{table}")
    kinds = ("department", "project")
    dimensions = {kind: dimension_names([rs for rs in rule_sets if rs.applies_to == kind]) for kind in kinds}
    ratings = pefa_rating_columns([rs for rs in rule_sets if rs.applies_to == "department"])
    figures = all_known_figures()
    inputs = {"department": read_inputs(con, figures["department"]),
              "project": read_project_inputs(con, figures["project"])}
    keys = {kind: sorted(i.departments) for kind, i in inputs.items()}
    dimension_columns = {kind: frozenset(f"{DIMENSION_PREFIX}{n}" for n in names) for kind, names in dimensions.items()}
    table_of = {"department": "department_scores", "project": "project_scores"}
    for rs in rule_sets:
        kind = rs.applies_to
        items, entities = score_rule_set(rs, inputs[kind], dimensions[kind], keys[kind], None,
                                         ratings if kind == "department" else {})
        _write(con, "indicator_scores", items, frozenset(), append=True)
        _write(con, table_of[kind], entities, dimension_columns[kind], append=True)
    empty = {"indicator_scores": (ITEM_COLUMNS, frozenset()),
             "department_scores": (department_score_columns(dimensions["department"], list(ratings.values())),
                                   dimension_columns["department"]),
             "project_scores": (project_score_columns(dimensions["project"]), dimension_columns["project"])}
    for table, (columns, decimals) in empty.items():
        _write(con, table, pd.DataFrame(columns=columns), decimals, append=True)
    trends: list[dict] = []
    for rs in rule_sets:
        if rs.applies_to != "department":
            continue
        totals = con.execute(f"select department_code, fiscal_year, total_score, is_synthetic, department_name "
                             f"from {ORACLE}.department_scores where rule_set = ?", [rs.name]).fetchall()
        rated = con.execute(f"select department_code, fiscal_year, item, rating from {ORACLE}.indicator_scores "
                            "where rule_set = ? and rating is not null", [rs.name]).fetchall()
        trends += trend_rows(rs, totals, rated, ratings)
    _write(con, "department_score_trends", pd.DataFrame(trends, columns=trend_columns(list(ratings.values()))),
           frozenset(), append=False)


@dataclass
class Difference:
    table: str
    what: str
    only_oracle: list[tuple] = field(default_factory=list)
    only_dbt: list[tuple] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.table}: {self.what}"]
        lines += [f"  oracle only: {row}" for row in self.only_oracle[:5]]
        lines += [f"  dbt only:    {row}" for row in self.only_dbt[:5]]
        return "\n".join(lines)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute("select column_name, data_type from duckdb_columns() where database_name = current_database() "
                       "and schema_name = ? and table_name = ? order by column_index", [schema, table]).fetchall()


def compare(con: duckdb.DuckDBPyConnection, dbt_schema: str) -> tuple[list[Difference], dict[str, int]]:
    """Every difference between the oracle's score marts and the dbt models' in `dbt_schema`: their
    columns and types, then their rows as exact text (decimals as written, explanations as they are),
    as multisets (EXCEPT ALL both ways); and the row count of each table."""
    differences, counts = [], {}
    for table in SCORE_MARTS:
        oracle, dbt = _columns(con, ORACLE, table), _columns(con, dbt_schema, table)
        if oracle != dbt:
            differences.append(Difference(table, f"columns differ: oracle {oracle}, dbt {dbt}"))
            continue
        select = ", ".join(f"cast({sql_name(name)} as varchar)" for name, _ in oracle)
        counts[table] = con.execute(f"select count(*) from {ORACLE}.{sql_name(table)}").fetchone()[0]
        queries = [f"select {select} from {a}.{sql_name(table)} except all select {select} from {b}.{sql_name(table)}"
                   for a, b in ((ORACLE, dbt_schema), (dbt_schema, ORACLE))]
        only_oracle, only_dbt = (con.execute(q + " limit 20").fetchall() for q in queries)
        if only_oracle or only_dbt:
            differences.append(Difference(table, "rows differ", only_oracle, only_dbt))
    return differences, counts
