"""The tables dbt reads as sources (raw files as loaded, contract findings, rule sets), exported from the
working DuckDB database as Parquet for a dbt build on Spark (dbt_project/macros/spark_sources.sql).

Raw tables and the contract findings go into Hive-style folders by fiscal year,
`<dir>/raw/<table>/_partition_year=<year>/data_0.parquet` (`__HIVE_DEFAULT_PARTITION__` for rows of no
year), each file keeping the `_partition_year` column as well; the rule sets, one file a table. A table
without rows is one empty file that keeps its columns, so that Spark still knows them."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration.sql import sql_name, sql_text

YEAR_COLUMN = "_partition_year"


def source_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every source of the dbt project that the working database holds."""
    return [(r[0], r[1]) for r in con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where (schema_name = 'raw' and (table_name not like '\\_%' escape '\\' or table_name = '_contract_findings')) "
        "or (schema_name = 'reference' and table_name like 'rule\\_set%' escape '\\') order by 1, 2").fetchall()]


def export_sources(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """Write every source table under out_dir (replacing what was there); rows per table."""
    shutil.rmtree(out_dir, ignore_errors=True)
    counts: dict[str, int] = {}
    for schema, table in source_tables(con):
        target = out_dir / schema / table
        target.mkdir(parents=True)
        name = f"{sql_name(schema)}.{sql_name(table)}"
        rows = con.execute(f"select count(*) from {name}").fetchone()[0]
        columns = {r[0] for r in con.execute(f"describe {name}").fetchall()}
        if rows and YEAR_COLUMN in columns:
            con.execute(f"copy {name} to {sql_text(str(target))} (format parquet, partition_by ({YEAR_COLUMN}), "
                        "write_partition_columns true, overwrite_or_ignore true)")
        else:
            con.execute(f"copy {name} to {sql_text(str(target / 'data_0.parquet'))} (format parquet)")
        counts[f"{schema}.{table}"] = rows
    return counts
