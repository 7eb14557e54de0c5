"""Writing the score marts for every fiscal year, or only for the years a refresh changed.

Department rule sets score the department-years into marts.department_scores; project rule sets
score the project forms into marts.project_scores; the items of both go to marts.indicator_scores.

A refresh of some years rescores those years and the years that read them: the next year (its
year-on-year change) and the years whose PEFA window reaches back to them. Ranks are per year and
every department of a rescored year is rescored, so they stay right. Trends span all years and are
recomputed from the score tables. When the rule sets differ from the ones the tables were scored
with (their digest is kept as the comment of marts.department_scores), or the tables' columns from
the ones this code writes, every year is rescored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb
import pandas as pd

from orchestration.refresh import years_rewritten
from orchestration.scoring.engine import (
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
from orchestration.scoring.publish_tables import write_table
from orchestration.scoring.rule_sets import RuleSet, all_known_figures
from orchestration.sql import table_exists

DIGEST_PREFIX = "rule sets "
SCORES_TABLE = {"department": "department_scores", "project": "project_scores"}
SCORE_TABLES = ("indicator_scores", "department_scores", "project_scores")


@dataclass(frozen=True)
class ScoreRefresh:
    years: list[int] | None  # the fiscal years rescored; None: all
    rows: dict[str, int]  # rows written per table
    department_years: int
    unscored_items: int
    project_forms: int = 0


def rule_sets_digest(rule_sets: list[RuleSet]) -> str:
    digest = hashlib.sha256()
    for rs in sorted(rule_sets, key=lambda r: r.name):
        digest.update(rs.name.encode() + b"\0" + rs.path.read_bytes() + b"\0")
    return digest.hexdigest()


def years_read_back(rule_sets: list[RuleSet]) -> int:
    """How many years back a year's scores read: one for the year-on-year change, a PEFA window's length."""
    windows = [int(i.params["window_years"]) - 1 for rs in rule_sets for i in rs.items if i.rule == "pefa_rating"]
    return max([1, *windows])


def _scored_with(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("select comment from duckdb_tables() where database_name = current_database() and "
                      "schema_name = 'marts' and table_name = 'department_scores'").fetchone()
    return row[0].removeprefix(DIGEST_PREFIX) if row and row[0] else None


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() and schema_name = 'marts' "
        "and table_name = ? order by column_index", [table]).fetchall()]


def refresh_scores(con: duckdb.DuckDBPyConnection, rule_sets: list[RuleSet],
                   years: list[int] | None = None) -> ScoreRefresh:
    digest = rule_sets_digest(rule_sets)
    dimensions = {kind: dimension_names([rs for rs in rule_sets if rs.applies_to == kind])
                  for kind in ("department", "project")}
    rating_columns = pefa_rating_columns([rs for rs in rule_sets if rs.applies_to == "department"])
    layout = {"indicator_scores": ITEM_COLUMNS,
              "department_scores": department_score_columns(dimensions["department"], list(rating_columns.values())),
              "project_scores": project_score_columns(dimensions["project"])}
    tables_current = all(table_exists(con, "marts", t) for t in SCORE_TABLES + ("department_score_trends",))
    if years is not None and not (tables_current and _scored_with(con) == digest
                                  and all(_columns(con, t) == columns for t, columns in layout.items())):
        years = None
    back = years_read_back(rule_sets)
    if years is None:
        written, scored, read = None, None, None
    else:
        written = set(years_rewritten(years, back))
        scored = written | {y - 1 for y in written}
        read = {y - k for y in scored for k in range(back + 1)}
    figures = all_known_figures()
    inputs = {"department": read_inputs(con, figures["department"], read),
              "project": read_project_inputs(con, figures["project"], read)}
    keys = {kind: sorted(k for k in i.departments if scored is None or k[1] in scored) for kind, i in inputs.items()}
    dimension_columns = {kind: frozenset(f"{DIMENSION_PREFIX}{name}" for name in names)
                         for kind, names in dimensions.items()}
    con.execute("begin transaction")
    try:
        if written is None:
            for table in SCORE_TABLES:
                con.execute(f"drop table if exists marts.{table}")
        else:
            year_list = ", ".join(str(y) for y in sorted(written))
            for table in SCORE_TABLES:
                con.execute(f"delete from marts.{table} where fiscal_year in ({year_list})")
        rows = dict.fromkeys(SCORE_TABLES, 0)
        unscored = 0
        for rs in rule_sets:  # one rule set at a time: the item scores of all of them need not fit in memory
            kind = rs.applies_to
            items, entities = score_rule_set(rs, inputs[kind], dimensions[kind], keys[kind], written,
                                             rating_columns if kind == "department" else {})
            rows["indicator_scores"] += write_table(con, "indicator_scores", items, append=True)
            rows[SCORES_TABLE[kind]] += write_table(con, SCORES_TABLE[kind], entities, dimension_columns[kind],
                                                    append=True)
            unscored += int(items["score"].isna().sum())
            del items, entities
        for kind, table in SCORES_TABLE.items():  # a table even when no rule set scores its kind
            if not table_exists(con, "marts", table):
                write_table(con, table, pd.DataFrame(columns=layout[table]), dimension_columns[kind])
        if not table_exists(con, "marts", "indicator_scores"):
            write_table(con, "indicator_scores", pd.DataFrame(columns=ITEM_COLUMNS))
        rows["department_score_trends"] = write_table(con, "department_score_trends",
                                                      _trends(con, rule_sets, rating_columns))
        con.execute(f"comment on table marts.department_scores is '{DIGEST_PREFIX}{digest}'")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ScoreRefresh(None if written is None else sorted(written), rows, len(keys["department"]), unscored,
                        len(keys["project"]))


def _trends(con: duckdb.DuckDBPyConnection, rule_sets: list[RuleSet], rating_columns: dict[str, str]) -> pd.DataFrame:
    rows: list[dict] = []
    for rs in rule_sets:
        if rs.applies_to != "department":
            continue
        totals = con.execute("select department_code, fiscal_year, total_score, is_synthetic, department_name "
                             "from marts.department_scores where rule_set = ?", [rs.name]).fetchall()
        ratings = con.execute("select department_code, fiscal_year, item, rating from marts.indicator_scores "
                              "where rule_set = ? and rating is not null", [rs.name]).fetchall()
        rows += trend_rows(rs, totals, ratings, rating_columns)
    return pd.DataFrame(rows, columns=trend_columns(list(rating_columns.values())))
