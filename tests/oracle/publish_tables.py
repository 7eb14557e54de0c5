"""Writing the score frames into the working database's marts schema, with exact decimal types."""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.sql import sql_name, table_exists

DECIMAL = "decimal(14,4)"
TYPES = {
    "fiscal_year": "integer", "weight": DECIMAL, "score": DECIMAL, "figure_value": "decimal(28,10)",
    "total_score": DECIMAL, "self_score": DECIMAL, "score_gap": DECIMAL, "rank_in_year": "integer",
    "yoy_change": DECIMAL, "unscored_items": "integer", "is_synthetic": "boolean", "years_covered": "integer",
    "first_year": "integer", "last_year": "integer", "mean_score": DECIMAL, "first_score": DECIMAL,
    "last_score": DECIMAL, "trend_slope": DECIMAL, "best_year": "integer", "worst_year": "integer",
    "pefa_rating_year": "integer",
}
# Every other column is text: names, codes, the PEFA ratings (pefa_ratings, pefa_<indicator>_rating, A/B/C/D/NR).


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame,
                decimal_columns: frozenset[str] = frozenset(), append: bool = False) -> int:
    """Replace marts.<table> with the frame, or append it (creating the table when there is none);
    decimals travel as text and are cast, never through floats."""
    casts = []
    for column in frame.columns:
        kind = DECIMAL if column in decimal_columns else TYPES.get(column, "varchar")
        casts.append(f"cast({sql_name(column)} as {kind}) as {sql_name(column)}")
    con.register("score_frame", frame.astype(object).where(frame.notna(), None))
    try:
        con.execute("create schema if not exists marts")
        select = f"select {', '.join(casts)} from score_frame"
        if append and table_exists(con, "marts", table):
            con.execute(f"insert into marts.{sql_name(table)} by name {select}")
        else:
            con.execute(f"create or replace table marts.{sql_name(table)} as {select}")
    finally:
        con.unregister("score_frame")
    return len(frame)

